"""Localisation: translatable messages, gettext catalogs, lookups and translator tooling."""
