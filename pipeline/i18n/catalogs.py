"""Where catalogs live, compiling them into the build cache, and translation lookups.

Entry points: :func:`po_path`, :func:`compile_if_stale` and :class:`Translator`.

Layout (gettext's own): ``locales/<lang>/LC_MESSAGES/<domain>.po`` edited by
translators, ``locales/templates/<domain>.pot`` written by extraction, and
compiled ``.mo`` files in ``.cache/mo/<lang>/<domain>.mo``, rebuilt when the
``.po`` content changes. A :class:`Translator` never falls back to the source
text for a target language: a missing, empty or fuzzy translation comes back
as a :class:`Lookup` without text, saying why and where.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from ..errors import CatalogError, SourceLocation, display_path
from ..fsutil import atomic_write_bytes, atomic_write_text

LOCALES_DIR = Path("locales")
POT_DIR = LOCALES_DIR / "templates"
MO_CACHE_DIR = Path(".cache/mo")


def po_path(root: Path, lang: str, domain: str) -> Path:
    """The translators' catalog for ``lang`` and ``domain``."""
    return root / LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def pot_path(root: Path, domain: str) -> Path:
    """The extracted template catalog for ``domain``."""
    return root / POT_DIR / f"{domain}.pot"


def mo_path(root: Path, lang: str, domain: str) -> Path:
    """The compiled catalog in the build cache."""
    return root / MO_CACHE_DIR / lang / f"{domain}.mo"


def read_catalog(path: Path, root: Path, lang: str | None = None) -> Catalog:
    """Parse a .po/.pot file with Babel; syntax errors become CatalogError with file:line."""
    shown = display_path(path, root)
    try:
        with path.open("rb") as handle:
            return read_po(handle, locale=lang, abort_invalid=True)
    except PoFileError as exc:
        line = getattr(exc, "lineno", None)
        raise CatalogError(f"cannot read catalog: {exc}", SourceLocation(shown, line)) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", SourceLocation(shown)) from exc


def compile_if_stale(root: Path, lang: str, domain: str, use_fuzzy: bool = False) -> Path | None:
    """Compile the .po into the cache when its content changed; None when there is no .po."""
    source = po_path(root, lang, domain)
    if not source.exists():
        return None
    target = mo_path(root, lang, domain)
    stamp = target.with_suffix(".mo.src")
    digest = hashlib.sha256(source.read_bytes() + (b"\0fuzzy" if use_fuzzy else b"")).hexdigest()
    if target.exists() and stamp.exists() and stamp.read_text() == digest:
        return target
    catalog = read_catalog(source, root, lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=use_fuzzy)
    atomic_write_bytes(target, buffer.getvalue())
    atomic_write_text(stamp, digest)
    return target


@dataclass(frozen=True)
class Lookup:
    """The outcome of looking one message up in a language."""

    text: str | None
    status: str  # "source", "translated", "fuzzy", "untranslated" or "missing"
    catalog: str  # catalog file shown to people
    po_line: int | None = None

    @property
    def ok(self) -> bool:
        """True when there is text to speak."""
        return self.text is not None

    def reason(self) -> str:
        """Why there is no text, for reports."""
        where = f"{self.catalog}:{self.po_line}" if self.po_line else self.catalog
        return {
            "fuzzy": f"translation is marked fuzzy in {where}",
            "untranslated": f"not translated in {where}",
            "missing": f"not in {where} (run 'pipeline i18n update')",
        }.get(self.status, self.status)


class Translator:
    """Lookups of (domain, context, msgid) for one language."""

    def __init__(self, root: Path, lang: str, source_language: str) -> None:
        self.root = root
        self.lang = lang
        self.is_source = lang == source_language
        self._translations: dict[str, dict[str, str]] = {}
        self._catalogs: dict[str, Catalog | None] = {}

    def lookup(self, domain: str, context: str, msgid: str) -> Lookup:
        """The text to speak for ``msgid`` in this language, or why there is none."""
        shown = display_path(po_path(self.root, self.lang, domain), self.root)
        if self.is_source:
            return Lookup(msgid, "source", shown)
        text = self._compiled(domain).get(f"{context}\x04{msgid}")
        if text:
            return Lookup(text, "translated", shown)
        catalog = self._catalog(domain)
        message = catalog.get(msgid, context=context) if catalog is not None else None
        if message is None:
            return Lookup(None, "missing", shown)
        status = "fuzzy" if message.fuzzy and message.string else "untranslated"
        return Lookup(None, status, shown, message.lineno)

    def _compiled(self, domain: str) -> dict[str, str]:
        if domain not in self._translations:
            path = compile_if_stale(self.root, self.lang, domain)
            table: dict[str, str] = {}
            if path is not None:
                with path.open("rb") as handle:
                    table = dict(Translations(fp=handle, domain=domain)._catalog)  # type: ignore[attr-defined]
            self._translations[domain] = table
        return self._translations[domain]

    def _catalog(self, domain: str) -> Catalog | None:
        if domain not in self._catalogs:
            path = po_path(self.root, self.lang, domain)
            self._catalogs[domain] = read_catalog(path, self.root, self.lang) if path.exists() else None
        return self._catalogs[domain]
