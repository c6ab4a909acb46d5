"""Large catalogs written the way Poedit, Weblate and GNU gettext write them.

``tests/data/i18n/large/make_large.py`` made them (hundreds of entries,
python-format and python-brace-format, plural forms, msgctxt, GNU's
76-column wrapping, Poedit and Weblate headers) and lists the problems
planted in them in ``expected.yaml``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.i18n.checks import CheckContext, check_catalog, load_glossary
from pipeline.i18n.merge import merge_catalog
from pipeline.i18n.pofile import PoFile, po_bytes, read_po_file, write_po_file
from pipeline.speech import load_lexicon

LARGE = Path(__file__).resolve().parents[1] / "data" / "i18n" / "large"
CHECKS = LARGE.parent / "checks"
KINDS = ("poedit", "weblate")


def _statistics(catalog: PoFile) -> tuple[int, int, int]:
    messages = catalog.messages()
    translated = sum(1 for e in messages if e.translated and not e.fuzzy)
    fuzzy = sum(1 for e in messages if e.translated and e.fuzzy)
    return translated, fuzzy, len(messages) - translated - fuzzy


@pytest.mark.parametrize("kind", KINDS)
def test_update_with_its_template_changes_no_byte(kind: str, tmp_path: Path) -> None:
    source = LARGE / f"{kind}.po"
    catalog = read_po_file(source)
    assert po_bytes(catalog) == source.read_bytes()
    before = _statistics(catalog)
    assert len(catalog.messages()) > 300
    merge_catalog(catalog, read_po_file(LARGE / f"{kind}.pot"))
    assert _statistics(catalog) == before
    assert po_bytes(catalog) == source.read_bytes()
    target = tmp_path / f"{kind}.po"
    write_po_file(target, catalog)
    gnu = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(target)],
        capture_output=True,
        text=True,
    )
    assert gnu.returncode == 0, gnu.stderr
    translated, fuzzy, untranslated = before
    assert gnu.stderr == (
        f"{translated} translated messages, {fuzzy} fuzzy translations, {untranslated} untranslated messages.\n"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_an_edited_source_sentence_turns_one_translation_fuzzy(kind: str) -> None:
    catalog = read_po_file(LARGE / f"{kind}.po")
    template = read_po_file(LARGE / f"{kind}.pot")
    edited = template.messages()[300]
    assert edited.msgctxt == "help.1"
    old_source = edited.msgid
    edited.msgid = old_source.replace("fingernail", "thumbnail")
    translated, fuzzy, untranslated = _statistics(catalog)
    report = merge_catalog(catalog, template)
    assert report.source_changed == 1
    assert _statistics(catalog) == (translated - 1, fuzzy + 1, untranslated)
    entry = catalog.find(edited.msgctxt, edited.msgid)
    assert (entry.fuzzy, entry.previous_msgid) == (True, old_source)


@pytest.mark.parametrize("kind", KINDS)
def test_check_reports_only_what_is_really_wrong(kind: str) -> None:
    catalog = read_po_file(LARGE / f"{kind}.po")
    context = CheckContext(
        lang="ko",
        lexicon=load_lexicon(None, "ko"),
        glossary=load_glossary(CHECKS / "glossary.yaml", CHECKS),
    )
    by_line = {entry.msgstr_line: entry for entry in catalog.messages()}
    found: dict[str, list[list[str | None]]] = {}
    for finding in check_catalog(catalog, context):
        entry = by_line[finding.line]
        found.setdefault(f"{finding.severity}[{finding.check}]", []).append([entry.msgctxt, entry.msgid])
    expected = yaml.safe_load((LARGE / "expected.yaml").read_text(encoding="utf-8"))[kind]
    assert found == expected
