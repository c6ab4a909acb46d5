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
        "caption_words, end_of_article, stop_lines, unknown_publication)",
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
