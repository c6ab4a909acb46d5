"""The ``pipeline`` command line: parse arguments, run one command, map errors to exit codes.

Entry points: :func:`entry` (the program: the console script and ``python -m
pipeline``) and :func:`main` (the command line in-process, for tests).

Each command lives in :mod:`pipeline.commands` as a module with a
``register(subparsers, common)`` function that adds its parser and sets
``run``; a command line that names a command imports only that module (a
bare ``pipeline``, ``--help`` or an unknown command registers them all).
This module is the only place that catches
:class:`~pipeline.errors.PipelineError`: expected failures print one line per
problem on stderr and exit with the error's status; so does an ``OSError``
that says the file system refused (read-only, full, no permission: see
:func:`~pipeline.errors.storage_error`). Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.build.interrupt import signal_number
from pipeline.build.timeline import mark
from pipeline.errors import PipelineError, storage_error
from pipeline.project.layout import add_project_option

# The numerical libraries' thread counts in the program's own process (unless the operator set
# them): OpenBLAS starts a thread per core when numpy is imported, and on a machine as busy as a
# build makes it (one worker per core), those threads spin for nothing: with two cores, importing
# numpy cost 0.15 s of CPU instead of 0.07 s (measured). The process's numerical work is a few
# small arrays; the workers get the same setting (pipeline.build.workers.WORKER_ENVIRONMENT).
SINGLE_THREADED_NUMERICS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

QUICK_EXIT = "quick_exit"  # set (true) by a command whose process may end without the interpreter's teardown

COMMANDS: tuple[str, ...] = (
    "build",
    "render",
    "voices",
    "doctor",
    "verify",
    "bundle",
    "ingest",
    "say",
    "i18n",
    "cache",
    "clean",
)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with ``commands`` registered (every command by default)."""
    parser = _Parser(
        prog="pipeline",
        description="Turn written reporting into short spoken Korean and English segments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = _Parser(add_help=False)
    add_project_option(common)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in commands:
        importlib.import_module(f"pipeline.commands.{name}").register(subparsers, common)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, when it names a known one before any help or version option."""
    for arg in argv:
        if arg in ("-h", "--help", "--version"):
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def entry() -> None:
    """The ``pipeline`` program (the console script and ``python -m pipeline``): :func:`main`,
    then the process ends. A command that says so (``pipeline build``, whose files, log and
    report are all written and closed when it returns) ends without the interpreter's teardown:
    unloading the modules a build imports (numpy, Babel, MeCab, rich...) cost 70-80 ms of wall
    time at the very end of every build (measured on the sample station). The numerical
    libraries are told to use one thread before anything imports them (see
    :data:`SINGLE_THREADED_NUMERICS`)."""
    for name in SINGLE_THREADED_NUMERICS:
        os.environ.setdefault(name, "1")
    sys.exit(main(end_process=True))


def main(argv: Sequence[str] | None = None, end_process: bool = False) -> int:
    """Run the command line; return the process exit status (with ``end_process``, a command that
    finished with nothing left open may end the process instead: see :func:`entry`)."""
    mark("main")
    argv = sys.argv[1:] if argv is None else list(argv)
    command = chosen_command(argv)  # importing only that command's module keeps start-up short
    if command == "build":  # a first build's workers start while the command's modules are imported
        from pipeline.build import early_workers

        early_workers.start_for(argv)
    try:
        return _run(command, argv, end_process)
    finally:
        if command == "build":
            early_workers.discard()  # started, but the command stopped before its build took them


def _run(command: str | None, argv: list[str], end_process: bool) -> int:
    """Parse ``argv`` for ``command`` (every command when None) and run it: :func:`main`."""
    parser = build_parser([command] if command else COMMANDS)
    args = parser.parse_args(argv)
    try:
        status = int(args.run(args) or 0)
        if end_process and getattr(args, QUICK_EXIT, False):
            from pipeline.processes import end_now

            end_now(status)
        return status
    except PipelineError as error:
        print(str(error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM/SIGHUP where a command handles them
        signum = signal_number(stop)
        print(f"interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return 0
    except OSError as error:
        refused = storage_error(error)
        if refused is None:
            raise
        print(str(refused), file=sys.stderr)
        return refused.exit_code


if __name__ == "__main__":
    entry()
