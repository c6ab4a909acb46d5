"""Korean and English normalisation, driven by tests/data/speech/{ko,en}_cases.yaml.

The tables hold this station's content (facts from the source documents, as
its translators write them), so they are read with the project's lexicons
(``locales/<lang>/lexicon.yaml`` over the built-in ones), as a build reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from speech_cases import Case, load_cases, render

from pipeline.speech import load_lexicon, normalise

REPO = Path(__file__).resolve().parents[2]
TABLES = {lang: load_cases(f"{lang}_cases") for lang in ("ko", "en")}
LEXICONS = {lang: load_lexicon(REPO, lang) for lang in TABLES}
CASES = [(lang, case) for lang, cases in TABLES.items() for case in cases]


@pytest.mark.parametrize("lang", TABLES)
def test_each_table_has_at_least_150_cases(lang: str) -> None:
    assert len(TABLES[lang]) >= 150


@pytest.mark.parametrize(("lang", "case"), CASES, ids=lambda v: v if isinstance(v, str) else v.id)
def test_case(lang: str, case: Case) -> None:
    assert render(normalise(case.written, lang, LEXICONS[lang]), lang) == case.said
