"""The planted-error matrix: one entry per kind of translator's mistake, checked by
``pipeline i18n check`` and by translate-toolkit's ``pofilter`` (the README shows both).

``tests/data/i18n/planted/ko.po`` names each entry by its msgctxt: ``planted:
<kind>`` entries must be caught with their file:line, ``clean: <what>`` ones
(native numerals, decimals, Korean units, …) must get no error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pipeline.i18n.checks import CheckContext, Finding, check_catalog
from pipeline.i18n.pofile import read_po_file
from pipeline.speech import load_lexicon

PLANTED = Path(__file__).resolve().parents[1] / "data" / "i18n" / "planted" / "ko.po"

# kind: (the check of ours that must catch it, whether pofilter catches it)
MATRIX = {
    "placeholder missing": ("placeholders", True),
    "placeholder misspelt": ("placeholders", True),
    "left in English": ("unchanged", True),
    "number dropped": ("numbers", True),
    "number changed": ("numbers", True),
    "number word mistranslated": ("numbers", False),
    "number added": ("numbers", False),
    "leading whitespace": ("whitespace", True),
    "trailing whitespace": ("whitespace", True),
    "newline count": ("newlines", True),
    "double space": ("spaces", True),
    "unbalanced bracket": ("brackets", True),
    "unbalanced quote": ("quotes", True),
    "control character": ("control", False),
    "bidi override": ("control", False),
    "web address": ("unspeakable", True),
    "markup": ("unspeakable", True),
    "question made a statement": ("punctuation", True),
}
# Right translations pofilter reports anyway ("Different numbers").
POFILTER_FALSE_ALARMS = {"native numeral", "decimal", "Korean units", "counter"}


def _findings() -> tuple[dict[str, int], list[Finding]]:
    catalog = read_po_file(PLANTED)
    lines = {entry.msgctxt or "": entry.msgstr_line for entry in catalog.messages()}
    context = CheckContext(lang="ko", lexicon=load_lexicon(None, "ko"))
    return lines, check_catalog(catalog, context)


def test_every_planted_kind_is_caught_with_its_line() -> None:
    lines, findings = _findings()
    planted = {context.split(": ", 1)[1]: line for context, line in lines.items() if context.startswith("planted: ")}
    assert set(planted) == set(MATRIX)
    caught = {
        kind for kind, line in planted.items() if any(f.line == line and f.check == MATRIX[kind][0] for f in findings)
    }
    assert caught == set(MATRIX)
    assert all(str(f).startswith(f"{PLANTED}:{f.line}: ") for f in findings)


def test_right_translations_get_no_error() -> None:
    lines, findings = _findings()
    clean = {line: context for context, line in lines.items() if context.startswith("clean: ")}
    assert [str(f) for f in findings if f.line in clean and f.severity == "error"] == []
    assert len(clean) == 8


def pofilter_flags(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    """msgctxt → the pofilter tests that flagged it (translate-toolkit, Weblate's checker)."""
    out = tmp_path / "pofilter.po"
    pofilter = Path(sys.executable).parent / "pofilter"
    subprocess.run(
        [str(pofilter), "--language=ko", "--progress=none", "-i", str(path), "-o", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    flagged: dict[str, list[str]] = {}
    tests: list[str] = []
    for line in out.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"# \(pofilter\) (\w+):", line):
            tests.append(match.group(1))
        elif match := re.match(r'msgctxt "(.*)"', line):
            flagged[match.group(1)] = tests
            tests = []
    return flagged


def test_pofilter_column_of_the_readme(tmp_path: Path) -> None:
    flagged = pofilter_flags(PLANTED, tmp_path)
    caught = {kind for kind in MATRIX if f"planted: {kind}" in flagged}
    assert caught == {kind for kind, (_, by_pofilter) in MATRIX.items() if by_pofilter}
    false_alarms = {context.split(": ", 1)[1] for context in flagged if context.startswith("clean: ")}
    assert false_alarms == POFILTER_FALSE_ALARMS
