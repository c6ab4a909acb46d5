"""``pipeline build``: make the audio of episodes in every language, incrementally and in parallel."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.build import early_workers
from pipeline.build.interrupt import SignalGuard, stop_on_signals
from pipeline.build.request import BuildRequest, check_request, local_workers
from pipeline.build.timeline import mark
from pipeline.cli import QUICK_EXIT
from pipeline.commands import load_selection, output_folder, project_root
from pipeline.errors import UsageError
from pipeline.project.layout import REVIEW_FOLDER
from pipeline.project.script import Project

EXIT_STATUS_HELP = """\
exit status:
  0    everything asked for was built (or was already up to date)
  1    something failed (see the report)
  2    usage or configuration error: nothing was built
  3    nothing failed, but some folders are waiting for translation
       (not built, or built without some segments with --allow-incomplete)
  128+N  stopped by signal N: 130 Ctrl-C (SIGINT), 129 SIGHUP, 143 SIGTERM;
       the workers are stopped and the report says what was finished
"""


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``build`` command."""
    parser = subparsers.add_parser(
        "build",
        parents=[common],
        help="build episodes into audio files",
        description="Build episodes (all by default) in every station language into output/. "
        "Only what changed is made again.",
        epilog=EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("episodes", nargs="*", metavar="EPISODE", help="episode id, or path to an episode .yaml")
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
        "--allow-incomplete",
        action="store_true",
        help="build episodes without their untranslated segments instead of failing them",
    )
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    parser.add_argument(
        "--force",
        action="store_true",
        help="make the selected files again whatever their manifests say (speech still from the cache)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="synthesise the speech of the files this run makes instead of reading the speech cache "
        "(with --force: of every selected file)",
    )
    parser.add_argument(
        "--segment",
        action="append",
        default=[],
        metavar="ID",
        help="only this segment of the named episodes (repeatable; needs EPISODE)",
    )
    early_workers.add_pool_options(parser)
    parser.set_defaults(run=run, **{QUICK_EXIT: True})


def run(args: argparse.Namespace) -> int:
    """Load, build, report; the exit status is in ``EXIT_STATUS_HELP``."""
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    if args.job_timeout <= 0:
        raise UsageError("--job-timeout must be more than 0 seconds")
    if args.segment and not args.episodes:
        raise UsageError("--segment needs the episode named: pipeline build EPISODE --segment ID")
    with stop_on_signals() as guard:  # SIGTERM and SIGHUP stop the build as Ctrl-C does
        return _build(args, guard)


def _build(args: argparse.Namespace, guard: SignalGuard) -> int:
    root = project_root(args)
    out = output_folder(args, root)
    if args.scheduler:  # workers find the shared folders by the same absolute paths
        root, out = root.absolute(), out.absolute()
        setattr(args, QUICK_EXIT, False)  # the Dask client's threads and exit hooks still run
    project, request = _load_request(args, root, out)  # on an error, the command line stops a pool it started
    started = early_workers.take(request.jobs, request.job_timeout)  # by the command line, for a first build
    with local_workers(project, request, started) as workers:  # started now when the build will surely make files
        # The stages are imported while the workers start (an interpreter and the audio stack).
        from pipeline.build.orchestrator import build
        from pipeline.build.runlog import JsonLog, observers_for

        log: JsonLog | None = None  # a dry run writes no log and no report
        if args.dry_run:
            report = build(project, request, workers=workers)
        else:
            observer, log = observers_for(out)
            report = build(project, request, observer, workers=workers)
    guard.quieten()  # the build is over: a signal now would only cut the report short
    from pipeline.build.report import print_summary, write_html_report  # rich: imported while the jobs ran

    print_summary(report)
    if log is None:
        return report.exit_code
    page = write_html_report(report, out)
    mark("reported")
    print(f"report: {page}\nreview: {out / REVIEW_FOLDER / 'index.html'}\nlog: {log.path}", file=sys.stderr)
    return report.exit_code


def _load_request(args: argparse.Namespace, root: Path, out: Path) -> tuple[Project, BuildRequest]:
    """The project and the build request the arguments make, its usage errors checked."""
    project, episodes = load_selection(root, args.episodes)
    mark("loaded")
    request = BuildRequest(
        episodes,
        tuple(args.lang),
        tuple(args.profile),
        out,
        allow_incomplete=args.allow_incomplete,
        jobs=args.jobs,
        fail_fast=args.fail_fast,
        job_timeout=args.job_timeout,
        dry_run=args.dry_run,
        scheduler=args.scheduler,
        force=args.force,
        segments=tuple(dict.fromkeys(args.segment)),
        fresh_speech=args.no_cache,
    )
    check_request(project, request)  # usage errors leave no log behind
    return project, request
