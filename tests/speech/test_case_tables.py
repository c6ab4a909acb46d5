"""Korean and English normalisation, driven by tests/data/speech/{ko,en}_cases.yaml."""

from __future__ import annotations

import pytest
from speech_cases import Case, load_cases, render

from pipeline.speech import normalise

TABLES = {lang: load_cases(f"{lang}_cases") for lang in ("ko", "en")}
CASES = [(lang, case) for lang, cases in TABLES.items() for case in cases]


@pytest.mark.parametrize("lang", TABLES)
def test_each_table_has_at_least_150_cases(lang: str) -> None:
    assert len(TABLES[lang]) >= 150


@pytest.mark.parametrize(("lang", "case"), CASES, ids=lambda v: v if isinstance(v, str) else v.id)
def test_case(lang: str, case: Case) -> None:
    assert render(normalise(case.written, lang), lang) == case.said
