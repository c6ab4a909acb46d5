"""The ``pipeline`` command line: parse arguments, run one command, map errors to exit codes.

Each command lives in :mod:`pipeline.commands` as a module with a
``register(subparsers, common)`` function that adds its parser and sets
``run``. This module is the only place that catches
:class:`~pipeline.errors.PipelineError`: expected failures print one line per
problem on stderr and exit with the error's status; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import PipelineError

COMMAND_MODULES: tuple[str, ...] = (
    "pipeline.commands.build",
    "pipeline.commands.render",
    "pipeline.commands.voices",
    "pipeline.commands.doctor",
    "pipeline.commands.verify",
    "pipeline.commands.bundle",
    "pipeline.commands.ingest",
    "pipeline.commands.say",
    "pipeline.commands.i18n",
    "pipeline.commands.cache",
)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered command."""
    parser = _Parser(
        prog="pipeline",
        description="Turn written reporting into short spoken Korean and English segments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = _Parser(add_help=False)
    common.add_argument(
        "--project",
        metavar="DIR",
        default=".",
        help="content folder holding scripts_src/ and locales/ (default: current folder)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except PipelineError as error:
        print(str(error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
