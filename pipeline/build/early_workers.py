"""The build's own worker pool, and its start from the command line alone for a first build.

Entry points: :func:`make_pool` (the pool a build runs its segment jobs on),
:func:`start_for` (called by the command line with a ``build`` command's
arguments before anything else is imported: when the output folder is
missing or empty, the build will surely make files, so the pool's worker
server is started at once), :func:`take` (the build's command takes that
pool, if it was started with the settings the command then parses) and
:func:`discard` (a pool not taken, because the command failed before it
reached the build, is stopped).

The worker server imports the audio stack (a Python interpreter, numpy, the
codecs: about 0.4 s on a 2-core Xeon) while the build's own process imports
its stages, loads the project and plans the first folder; started from
here it begins about 0.13 s sooner than from the loaded project, and the
build's first job about 0.09 s sooner (three alternated cold builds of the
sample station). This module and the hooks it hands the server import only
the pool's own machinery: the stages are imported by the server, in its preload.
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path

from pipeline.build.timeline import mark
from pipeline.build.workers import DEFAULT_RECYCLE_AFTER, DEFAULT_TIMEOUT, PoolOnDemand, WorkerPool
from pipeline.project.layout import OUTPUT_DIR, add_project_option, is_project

SCHEDULER_VARIABLE = "PIPELINE_SCHEDULER"

_started: tuple[PoolOnDemand, int, float] | None = None  # the pool started by start_for, its jobs and timeout


def preload() -> None:
    """The worker server's preload: the audio stack (:func:`pipeline.build.segments.preload_worker`)."""
    from pipeline.build.segments import preload_worker

    preload_worker()


def prepare() -> None:
    """A worker's start (:func:`pipeline.build.segments.prepare_worker`)."""
    from pipeline.build.segments import prepare_worker

    prepare_worker()


def finish() -> None:
    """A worker's end: its engines closed (:func:`pipeline.tts.close_backends`)."""
    from pipeline.tts import close_backends

    close_backends()


def make_pool(
    jobs: int, timeout: float, recycle_after: int = DEFAULT_RECYCLE_AFTER, fork_from_server: bool | None = None
) -> WorkerPool:
    """The build's own worker processes: ``jobs`` of them (0: one per CPU), each job given up
    after ``timeout`` seconds (see :class:`~pipeline.build.workers.WorkerPool` for the rest)."""
    pool = WorkerPool(
        jobs or os.cpu_count() or 1,
        timeout=timeout,
        recycle_after=recycle_after,
        initializer=prepare,
        finalizer=finish,
        preload=preload,
        fork_from_server=fork_from_server,
    )
    mark("pool started")
    return pool


def start_for(argv: list[str]) -> None:
    """Start the pool now when ``argv`` (a ``build`` command's arguments) asks for a build that
    will surely make files: not a dry run, not on a cluster, into an output folder that is
    missing or empty. Arguments this cannot read start nothing: the command's own parser
    reports them."""
    global _started
    settings = _settings(argv)
    if settings is None or _started is not None:
        return
    project, out, jobs, timeout = settings
    if not is_project(project) or _holds_anything(out):
        return
    pool = PoolOnDemand(functools.partial(make_pool, jobs, timeout))
    pool.get(start_workers=True)
    _started = (pool, jobs, timeout)


def take(jobs: int, timeout: float) -> PoolOnDemand | None:
    """The pool :func:`start_for` started, if its settings are ``jobs`` and ``timeout`` (else it
    is stopped); None when none was started."""
    global _started
    if _started is None:
        return None
    (pool, started_jobs, started_timeout), _started = _started, None
    if (started_jobs, started_timeout) != (jobs, timeout):
        pool.abort()
        return None
    return pool


def discard() -> None:
    """Stop the pool :func:`start_for` started if no build took it."""
    global _started
    if _started is not None:
        pool, _started = _started[0], None
        pool.abort()


def add_pool_options(parser: argparse.ArgumentParser) -> None:
    """The ``build`` options that decide whether its worker pool starts, and how: defined once,
    for the command's parser and for :func:`start_for`, which reads them first."""
    parser.add_argument("--out", metavar="DIR", help="output folder (default: output/ in the project)")
    parser.add_argument(
        "--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: one per CPU)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be built and why, build nothing")
    parser.add_argument(
        "--job-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a segment file after this long (retried once; default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--scheduler",
        default=os.environ.get(SCHEDULER_VARIABLE, ""),
        metavar="ADDRESS",
        help=f"run the segment jobs on the Dask cluster of this scheduler, e.g. tcp://127.0.0.1:8786 "
        f"(default: ${SCHEDULER_VARIABLE}; the project and output folders must be at the same paths on "
        "every worker; --jobs then does not apply)",
    )


def _settings(argv: list[str]) -> tuple[Path, Path, int, float] | None:
    """Project folder, output folder, jobs and job timeout, when ``argv`` asks for a local build
    that writes (no ``--dry-run``, no scheduler) and reads without error."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    add_project_option(parser)
    add_pool_options(parser)
    try:
        known, _ = parser.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None
    if known.dry_run or known.scheduler or known.jobs < 0 or known.job_timeout <= 0:
        return None
    project = Path(known.project)
    return project, Path(known.out) if known.out else project / OUTPUT_DIR, known.jobs, known.job_timeout


def _holds_anything(folder: Path) -> bool:
    """Whether ``folder`` exists and is not an empty folder."""
    try:
        with os.scandir(folder) as entries:
            return any(True for _ in entries)
    except NotADirectoryError:
        return True
    except OSError:
        return False
