"""What a build tells the people watching it: progress, plain log lines, a JSON-lines log.

Entry points: :class:`BuildObserver` (the events a build reports),
:func:`observers_for` (a progress bar with counts and ETA on a terminal,
plain one-line-per-event output otherwise, plus the JSON-lines log under
``output/_logs/``) and :class:`Fanout`.

The JSON-lines log (``output/_logs/build-<UTC time>-<pid>.jsonl``, the time to the
millisecond; the last
:data:`KEEP_LOGS` kept) has one object per line, each with ``time`` (ISO 8601
UTC with milliseconds) and ``event``:

- ``note``: ``message``
- ``start``: ``targets`` (output folders), ``jobs`` (segment files to make),
  ``workers`` (worker processes it uses at most)
- ``retracted``: ``folders`` (output folders no script makes any more)
- ``segment``: ``episode``, ``lang``, ``segment``, ``file``, ``status``
  (made/failed), ``seconds``, ``error``, and
  for a made file ``duration``, ``synthesised``, ``cached``, ``loudness_lufs``,
  ``true_peak_dbtp``
- ``folder``: one for every output folder of the run, whatever its status:
  ``episode``, ``lang``, ``profile``, ``status``, ``folder``, ``stale``,
  ``made``, ``segments``, ``untranslated_seconds``, ``dropped_seconds``,
  ``problems`` (each ``episode``, ``lang``, ``kind``, ``file``, ``line``,
  ``msgctxt``, ``segment``, ``message``)
- ``interrupted``: ``signal`` (``SIGTERM``…), when a signal stopped the run
- ``finish``: ``seconds``, ``exit_code``, ``verdict``, ``subset``,
  ``interrupted``, ``retracted``, ``outcomes`` (the ``folder`` fields of each)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from pipeline.build.outcomes import signal_name
from pipeline.project.layout import LOGS_FOLDER

if TYPE_CHECKING:
    from pipeline.build.outcomes import BuildReport, TargetOutcome
    from pipeline.build.segments import SegmentJob, SegmentMade

KEEP_LOGS = 30


class BuildObserver(Protocol):
    """Events of a build run, in order: start, retracted, job_done/target_done many times,
    interrupted (when a signal stopped it), finish."""

    def note(self, message: str) -> None: ...

    def start(self, targets: int, jobs: int, workers: int) -> None: ...

    def retracted(self, folders: list[str]) -> None: ...

    def interrupted(self, signal: str) -> None: ...

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None: ...

    def target_done(self, outcome: TargetOutcome) -> None: ...

    def finish(self, report: BuildReport) -> None: ...


class NullObserver:
    """Reports nothing."""

    def note(self, message: str) -> None:
        """Nothing."""

    def start(self, targets: int, jobs: int, workers: int) -> None:
        """Nothing."""

    def retracted(self, folders: list[str]) -> None:
        """Nothing."""

    def interrupted(self, signal: str) -> None:
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

    def start(self, targets: int, jobs: int, workers: int) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.start(targets, jobs, workers)

    def retracted(self, folders: list[str]) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.retracted(folders)

    def interrupted(self, signal: str) -> None:
        """Tell everyone."""
        for observer in self.observers:
            observer.interrupted(signal)

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

    def start(self, targets: int, jobs: int, workers: int) -> None:
        """Announce the amount of work."""
        self.total = jobs
        self._print(f"building {targets} folder(s): {jobs} segment file(s) to make on {workers} worker(s)")

    def retracted(self, folders: list[str]) -> None:
        """Output folders whose episode script is gone."""
        self._print(retracted_line(folders))

    def interrupted(self, signal: str) -> None:
        """The run was stopped."""
        self._print(f"interrupted by {signal}: workers stopped")

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
        # rich is imported for a terminal only: a build run by cron does not pay for it
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

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

    def start(self, targets: int, jobs: int, workers: int) -> None:
        """Show the bar."""
        self.progress.start()
        self.task = self.progress.add_task(f"{targets} folders", total=jobs)

    def retracted(self, folders: list[str]) -> None:
        """Print above the bar."""
        self.note(retracted_line(folders))

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """Advance; print failures above the bar."""
        self.progress.advance(self.task)
        if error:
            from rich.markup import escape

            self.progress.console.print(f"[red]failed[/red] {escape(job.label)}: {escape(error)}", highlight=False)

    def finish(self, report: BuildReport) -> None:
        """Remove the bar."""
        self.progress.stop()


class JsonLog(NullObserver):
    """``output/_logs/build-<time>-<pid>.jsonl``: one JSON object per event, for machines
    (the events and their fields are listed in the module docstring)."""

    def __init__(self, out: Path) -> None:
        self.path = out / LOGS_FOLDER / f"build-{file_stamp()}-{os.getpid()}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = self.path.open("a", encoding="utf-8")
        keep_newest(self.path.parent, "build-*.jsonl", KEEP_LOGS)

    def note(self, message: str) -> None:
        """A remark."""
        self._write("note", message=message)

    def start(self, targets: int, jobs: int, workers: int) -> None:
        """The run's size."""
        self._write("start", targets=targets, jobs=jobs, workers=workers)

    def retracted(self, folders: list[str]) -> None:
        """Output folders whose episode script is gone."""
        self._write("retracted", folders=folders)

    def interrupted(self, signal: str) -> None:
        """A signal stopped the run."""
        self._write("interrupted", signal=signal)

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        """One segment file made or failed."""
        fields: dict[str, Any] = {
            "episode": job.destination.parent.parent.name,
            "lang": job.tags.lang,
            "segment": job.segment.id,
            "file": job.label,
            "seconds": round(made.seconds if made else seconds, 3),
        }
        if made is not None:
            fields |= {"duration": made.duration, "synthesised": made.synthesised, "cached": made.cached,
                       "loudness_lufs": made.loudness_lufs, "true_peak_dbtp": made.true_peak_dbtp}  # fmt: skip
        self._write("segment", status="failed" if error else "made", error=error, **fields)

    def target_done(self, outcome: TargetOutcome) -> None:
        """One output folder finished (or not built, with why)."""
        self._write("folder", **folder_fields(outcome))

    def finish(self, report: BuildReport) -> None:
        """The summary, then close the file."""
        self._write(
            "finish",
            seconds=round(report.seconds, 2),
            exit_code=report.exit_code,
            verdict=report.verdict(),
            subset=report.subset or None,
            interrupted=signal_name(report.interrupted) or None,
            retracted=[str(folder) for folder in report.retracted],
            outcomes=[folder_fields(o) for o in report.outcomes],
        )
        self.stream.close()

    def _write(self, event: str, **fields: Any) -> None:
        record = {"time": iso_now(), "event": event, **fields}
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()


