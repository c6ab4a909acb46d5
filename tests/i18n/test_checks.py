"""Speech-aware checks: one fixture per check, each with failing and passing entries.

In ``tests/data/i18n/checks/<check>.po`` every ``# expect:`` translator
comment is a finding its entry must produce (the line without ``file:line:``);
an entry without one must produce no finding at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ValidationFailed
from pipeline.i18n.checks import (
    CHECKS,
    CheckConfig,
    CheckContext,
    check_catalog,
    load_check_config,
    load_glossary,
    uses_latin_script,
)
from pipeline.i18n.numbers import number_is_said
from pipeline.i18n.pofile import read_po_file
from pipeline.speech import load_lexicon

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "i18n" / "checks"
EXPECT = "expect: "


def _context(config: CheckConfig | None = None) -> CheckContext:
    return CheckContext(
        lang="ko",
        lexicon=load_lexicon(None, "ko"),
        glossary=load_glossary(FIXTURES / "glossary.yaml", FIXTURES),
        config=config or CheckConfig(),
    )


def _expected_and_found(path: Path) -> list[tuple[int, list[str], list[str]]]:
    catalog = read_po_file(path, FIXTURES)
    found: dict[int, list[str]] = {}
    for finding in check_catalog(catalog, _context()):
        found.setdefault(finding.line, []).append(str(finding).split(": ", 1)[1])
    rows = []
    for entry in catalog.messages():
        expected = [c[len(EXPECT) :] for c in entry.comments if c.startswith(EXPECT)]
        rows.append((entry.msgstr_line, sorted(expected), sorted(found.pop(entry.msgstr_line, []))))
    assert found == {}, "findings on lines that hold no entry"
    return rows


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.po")), ids=lambda p: p.stem)
def test_each_entry_produces_exactly_its_expected_findings(path: Path) -> None:
    for line, expected, found in _expected_and_found(path):
        assert found == expected, f"{path.name}:{line}"


@pytest.mark.parametrize("name", [*CHECKS, "flags"])
def test_every_check_has_a_failing_and_a_passing_fixture(name: str) -> None:
    rows = _expected_and_found(FIXTURES / f"{name}.po")
    assert any(any(f"[{name}]" in e for e in expected) for _, expected, _ in rows)
    assert any(not expected for _, expected, _ in rows)


def test_findings_print_compiler_style() -> None:
    catalog = read_po_file(FIXTURES / "placeholders.po", FIXTURES)
    first = check_catalog(catalog, _context())[0]
    assert str(first) == "placeholders.po:17: error[placeholders]: missing {station}"


def test_configuration_switches_checks_off_or_changes_their_severity(tmp_path: Path) -> None:
    (tmp_path / "locales").mkdir()
    (tmp_path / "locales/checks.yaml").write_text(
        "checks:\n  placeholders: warning\n  unchanged: off\nlength:\n  warn_ratio: 1.2\n"
    )
    config = load_check_config(tmp_path)
    assert config.length.warn_ratio == 1.2
    context = _context(config)
    placeholders = check_catalog(read_po_file(FIXTURES / "placeholders.po"), context)
    assert {f.severity for f in placeholders if f.check == "placeholders"} == {"warning"}
    assert check_catalog(read_po_file(FIXTURES / "unchanged.po"), context) == []


def test_configuration_mistakes_are_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "locales").mkdir()
    (tmp_path / "locales/checks.yaml").write_text(
        "checks:\n  placeholder: off\n  length: loud\nlength:\n  warn_ratio: 2\n  error_ratio: 1.5\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        load_check_config(tmp_path)
    assert str(caught.value).splitlines() == [
        "locales/checks.yaml:2: checks.placeholder: unknown check 'placeholder' (known: " + ", ".join(CHECKS) + ")",
        "locales/checks.yaml:3: checks.length: expected one of [error, warning, off], got 'loud'",
        "locales/checks.yaml:6: length.error_ratio: must not be below warn_ratio (2)",
    ]


def test_glossary_mistakes_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yaml"
    path.write_text("terms:\n  - ko: 라디오\n  - term: Radio\n    ko: 12\n")
    with pytest.raises(ValidationFailed) as caught:
        load_glossary(path, tmp_path)
    assert str(caught.value).splitlines() == [
        "glossary.yaml:2: terms[0]: missing key 'term'",
        "glossary.yaml:4: terms[1].ko: expected text, got a number",
    ]


@pytest.mark.parametrize(
    ("number", "translation", "said"),
    [
        ("34000", "3만 4천 명", True),
        ("34000", "3만 4000명", True),
        ("15000", "1.5만 명", True),
        ("20000000", "2천만 명", True),
        ("3", "세 장", True),
        ("3", "세계 여러 나라", False),
        ("10", "열린 창", False),
        ("2", "이 라디오", False),
        ("2019", "이천십구 년", True),
        ("1990", "1990년대", True),
    ],
)
def test_korean_numbers_in_digits_units_and_words(number: str, translation: str, said: bool) -> None:
    assert number_is_said(number, translation, "ko") is said


def test_which_languages_are_written_in_latin_letters() -> None:
    assert uses_latin_script("fr")
    assert not uses_latin_script("ko")
    assert not uses_latin_script("ja")
    assert not uses_latin_script("zh_TW")
