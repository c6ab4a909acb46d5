"""The Plural-Forms header of a new catalog.

Entry point: :func:`plural_forms`. GNU gettext's own table comes first
(``data/plural_forms.yaml``): it is what ``msginit`` writes and what Poedit
and Weblate expect, and it differs from CLDR for a few languages (Irish has
3 forms there, 5 in CLDR). Other languages take CLDR's rules through
``babel.plural.to_gettext``. Babel's ``Catalog.plural_forms`` is not used:
its own table has Arabic's forms 4 and 5 swapped (Babel issue #816), so
Arabic, absent from GNU's table, comes from the gettext manual's list.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from babel import Locale
from babel.plural import to_gettext

_TABLE = Path(__file__).parent / "data" / "plural_forms.yaml"
_EXPONENT = re.compile(r"\b[ec]\b")


@functools.cache
def _gnu_table() -> dict[str, str]:
    with _TABLE.open(encoding="utf-8") as handle:
        table = yaml.safe_load(handle)
    return {str(lang): str(value) for lang, value in table.items()}


def plural_forms(lang: str) -> str:
    """``nplurals=N; plural=EXPR;`` for ``lang`` (a code Babel knows: ``ko``, ``pt_BR``, ``sr-Latn``)."""
    locale = Locale.parse(lang.replace("-", "_"))
    table = _gnu_table()
    for key in (f"{locale.language}_{locale.territory}", locale.language):
        if key in table:
            return table[key]
    # CLDR's compact-exponent operands (e, c) are 0 for the whole numbers gettext counts.
    return _EXPONENT.sub("0", to_gettext(locale.plural_form))
