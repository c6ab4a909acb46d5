"""``pipeline build``: make the audio of episodes in every language."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..build import BuildReport, BuildRequest, build
from . import load_selection, project_root


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``build`` command."""
    parser = subparsers.add_parser(
        "build",
        parents=[common],
        help="build episodes into audio files",
        description="Build episodes (all by default) in every station language into output/.",
    )
    parser.add_argument(
        "episodes", nargs="*", metavar="EPISODE", help="episode id, or path to an episode .yaml"
    )
    parser.add_argument(
        "--lang",
        action="append",
        default=[],
        metavar="LANG",
        help="only this language (repeatable)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME",
        help="output profile (repeatable; default: the station's default profile)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="output folder (default: output/ in the project)"
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="build episodes without their untranslated segments instead of failing them",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load, build, print the summary; exit 1 when anything was not built."""
    root = project_root(args)
    project, episodes = load_selection(root, args.episodes)
    out = Path(args.out) if args.out else root / "output"
    request = BuildRequest(
        episodes, tuple(args.lang), tuple(args.profile), out, args.allow_incomplete
    )
    report = build(
        project, request, progress=lambda message: print(f"building {message}", file=sys.stderr)
    )
    print_report(report)
    return report.exit_code


def print_report(report: BuildReport) -> None:
    """Missing translations and failures (stderr), then a summary table."""
    for outcome in report.outcomes:
        for missing in outcome.missing:
            print(str(missing), file=sys.stderr)
        if outcome.error:
            print(f"{outcome.episode} [{outcome.lang}]: {outcome.error}", file=sys.stderr)
    table = Table(title="Build summary")
    for column in (
        "episode",
        "lang",
        "profile",
        "status",
        "segments",
        "minutes",
        "new speech",
        "from cache",
    ):
        table.add_column(column, no_wrap=True)
    for o in report.outcomes:
        table.add_row(
            o.episode, o.lang, o.profile, o.status, str(o.segments), f"{o.audio_seconds / 60:.1f}",
            str(o.synthesised), str(o.cached),
        )  # fmt: skip
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    for folder in sorted({str(o.folder) for o in report.outcomes if o.folder}):
        console.print(f"files in {folder}", highlight=False)
