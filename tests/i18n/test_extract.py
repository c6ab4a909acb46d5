"""Extraction: one template per domain, the context contract, and Babel's command line."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline.i18n.extract import template_catalogs, write_templates
from pipeline.i18n.messages import episode_messages, shared_messages
from pipeline.i18n.pofile import PoFile, read_po_file
from pipeline.project.layout import pot_path
from pipeline.project.script import load_project

REPOSITORY = Path(__file__).resolve().parents[2]
NOON = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)


def test_templates_carry_exactly_the_message_contract(project: Path) -> None:
    loaded = load_project(project)
    catalogs = template_catalogs(loaded)
    expected = {("station", m.context, m.text) for m in shared_messages(loaded)} | {
        (e.id, m.context, m.text) for e in loaded.episodes.values() for m in episode_messages(loaded, e)
    }
    found = {
        (domain, entry.msgctxt, entry.msgid) for domain, catalog in catalogs.items() for entry in catalog.messages()
    }
    assert found == expected
    assert list(catalogs) == ["station", "media-ban", "sd-cards"]


def test_each_message_says_where_it_is_who_speaks_it_and_how_long_it_may_take(
    project: Path,
) -> None:
    catalogs = template_catalogs(load_project(project))
    quote = catalogs["media-ban"].find("survey.quote", "We watched with the curtains closed and the volume down.")
    assert quote.references == ["scripts_src/episodes/media-ban.yaml:22"]
    # 10 words at 150 words per minute: 4.0 s; the budget is 1.3 times that.
    assert quote.extracted == [
        "voice: guest",
        "spoken in English: about 4.0 s",
        "budget for the translation: 5.2 s (1.3 × English)",
    ]
    assert quote.flags == []
    ident = catalogs["station"].find("station_ident.parts", "Our programme for {episode_date}: {episode_title}.")
    assert ident.flags == ["python-brace-format"]
    assert ident.references == ["scripts_src/templates/station_ident.yaml:6"]
    name = catalogs["station"].find("station.name", "Open Window Radio")
    assert name.references == ["scripts_src/station.yaml:5"]


def test_extract_writes_only_what_changed(project: Path) -> None:
    loaded = load_project(project)
    first = write_templates(loaded, NOON)
    assert [p.name for p in first.written] == ["station.pot", "media-ban.pot", "sd-cards.pot"]
    before = {p: p.read_bytes() for p in first.written}
    second = write_templates(loaded, NOON + dt.timedelta(days=1))
    assert second.written == []
    assert {p: p.read_bytes() for p in first.written} == before
    assert b"POT-Creation-Date: 2024-03-04 12:00+0000" in before[pot_path(project, "station")]
    for path in first.written:  # templates: only the header fields a template leaves blank warn
        assert subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)]).returncode == 0

    script = project / "scripts_src/episodes/sd-cards.yaml"
    script.write_text(script.read_text().replace("Small cards", "Tiny cards"))
    third = write_templates(load_project(project), NOON + dt.timedelta(days=2))
    assert [p.name for p in third.written] == ["sd-cards.pot"]
    assert b"2024-03-06 12:00+0000" in pot_path(project, "sd-cards").read_bytes()


def test_a_template_of_a_removed_episode_is_removed(project: Path) -> None:
    write_templates(load_project(project), NOON)
    (project / "scripts_src/episodes/sd-cards.yaml").unlink()
    report = write_templates(load_project(project), NOON)
    assert [p.name for p in report.removed] == ["sd-cards.pot"]
    assert not pot_path(project, "sd-cards").exists()


def _by_key(catalogs: list[PoFile]) -> dict[tuple[str | None, str], tuple[object, ...]]:
    """Messages by (context, text): references, notes (as one line) and format flags.

    Babel marks every msgid with a ``%`` followed by a letter as python-format
    ("More than 83% of those ...", which is not a format string); that
    guess is left out of the comparison.
    """
    found = {}
    for catalog in catalogs:
        for entry in catalog.messages():
            notes = " ".join(" ".join(entry.extracted).split())
            flags = sorted(set(entry.flags) - {"python-format"})
            found[entry.key] = (sorted(entry.references), notes, flags)
    return found


def test_pybabel_extract_finds_the_same_messages(project: Path) -> None:
    shutil.copy(REPOSITORY / "babel.cfg", project / "babel.cfg")
    (project / "tests").mkdir()
    shutil.copytree(project / "scripts_src", project / "tests" / "scripts_src")  # ignored
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-o", "babel.pot", "."],
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ours = _by_key(list(template_catalogs(load_project(project)).values()))
    theirs = _by_key([read_po_file(project / "babel.pot")])
    assert theirs == ours
    assert len(ours) == 20


def test_pybabel_stops_with_the_projects_own_errors(project: Path) -> None:
    shutil.copy(REPOSITORY / "babel.cfg", project / "babel.cfg")
    script = project / "scripts_src/episodes/sd-cards.yaml"
    script.write_text(script.read_text().replace("template: explainer", "template: lecture"))
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-o", "babel.pot", "."],
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        "scripts_src/episodes/sd-cards.yaml:8: segments[1].template: unknown template 'lecture' "
        "(known: explainer, news_story, sign_off, station_ident)"
    ) in result.stderr
    assert "Traceback" not in result.stderr
