"""``pipeline voices``: list the installed voices each backend offers."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from pipeline.errors import PipelineError
from pipeline.project.station import BACKENDS
from pipeline.tts import closing_backends, get_backend


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``voices`` command."""
    parser = subparsers.add_parser(
        "voices",
        parents=[common],
        help="list installed voices",
        description="List the voices each speech backend has, optionally for one language.",
    )
    parser.add_argument("--lang", metavar="LANG", help="only voices that speak this language")
    parser.add_argument("--backend", choices=BACKENDS, help="only this backend")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print one row per voice; exit 1 when a language was asked for and nothing speaks it."""
    table = Table(title="Installed voices")
    for column in ("backend", "voice id", "name", "languages"):
        table.add_column(column)
    found = 0
    with closing_backends():
        for name in [args.backend] if args.backend else BACKENDS:
            try:
                voices = get_backend(name).voices()
            except PipelineError as error:
                table.add_row(name, "-", f"unavailable: {error}", "")
                continue
            for voice in voices:
                if args.lang and not voice.speaks(args.lang):
                    continue
                found += 1
                table.add_row(name, voice.id, voice.name, ", ".join(voice.languages))
    Console(soft_wrap=True).print(table)
    return 0 if found or not args.lang else 1
