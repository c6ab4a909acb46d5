"""The build summary on the terminal: every row for a small build, the busy rows of a catalogue."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.build import report as report_module
from pipeline.build.orchestrator import BuildReport, TargetOutcome, TargetStatus
from pipeline.build.report import FULL_TABLE_ROWS, print_summary, write_html_report
from pipeline.build.runlog import ProgressBar


def outcomes(count: int, status: TargetStatus, folder: Path) -> list[TargetOutcome]:
    return [
        TargetOutcome(f"ep-{number:04d}", "ko", "player", status, folder=folder / f"ep-{number:04d}" / "ko")
        for number in range(count)
    ]


def test_a_small_summary_shows_every_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    print_summary(BuildReport(outcomes(3, "unchanged", tmp_path)))
    out = capsys.readouterr().out
    assert out.count("unchanged") == 4 and out.count("files in") == 3  # three rows and the verdict
    assert "3 unchanged — exit 0" in out
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


def test_a_report_that_cannot_be_written_leaves_no_earlier_page_as_the_latest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = write_html_report(BuildReport(outcomes(2, "built", tmp_path)), tmp_path, when=1_700_000_000)
    assert earlier.name == "index.html" and earlier.exists()
    written = report_module.atomic_write_text

    def disk_full_for_the_index(path: Path, text: str) -> None:
        if path.name == "index.html":
            raise OSError(28, "No space left on device", str(path))
        written(path, text)

    monkeypatch.setattr(report_module, "atomic_write_text", disk_full_for_the_index)
    with pytest.raises(OSError):
        write_html_report(BuildReport(outcomes(2, "failed", tmp_path)), tmp_path, when=1_700_000_100)
    assert not earlier.exists()  # the earlier run's verdict is gone, not shown as this run's
    assert len(list((earlier.parent / "runs").glob("*.html"))) == 2  # each run's own page is kept whole


def test_the_progress_bar_on_a_terminal_prints_notes_and_failures(capsys: pytest.CaptureFixture[str]) -> None:
    bar = ProgressBar()
    bar.start(targets=1, jobs=2, workers=1)
    bar.note("a [bracketed] note")
    bar.job_done(SimpleNamespace(label="ep/ko/01-[x].mp3"), None, "engine failed [red]", 0.5)  # type: ignore[arg-type]
    bar.finish(BuildReport())
    shown = capsys.readouterr().out
    assert "note: a [bracketed] note" in shown
    assert "failed ep/ko/01-[x].mp3: engine failed [red]" in shown  # shown as written, not as markup
