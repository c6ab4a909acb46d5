"""The build summary on the terminal: every row for a small build, the busy rows of a catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.build.orchestrator import BuildReport, TargetOutcome, TargetStatus
from pipeline.build.report import FULL_TABLE_ROWS, print_summary


def outcomes(count: int, status: TargetStatus, folder: Path) -> list[TargetOutcome]:
    return [
        TargetOutcome(f"ep-{number:04d}", "ko", "player", status, folder=folder / f"ep-{number:04d}" / "ko")
        for number in range(count)
    ]


def test_a_small_summary_shows_every_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    print_summary(BuildReport(outcomes(3, "unchanged", tmp_path)))
    out = capsys.readouterr().out
    assert out.count("unchanged") == 3 and out.count("files in") == 3
    assert "more folders" not in out


def test_a_catalogues_summary_counts_its_unchanged_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = BuildReport(outcomes(FULL_TABLE_ROWS + 40, "unchanged", tmp_path))
    report.outcomes[7].status = "built"
    report.outcomes[9].status = "failed"
    report.outcomes[9].errors = ["01-opening.mp3: espeak-ng failed"]
    print_summary(report)
    captured = capsys.readouterr()
    assert "ep-0007" in captured.out and "ep-0009" in captured.out and "ep-0010" not in captured.out
    assert f"{FULL_TABLE_ROWS + 38} more folders unchanged or up to date (every row: the HTML report)" in captured.out
    assert captured.out.count("files in") == 1  # the folder just built
    assert "ep-0009 [ko, player]: 01-opening.mp3: espeak-ng failed" in captured.err
