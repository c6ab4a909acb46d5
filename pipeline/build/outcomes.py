"""What a build did: one outcome per output folder, the problems found, and the exit status.

Entry points: :class:`BuildReport` (every :class:`TargetOutcome`, translation
:class:`Coverage` per target language, retracted folders, whether the run was
interrupted) with its :attr:`~BuildReport.exit_code` and
:meth:`~BuildReport.verdict`, and :class:`BuildProblem` (one problem with the
fields a machine needs: kind, file, line, msgctxt, segment).

Exit statuses, for cron and systemd (documented in ``pipeline build --help``
and the README):

====  =========================================================================
0     everything asked for was built (or already up to date)
1     something failed
2     a usage or configuration error (nothing was built)
3     nothing failed, but some folders are waiting for translation
      (``incomplete``, or ``partial`` when built with ``--allow-incomplete``)
128+N the build was stopped by signal N (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM)
====  =========================================================================
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.render import MissingTranslation

EXIT_BUILT = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WAITING = 3

# Built, unchanged, partial (built without some segments), incomplete (waiting for translation,
# not built), failed, interrupted (not finished when a signal stopped the run); in a dry run,
# "to build" or "up to date".
TargetStatus = Literal["built", "unchanged", "partial", "incomplete", "failed", "interrupted", "to build", "up to date"]

DONE = ("built", "unchanged", "up to date", "to build")  # nothing wrong (the last two: dry run)
WAITING = ("incomplete", "partial")  # waiting for translation
FAILED = ("failed",)
NOT_FINISHED = ("interrupted",)


@dataclass(frozen=True)
class BuildProblem:
    """One problem of one output folder, printable as one compiler-style line."""

    # untranslated, fuzzy, missing, invalid, refused (a lookup's status), dropped, catalog, voice,
    # segment, assemble, stopped, interrupted
    kind: str
    text: str  # the line shown to people
    file: str | None = None
    line: int | None = None
    msgctxt: str | None = None
    segment: str | None = None

    def __str__(self) -> str:
        return self.text

    @classmethod
    def missing(cls, message: MissingTranslation) -> BuildProblem:
        """A string the language cannot speak yet."""
        where = message.location
        return cls(message.lookup.status, str(message), where.path, where.line, message.context, message.segment_id)

    def fields(self) -> dict[str, object]:
        """The structured fields, for the JSON-lines log."""
        return {"kind": self.kind, "file": self.file, "line": self.line, "msgctxt": self.msgctxt,
                "segment": self.segment, "message": self.text}  # fmt: skip


@dataclass
class TargetOutcome:
    """What happened (or, in a dry run, would happen) to one episode × language × profile."""

    episode: str
    lang: str
    profile: str
    status: TargetStatus
    folder: Path | None = None
    audio_seconds: float = 0.0
    segments: int = 0
    made: int = 0  # segment files made this run
    synthesised: int = 0
    cached: int = 0
    files_written: int = 0
    missing: list[MissingTranslation] = field(default_factory=list)
    untranslated_seconds: float = 0.0  # source speech of the missing strings (blocked seconds)
    dropped: list[BuildProblem] = field(default_factory=list)  # segments left out, one problem each
    dropped_seconds: float = 0.0  # source speech of the segments left out
    errors: list[BuildProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # file → why it must be made
    stale: bool = False  # not built this run, but the folder holds an older build

    @property
    def label(self) -> str:
        """``radio-reach [ko, player]``."""
        return f"{self.episode} [{self.lang}, {self.profile}]"

    def problems(self) -> list[BuildProblem]:
        """Every missing string, dropped segment and error, in that order."""
        return [BuildProblem.missing(m) for m in self.missing] + self.dropped + self.errors


@dataclass
class Coverage:
    """How much of one target language's text can be spoken."""

    messages: int = 0
    missing: int = 0
    seconds_blocked: float = 0.0


@dataclass
class BuildReport:
    """Every target's outcome, translation coverage per target language, and how the run ended."""

    outcomes: list[TargetOutcome] = field(default_factory=list)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    seconds: float = 0.0
    dry_run: bool = False
    subset: str = ""  # what a run that did not build the whole catalogue was limited to
    retracted: list[Path] = field(default_factory=list)  # output folders no script makes any more
    interrupted: int | None = None  # the signal that stopped the run

    @property
    def exit_code(self) -> int:
        """The process exit status (see the module docstring)."""
        if self.interrupted is not None:
            return 128 + self.interrupted
        statuses = {o.status for o in self.outcomes}
        if statuses & set(FAILED):
            return EXIT_FAILED
        if statuses & set(WAITING):
            return EXIT_WAITING
        return EXIT_BUILT

    def verdict(self) -> str:
        """One line: ``2 failed, 1 waiting for translation, 33 built, 1,000 unchanged — exit 3``
        (folders already up to date are counted apart from those this run made)."""
        done = sum(o.status in DONE for o in self.outcomes)
        unchanged = 0 if self.dry_run else sum(o.status == "unchanged" for o in self.outcomes)
        built = "to build or up to date" if self.dry_run else "built"
        counts = [
            (sum(o.status in FAILED for o in self.outcomes), "failed"),
            (sum(o.status in WAITING for o in self.outcomes), "waiting for translation"),
            (sum(o.status in NOT_FINISHED for o in self.outcomes), "not finished"),
            (done - unchanged, built),
            (unchanged, "unchanged"),
        ]
        # Counts of none are left out, but a run with nothing done says so ("0 built").
        parts = [f"{count:,} {what}" for count, what in counts if count or (what == built and not done)]
        head = f"interrupted by {signal_name(self.interrupted)}: " if self.interrupted is not None else ""
        return f"{head}{', '.join(parts)} — exit {self.exit_code}"


def signal_name(number: int | None) -> str:
    """``SIGTERM`` for 15."""
    if number is None:
        return ""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
