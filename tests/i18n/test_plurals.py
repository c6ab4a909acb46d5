"""Plural-Forms of new catalogs: GNU gettext's table, then CLDR; never Babel's swapped Arabic."""

from __future__ import annotations

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from babel import localedata
from babel.messages.catalog import Catalog

from pipeline.i18n.plurals import _gnu_table, plural_forms

POT = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "a"\nmsgstr ""\n'


def msginit_plural_forms(lang: str, tmp_path: Path) -> str | None:
    """The Plural-Forms GNU msginit writes for ``lang`` (None when its table lacks it)."""
    pot = tmp_path / "t.pot"
    pot.write_text(POT)
    result = subprocess.run(
        ["msginit", "--no-translator", "--no-wrap", "-l", lang, "-i", str(pot), "-o", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    match = re.search(r'"Plural-Forms: (.*)\\n"', result.stdout)
    return match.group(1) if match else None


def forms(header: str, numbers: range = range(1001)) -> tuple[int, list[int]]:
    """nplurals and the form each number takes, evaluated as gettext evaluates them."""
    nplurals = int(re.search(r"nplurals=(\d+)", header).group(1))  # type: ignore[union-attr]
    expression = re.search(r"plural=(.*?);?\s*$", header).group(1)  # type: ignore[union-attr]
    choose = gettext.c2py(expression)
    return nplurals, [choose(n) for n in numbers]


@pytest.mark.parametrize("lang", sorted(lang for lang in _gnu_table() if lang not in ("ar", "pt_BR")))
def test_languages_in_gnu_gettexts_table_get_exactly_what_msginit_writes(lang: str, tmp_path: Path) -> None:
    assert plural_forms(lang) == msginit_plural_forms(lang, tmp_path)


def test_a_dozen_common_languages_are_in_gnu_gettexts_table(tmp_path: Path) -> None:
    dozen = ["ko", "ja", "ru", "uk", "pl", "cs", "fr", "de", "es", "lt", "sl", "ga", "ro", "pt_BR"]
    for lang in dozen:
        assert forms(plural_forms(lang)) == forms(msginit_plural_forms(lang, tmp_path) or ""), lang


def test_arabic_has_its_six_forms_in_cldr_order_unlike_babels_table() -> None:
    expected = {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 11: 4, 99: 4, 100: 5, 101: 5, 102: 5, 103: 3, 111: 4, 1000: 5}
    nplurals, chosen = forms(plural_forms("ar"))
    assert nplurals == 6
    assert {n: chosen[n] for n in expected} == expected
    _, babels = forms(Catalog(locale="ar").plural_forms)
    assert babels[100] != 5  # Babel issue #816, the reason its table is not used


@pytest.mark.parametrize("lang", sorted({name.split("_")[0] for name in localedata.locale_identifiers()}))
def test_every_language_init_accepts_gets_a_rule_gettext_can_evaluate(lang: str) -> None:
    nplurals, chosen = forms(plural_forms(lang))
    assert 1 <= nplurals <= 6
    assert set(chosen) <= set(range(nplurals))
