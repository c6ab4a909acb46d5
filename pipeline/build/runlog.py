"""What a build tells the people watching it: progress, plain log lines, a JSON-lines log.

Entry points: :class:`BuildObserver` (the events a build reports),
:func:`observers_for` (a progress bar with counts and ETA on a terminal,
plain one-line-per-event output otherwise, plus the JSON-lines log under
``output/_logs/``) and :class:`Fanout`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipeline.project.layout import LOGS_FOLDER

if TYPE_CHECKING:
    from pipeline.build.orchestrator import BuildReport, TargetOutcome
    from pipeline.build.segments import SegmentJob, SegmentMade


class BuildObserver(Protocol):
    """Events of a build run, in order: start, job_done/target_done many times, finish."""

    def note(self, message: str) -> None: ...

    def start(self, targets: int, jobs: int) -> None: ...

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None: ...

    def target_done(self, outcome: TargetOutcome) -> None: ...

    def finish(self, report: BuildReport) -> None: ...


class NullObserver:
    """Reports nothing."""

    def note(self, message: str) -> None:
        """Nothing."""

    def start(self, targets: int, jobs: int) -> None:
        """Nothing."""

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """Nothing."""

    def target_done(self, outcome: TargetOutcome) -> None:
        """Nothing."""

    def finish(self, report: BuildReport) -> None:
        """Nothing."""


class Fanout(NullObserver):
    """Passes every event to several observers."""

    def __init__(self, *observers: BuildObserver) -> None:
        self.observers = observers

    def note(self, message: str) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.note(message)

    def start(self, targets: int, jobs: int) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.start(targets, jobs)

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.job_done(job, made, error, seconds)

    def target_done(self, outcome: TargetOutcome) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.target_done(outcome)

    def finish(self, report: BuildReport) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.finish(report)


class PlainLines(NullObserver):
    """One line per finished segment file and output folder, for logs and pipes."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.total = 0
        self.done = 0

    def note(self, message: str) -> None:
        """A remark worth a line of its own."""
        self._print(f"note: {message}")

    def start(self, targets: int, jobs: int) -> None:
        """Announce the amount of work."""
        self.total = jobs
        self._print(f"building {targets} folder(s): {jobs} segment file(s) to make")

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """``[3/40] radio-reach/ko/03-story.mp3 made in 1.2 s``."""
        self.done += 1
        state = f"FAILED: {error}" if error else f"made in {made.seconds if made else seconds:.1f} s"
        self._print(f"[{self.done}/{self.total}] {job.label} {state}")

    def target_done(self, outcome: TargetOutcome) -> None:
        """``radio-reach [ko, player]: built``."""
        self._print(f"{outcome.label}: {outcome.status}")

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class ProgressBar(NullObserver):
    """A live progress bar with counts, elapsed time and ETA (terminals only)."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            transient=True,
        )
        self.task: Any = None

    def note(self, message: str) -> None:
        """Print above the bar."""
        self.progress.console.print(f"note: {message}", highlight=False, markup=False)

    def start(self, targets: int, jobs: int) -> None:
        """Show the bar."""
        self.progress.start()
        self.task = self.progress.add_task(f"{targets} folders", total=jobs)

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """Advance; print failures above the bar."""
        self.progress.advance(self.task)
        if error:
            self.progress.console.print(f"[red]failed[/red] {escape(job.label)}: {escape(error)}", highlight=False)

    def finish(self, report: BuildReport) -> None:
        """Remove the bar."""
        self.progress.stop()


class JsonLog(NullObserver):
    """``output/_logs/build-<time>-<pid>.jsonl``: one JSON object per event, for machines."""

    def __init__(self, out: Path) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.path = out / LOGS_FOLDER / f"build-{stamp}-{os.getpid()}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = self.path.open("a", encoding="utf-8")

    def note(self, message: str) -> None:
        """A remark."""
        self._write("note", message=message)

    def start(self, targets: int, jobs: int) -> None:
        """The run's size."""
        self._write("start", targets=targets, jobs=jobs)

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """One segment file made or failed."""
        fields: dict[str, Any] = {"file": job.label, "seconds": round(made.seconds if made else seconds, 3)}
        if made is not None:
            fields |= {"duration": made.duration, "synthesised": made.synthesised, "cached": made.cached,
                       "loudness_lufs": made.loudness_lufs, "true_peak_dbtp": made.true_peak_dbtp}  # fmt: skip
        self._write("segment", status="failed" if error else "made", error=error, **fields)

    def target_done(self, outcome: TargetOutcome) -> None:
        """One output folder finished."""
        self._write(
            "folder",
            episode=outcome.episode,
            lang=outcome.lang,
            profile=outcome.profile,
            status=outcome.status,
            folder=str(outcome.folder) if outcome.folder else None,
            errors=outcome.errors,
        )

    def finish(self, report: BuildReport) -> None:
        """The summary, then close the file."""
        self._write(
            "finish",
            seconds=round(report.seconds, 2),
            exit_code=report.exit_code,
            outcomes=[
                {"episode": o.episode, "lang": o.lang, "profile": o.profile, "status": o.status,
                 "audio_seconds": round(o.audio_seconds, 1), "untranslated_seconds": o.untranslated_seconds,
                 "missing": [str(m) for m in o.missing], "errors": o.errors}
                for o in report.outcomes
            ],
        )  # fmt: skip
        self.stream.close()

    def _write(self, event: str, **fields: Any) -> None:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "event": event,
            **fields,
        }
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()


def observers_for(out: Path, interactive: bool | None = None) -> tuple[BuildObserver, JsonLog]:
    """A progress bar on a terminal (plain lines otherwise) together with the JSON-lines log."""
    if interactive is None:
        interactive = sys.stderr.isatty()
    screen: BuildObserver = ProgressBar() if interactive else PlainLines(sys.stderr)
    log = JsonLog(out)
    return Fanout(screen, log), log
