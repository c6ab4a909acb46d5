"""``pipeline ingest PATH ...``: turn saved web documents into draft episode scripts.

Entry point: :func:`register`. Each document is read, cleaned, structured and
cut into segments by :mod:`pipeline.ingest`; each article becomes one draft
YAML file in ``--out``. A document that cannot be ingested gets one line on
stderr (``path: message``) and the others are still ingested; the exit status
is 1 when any document failed. ``--report`` (stdout) and ``--report-file``
list every dropped line with its reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands import project_root
from pipeline.errors import UsageError, display_path
from pipeline.fsutil import atomic_write_text
from pipeline.ingest import (
    DEFAULT_MAX_SECONDS,
    FileResult,
    ingest_file,
    load_context,
    write_drafts,
)
from pipeline.ingest.read import SUFFIXES
from pipeline.project.layout import DRAFTS_DIR

MIN_MAX_SECONDS = 15.0
MAX_MAX_SECONDS = 1800.0


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
        help="publisher credited in the drafts, when the documents do not name it",
    )
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
    context = load_context(root)
    out_dir = Path(args.out) if args.out else root / DRAFTS_DIR
    results = [ingest_file(path, context, args.max_seconds, args.publication) for path in documents(args.paths)]
    written: dict[str, str] = {}
    for result in results:
        _write(result, out_dir, root, written)
    if args.report or args.report_file:
        _report(results, args.report, args.report_file)
    return 1 if any(result.error for result in results) else 0


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


def _write(result: FileResult, out_dir: Path, root: Path, written: dict[str, str]) -> None:
    if result.error is not None:
        print(str(result.error), file=sys.stderr)
        return
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
    for draft, path in zip(fresh, write_drafts(fresh, out_dir), strict=True):
        seconds = sum(segment.seconds for segment in draft.segments)
        print(
            f"{display_path(path, root)}: {len(draft.segments)} segments, "
            f"about {seconds / 60:.1f} min, from {result.shown}"
        )


def _report(results: list[FileResult], to_stdout: bool, target: str | None) -> None:
    lines = []
    for result in results:
        kept = sum(len(draft.segments) for draft in result.drafts)
        status = f"error: {result.error.message}" if result.error else f"{kept} segments"
        lines.append(f"{result.shown}: {len(result.dropped)} lines dropped; {status}")
        for label in result.dropped:
            excerpt = label.text if len(label.text) <= 70 else label.text[:69] + "…"
            lines.append(f"{result.shown}:{label.line.number}: {label.reason}: {excerpt}")
    text = "\n".join(lines) + "\n"
    if to_stdout:
        sys.stdout.write(text)
    if target:
        atomic_write_text(Path(target), text)
