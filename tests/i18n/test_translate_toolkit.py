"""Weblate's parser (translate-toolkit) reads every catalog the project writes as we do.

Catalogs come from the real commands: the sample project's templates and
Korean catalogs, and a fixture project taken through extract, update,
translation, an edit in the script (fuzzy) and a new language (Arabic).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from translate.storage import po as tt_po

from pipeline.i18n.pofile import PoFile, read_po_file
from tests.commands.test_i18n import prepare, run
from tests.commands.test_i18n import project as project  # a fixture

REPO = Path(__file__).resolve().parents[2]


def counts_by_translate_toolkit(path: Path) -> dict[str, object]:
    store = tt_po.pofile.parsefile(str(path))
    units = [unit for unit in store.units if not unit.isheader() and not unit.isobsolete()]
    return {
        "messages": len(units),
        "translated": sum(unit.istranslated() for unit in units),
        "fuzzy": sum(unit.isfuzzy() for unit in units),
        "obsolete": sum(unit.isobsolete() for unit in store.units),
        "keys": sorted((unit.getcontext() or "", unit.source) for unit in units),
        "plural forms": store.getheaderplural(),
    }


def counts_by_us(catalog: PoFile) -> dict[str, object]:
    messages = catalog.messages()
    nplurals = catalog.header_field("Plural-Forms")
    forms = (None, None)
    if nplurals:
        number, _, rule = nplurals.partition(";")
        forms = (number.split("=")[1].strip(), rule.split("=", 1)[1].strip().rstrip(";").strip())
    return {
        "messages": len(messages),
        "translated": sum(e.translated and not e.fuzzy for e in messages),
        "fuzzy": sum(e.fuzzy for e in messages),
        "obsolete": len(catalog.obsolete_entries()),
        "keys": sorted((e.msgctxt or "", e.msgid) for e in messages),
        "plural forms": forms,
    }


def written_catalogs(root: Path) -> list[Path]:
    return sorted([*root.glob("locales/*/LC_MESSAGES/*.po"), *root.glob("locales/templates/*.pot")])


@pytest.mark.parametrize("path", written_catalogs(REPO), ids=lambda p: p.name)
def test_translate_toolkit_reads_the_sample_catalogs_as_we_do(path: Path) -> None:
    assert counts_by_translate_toolkit(path) == counts_by_us(read_po_file(path))


def test_translate_toolkit_reads_what_update_and_init_write(project: Path) -> None:
    prepare(project)
    script = project / "scripts_src/episodes/sd-cards.yaml"
    script.write_text(script.read_text().replace("in seconds", "in a few seconds"))
    assert run(project, "extract") == 0
    assert run(project, "update") == 0
    assert run(project, "init", "--lang", "ar") == 0
    paths = written_catalogs(project)
    assert len(paths) == 9  # three templates, three Korean and three Arabic catalogs
    seen = {counts["fuzzy"] for counts in map(counts_by_translate_toolkit, paths)}
    assert seen == {0, 1}  # the edited sentence is fuzzy in Korean
    for path in paths:
        assert counts_by_translate_toolkit(path) == counts_by_us(read_po_file(path)), path.name
