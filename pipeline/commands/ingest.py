"""``pipeline ingest PATH ...``: turn saved web documents into draft episode scripts.

Entry point: :func:`register`. Each document is read, cleaned, structured and
cut into segments by :mod:`pipeline.ingest`; each article becomes one draft
YAML file in ``--out``. A document that cannot be ingested gets one line on
stderr (``path: message``) and the others are still ingested; the exit status
is 1 when any document failed. ``--report`` (stdout) and ``--report-file``
list every dropped line with its reason. ``--id``, ``--title``, ``--date``
and ``--publication`` set what the page does not say, or says wrongly. A
draft the producer edited is never overwritten: the new one is written beside
it as ``<id>.new.yaml`` and the command says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections import Counter
from pathlib import Path

from pipeline.commands import project_root
from pipeline.errors import UsageError, display_path
from pipeline.fsutil import atomic_write_text
from pipeline.ingest import (
    DEFAULT_MAX_SECONDS,
    LEDGER_FILE,
    Draft,
    FileResult,
    IngestOptions,
    WrittenDraft,
    ingest_file,
    load_context,
    write_drafts,
)
from pipeline.ingest.read import SUFFIXES
from pipeline.project.layout import DRAFTS_DIR
from pipeline.project.schema import SLUG_MAX, is_safe_slug
from pipeline.project.script import SHARED_DOMAIN

MIN_MAX_SECONDS = 15.0
MAX_MAX_SECONDS = 1800.0
MAX_NAME_CHARS = 200


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``ingest`` command."""
    parser = subparsers.add_parser(
        "ingest",
        parents=[common],
        help="turn saved web documents (.txt, .md, .html) into draft episode scripts",
        description="Read documents, drop page furniture, and write one draft episode script per article.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="documents, or folders holding them")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help=f"where drafts are written (default: {DRAFTS_DIR.as_posix()} of the project)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=DEFAULT_MAX_SECONDS,
        metavar="N",
        help=f"longest estimated segment, in seconds (default: {DEFAULT_MAX_SECONDS:g})",
    )
    parser.add_argument(
        "--publication",
        metavar="NAME",
        help="publisher credited in the drafts (instead of the one found in the page)",
    )
    parser.add_argument("--id", dest="episode_id", metavar="ID", help="the draft's id and file name (one article)")
    parser.add_argument("--title", metavar="TEXT", help="the draft's title and spoken headline (one article)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the article's publication date (instead of a guess)")
    parser.add_argument("--report", action="store_true", help="print every dropped line and why on stdout")
    parser.add_argument("--report-file", metavar="FILE", help="write the same list of dropped lines to FILE")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Ingest every document named; return 1 when any of them failed."""
    root = project_root(args)
    if not MIN_MAX_SECONDS <= args.max_seconds <= MAX_MAX_SECONDS:
        raise UsageError(
            f"--max-seconds must be between {MIN_MAX_SECONDS:g} and {MAX_MAX_SECONDS:g}, got {args.max_seconds:g}"
        )
    options = options_from(args)
    paths = documents(args.paths)
    if options.names_one_article and len(paths) > 1:
        raise UsageError(f"--id and --title name one article; {len(paths)} documents were given")
    out_dir = Path(args.out) if args.out else root / DRAFTS_DIR
    _check_targets(out_dir, args.report_file)
    context = load_context(root)
    results = [ingest_file(path, context, options) for path in paths]
    written: dict[str, str] = {}
    failed = False
    for result in results:
        failed |= not _write(result, out_dir, root, written)
    if args.report or args.report_file:
        _report(results, args.report, args.report_file)
    return 1 if failed or any(result.error for result in results) else 0


def options_from(args: argparse.Namespace) -> IngestOptions:
    """The checked ``--max-seconds``, ``--publication``, ``--id``, ``--title`` and ``--date``."""
    return IngestOptions(
        max_seconds=args.max_seconds,
        publication=_name(args.publication, "--publication"),
        episode_id=_episode_id(args.episode_id),
        title=_name(args.title, "--title"),
        date=_date(args.date),
    )


def _name(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        raise UsageError(f"{option} must not be empty")
    if len(text) > MAX_NAME_CHARS:
        raise UsageError(f"{option} is {len(text)} characters long (limit {MAX_NAME_CHARS})")
    if not text.isprintable():
        raise UsageError(f"{option} holds a control character")
    return text


def _episode_id(value: str | None) -> str | None:
    if value is None:
        return None
    if not is_safe_slug(value) or value == SHARED_DOMAIN:
        raise UsageError(
            f"--id must be a safe file name (a-z, 0-9, '-', '_'; at most {SLUG_MAX} characters"
            f"; not '{SHARED_DOMAIN}'), got {value!r}"
        )
    return value


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    problem = UsageError(f"--date must be a date written YYYY-MM-DD, got {value!r}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise problem
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise problem from None


def _check_targets(out_dir: Path, report_file: str | None) -> None:
    """Refuse, before any work, an output folder that is a file or a report file that is a folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: is a file, not a folder for drafts")
    if report_file and Path(report_file).is_dir():
        raise UsageError(f"--report-file {report_file}: is a folder, not a file")