def folder_fields(outcome: TargetOutcome) -> dict[str, Any]:
    """What the log says about one output folder."""
    return {
        "episode": outcome.episode,
        "lang": outcome.lang,
        "profile": outcome.profile,
        "status": outcome.status,
        "folder": str(outcome.folder) if outcome.folder else None,
        "stale": outcome.stale,
        "segments": outcome.segments,
        "made": outcome.made,
        "audio_seconds": round(outcome.audio_seconds, 1),
        "untranslated_seconds": outcome.untranslated_seconds,
        "dropped_seconds": outcome.dropped_seconds,
        "notes": outcome.notes,
        "problems": [
            {"episode": outcome.episode, "lang": outcome.lang, **problem.fields()} for problem in outcome.problems()
        ],
    }


def file_stamp(when: float | None = None) -> str:
    """``20261205T081106.123Z``: UTC to the millisecond, for file names that sort by time."""
    moment = dt.datetime.fromtimestamp(time.time() if when is None else when, dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_now() -> str:
    """``2026-12-05T08:11:06.123Z``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def keep_newest(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest files matching ``pattern`` (names sort by time); return those deleted."""
    files = sorted(folder.glob(pattern))
    old = files[:-keep] if keep else files
    for path in old:
        path.unlink(missing_ok=True)
    return old


def retracted_line(folders: list[str]) -> str:
    """One line naming the output folders no script makes any more."""
    return (
        f"{len(folders)} output folder(s) no script makes any more: {', '.join(folders)} "
        "('pipeline clean --retracted' removes them)"
    )


def observers_for(out: Path, interactive: bool | None = None) -> tuple[BuildObserver, JsonLog]:
    """A progress bar on a terminal (plain lines otherwise) together with the JSON-lines log."""
    if interactive is None:
        interactive = sys.stderr.isatty()
    screen: BuildObserver = ProgressBar() if interactive else PlainLines(sys.stderr)
    log = JsonLog(out)
    return Fanout(screen, log), log
