"""The ``pipeline ingest`` command: options, report, settings file errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import ValidationFailed
from pipeline.ingest import ingest_file, load_context
from pipeline.ingest.settings import load_ingest_settings
from tests.ingest.helpers import INGEST_DATA

DOC = INGEST_DATA / "004_9fbb84ea6802f53d.txt"


def test_report_prints_every_dropped_line_with_reason(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["ingest", "--project", str(project_root), "--out", str(tmp_path), "--report"]
    assert main([*args, str(DOC)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "tests/data/ingest/004_9fbb84ea6802f53d.txt: 15 lines dropped; 3 segments" in out
    assert "tests/data/ingest/004_9fbb84ea6802f53d.txt:36: end-of-article marker: More Stories" in out


def test_report_can_be_written_to_a_file(tmp_path: Path, project_root: Path) -> None:
    report = tmp_path / "dropped.txt"
    args = ["ingest", "--project", str(project_root), "--out", str(tmp_path / "d")]
    assert main([*args, "--report-file", str(report), str(DOC)]) == 0
    assert ":32: page footer after the article: Sarah Childress" in report.read_text("utf-8")


def test_publication_option_sets_the_spoken_credit(tmp_path: Path, project_root: Path) -> None:
    args = ["ingest", "--project", str(project_root), "--out", str(tmp_path)]
    assert main([*args, "--publication", "FRONTLINE", str(DOC)]) == 0
    (draft,) = tmp_path.glob("*.yaml")
    text = draft.read_text("utf-8")
    assert '  - publication: "FRONTLINE"' in text
    assert '    source: "FRONTLINE"' in text


def test_max_seconds_out_of_range_is_a_usage_error(project_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--project", str(project_root), "--max-seconds", "5", str(DOC)]) == 2
    assert capsys.readouterr().err == "--max-seconds must be between 15 and 1800, got 5\n"


def test_folders_are_expanded_to_the_documents_inside(tmp_path: Path, project_root: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DOC, folder / DOC.name)
    shutil.copy(INGEST_DATA / "listening_at_night.html", folder)
    args = ["ingest", "--project", str(project_root), "--out", str(tmp_path / "out")]
    assert main([*args, str(folder)]) == 0
    assert len(list((tmp_path / "out").glob("*.yaml"))) == 2


def test_bad_ingest_settings_are_reported_with_file_and_line(tmp_path: Path, project_root: Path) -> None:
    shutil.copytree(project_root / "scripts_src", tmp_path / "scripts_src")
    (tmp_path / "scripts_src/ingest.yaml").write_text(
        "call_to_action:\n  - donate\n  - 12\n  - donate\nsurprise: true\n", encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as failed:
        load_ingest_settings(tmp_path)
    assert str(failed.value).splitlines() == [
        "scripts_src/ingest.yaml:3: call_to_action[1]: expected text, got a number",
        "scripts_src/ingest.yaml:4: call_to_action[2]: 'donate' is listed twice",
        "scripts_src/ingest.yaml:5: surprise: unknown key 'surprise' (known: call_to_action, "
        "caption_words, end_of_article, stop_lines, block_headings, date_labels, furniture, "
        "furniture_max_words, publishers, opening, closing, unknown_publication)",
    ]


def test_stop_lists_come_from_ingest_yaml(tmp_path: Path, project_root: Path) -> None:
    shutil.copytree(project_root / "scripts_src", tmp_path / "scripts_src")
    (tmp_path / "scripts_src/ingest.yaml").write_text("stop_lines: [check local listings here]\n", encoding="utf-8")
    source = tmp_path / "doc.txt"
    source.write_text(
        DOC.read_text("utf-8").replace(
            "tomorrow. Check local listings here.", "tomorrow.\n\nCheck local listings here."
        ),
        "utf-8",
    )
    result = ingest_file(source, load_context(tmp_path))
    reasons = {label.text: label.reason for label in result.dropped}
    assert reasons["Check local listings here."] == "stop-list line"


def test_id_title_date_and_publication_options(tmp_path: Path, project_root: Path) -> None:
    args = ["ingest", "--project", str(project_root), "--out", str(tmp_path)]
    options = ["--id", "five-ways", "--title", "Five ways people push back", "--date", "2014-01-14"]
    assert main([*args, *options, "--publication", "FRONTLINE (PBS)", str(DOC)]) == 0
    text = (tmp_path / "five-ways.yaml").read_text("utf-8")
    assert "id: five-ways\n" in text
    assert 'title: "Five ways people push back"\n' in text
    assert "date: 2014-01-14\n" in text
    assert '    title: "Five Ways North Koreans Are Defying the Regime"\n' in text  # the source's own title
    assert '    source: "FRONTLINE (PBS)"' in text
    assert "# Check:" not in text  # nothing was guessed


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--id",
            "Five Ways",
            "--id must be a safe file name (a-z, 0-9, '-', '_'; at most 48 characters; not 'station'), got 'Five Ways'",
        ),
        (
            "--id",
            "station",
            "--id must be a safe file name (a-z, 0-9, '-', '_'; at most 48 characters; not 'station'), got 'station'",
        ),
        ("--date", "2014-02-30", "--date must be a date written YYYY-MM-DD, got '2014-02-30'"),
        ("--date", "14/01/2014", "--date must be a date written YYYY-MM-DD, got '14/01/2014'"),
        ("--title", "   ", "--title must not be empty"),
        ("--publication", "", "--publication must not be empty"),
        ("--title", "x" * 201, "--title is 201 characters long (limit 200)"),
    ],
)
def test_bad_option_values_are_one_line_usage_errors(
    option: str, value: str, message: str, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "--project", str(project_root), option, value, str(DOC)]) == 2
    assert capsys.readouterr().err == message + "\n"


def test_id_with_several_documents_is_a_usage_error(project_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = str(INGEST_DATA / "listening_at_night.html")
    assert main(["ingest", "--project", str(project_root), "--id", "one", str(DOC), html]) == 2
    assert capsys.readouterr().err == "--id and --title name one article; 2 documents were given\n"


def test_title_for_a_page_of_several_articles_is_refused(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = str(INGEST_DATA / "000_ad00472382e1c3b8.txt")
    assert main(["ingest", "--project", str(project_root), "--out", str(tmp_path), "--title", "T", page]) == 1
    assert capsys.readouterr().err == (
        "tests/data/ingest/000_ad00472382e1c3b8.txt: --id and --title name one article, but the document "
        "holds 2; ingest it without them, or save each article on its own\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_edited_draft_is_never_overwritten(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    shutil.copytree(project_root / "scripts_src", project / "scripts_src")
    out = project / "scripts_src/drafts"
    args = ["ingest", "--project", str(project), str(DOC)]
    assert main(args) == 0
    (draft,) = out.glob("*.yaml")
    first = draft.read_text("utf-8")
    assert (project / ".cache/ingest/written.json").is_file()
    # Unedited: ingest may replace it (here with a different max length).
    assert main([*args, "--max-seconds", "45"]) == 0
    assert draft.read_text("utf-8") != first
    assert list(out.glob("*.new.yaml")) == []
    # Edited by the producer: left alone, the new draft goes beside it.
    edited = draft.read_text("utf-8").replace("# Edit freely.", "# Edited by hand.")
    draft.write_text(edited, "utf-8")
    capsys.readouterr()
    assert main(args) == 0
    assert draft.read_text("utf-8") == edited
    beside = draft.with_name(draft.name.replace(".yaml", ".new.yaml"))
    assert beside.read_text("utf-8") == first
    err = capsys.readouterr().err
    shown = draft.relative_to(project).as_posix()
    assert f"{shown}: note: edited since ingest wrote it; left as it is, the new draft is {shown[:-5]}.new.yaml" in err
    # The .new.yaml is ingest's own until edited: run again, it is rewritten in place.
    assert main([*args, "--max-seconds", "45"]) == 0
    assert draft.read_text("utf-8") == edited and beside.read_text("utf-8") != first
    # Both edited: nothing is written, one line, exit status 1.
    beside.write_text("# mine too\n" + beside.read_text("utf-8"), "utf-8")
    before = beside.read_text("utf-8")
    capsys.readouterr()
    assert main(args) == 1
    assert beside.read_text("utf-8") == before
    assert capsys.readouterr().err == (
        f"{shown}: error: edited since ingest wrote it, and so was {draft.stem}.new.yaml beside it; "
        "the new draft was not written\n"
    )


def test_a_draft_ingest_has_no_record_of_counts_as_edited(tmp_path: Path, project_root: Path) -> None:
    out = tmp_path / "drafts"
    args = ["ingest", "--project", str(project_root), "--out", str(out), "--id", "five-ways", str(DOC)]
    out.mkdir()
    (out / "five-ways.yaml").write_text("id: five-ways\n", "utf-8")
    assert main(args) == 0
    assert (out / "five-ways.yaml").read_text("utf-8") == "id: five-ways\n"
    assert (out / "five-ways.new.yaml").is_file()