def documents(paths: list[str]) -> list[Path]:
    """The files named, with folders expanded to the documents inside them (sorted)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


def _write(result: FileResult, out_dir: Path, root: Path, written: dict[str, str]) -> bool:
    """Write the drafts of one document; False when one could not be written."""
    if result.error is not None:
        print(str(result.error), file=sys.stderr)
        return True
    for note in result.notes:
        print(f"{result.shown}: note: {note}", file=sys.stderr)
    fresh = []
    for draft in result.drafts:
        episode = draft.episode
        if episode.id in written:
            print(
                f"{result.shown}: note: '{episode.title}' is the same article as in "
                f"{written[episode.id]}; not written again",
                file=sys.stderr,
            )
            continue
        written[episode.id] = result.shown
        fresh.append(draft)
    outcomes = write_drafts(fresh, out_dir, root / LEDGER_FILE)
    told = [_tell(draft, outcome, result.shown, root) for draft, outcome in zip(fresh, outcomes, strict=True)]
    return all(told)  # every draft is told about, written or not


def _tell(draft: Draft, outcome: WrittenDraft, shown: str, root: Path) -> bool:
    """Say where one draft went (and why not over an edited one); False when it was not written."""
    if outcome.edited is not None:
        edited = display_path(outcome.edited, root)
        if outcome.path is None:
            print(
                f"{edited}: error: edited since ingest wrote it, and so was "
                f"{draft.file_stem}.new.yaml beside it; the new draft was not written",
                file=sys.stderr,
            )
            return False
        print(
            f"{edited}: note: edited since ingest wrote it; left as it is, the new draft is "
            f"{display_path(outcome.path, root)}",
            file=sys.stderr,
        )
    if outcome.path is not None:
        minutes = draft.episode.total_seconds / 60
        print(
            f"{display_path(outcome.path, root)}: {len(draft.segments)} segments, about {minutes:.1f} min, from {shown}"
        )
    return True


def _kind_of(reason: str) -> str:
    """A dropped line's reason without its particulars: "paywall or membership pitch", "repeated line"."""
    kind = reason.removeprefix("page furniture, ")
    return re.split(r" \(|: | '", kind, maxsplit=1)[0]


def _report(results: list[FileResult], to_stdout: bool, target: str | None) -> None:
    lines = []
    for result in results:
        kept = sum(len(draft.segments) for draft in result.drafts)
        status = f"error: {result.error.message}" if result.error else f"{kept} segments"
        lines.append(f"{result.shown}: {len(result.dropped)} lines dropped; {status}")
        if result.dropped:
            kinds = Counter(_kind_of(label.reason) for label in result.dropped)
            lines.append(f"{result.shown}: dropped by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
        for label in result.dropped:
            excerpt = label.text if len(label.text) <= 70 else label.text[:69] + "…"
            lines.append(f"{result.shown}:{label.line.number}: {label.reason}: {excerpt}")
    text = "\n".join(lines) + "\n"
    if to_stdout:
        sys.stdout.write(text)
    if target:
        atomic_write_text(Path(target), text)
