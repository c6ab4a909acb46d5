"""A first build's worker pool, started from the command line before the project is loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from pipeline.build import early_workers

from .test_timeline import main_process_events, timed_build


@pytest.fixture(autouse=True)
def no_pool_left() -> Iterator[None]:
    yield
    early_workers.discard()


def started_pool() -> Any:
    return early_workers._started[0] if early_workers._started else None


@pytest.mark.parametrize(
    ("extra", "starts"),
    [
        ((), True),
        (("--jobs", "1", "--job-timeout", "60"), True),
        (("--dry-run",), False),
        (("--scheduler", "tcp://127.0.0.1:1"), False),
        (("--jobs", "-1"), False),
        (("--jobs", "many"), False),
    ],
)
def test_a_pool_is_started_for_a_first_build_that_makes_files(mini_project: Path, extra: tuple, starts: bool) -> None:
    early_workers.start_for(["build", "--project", str(mini_project), *extra])
    assert (started_pool() is not None) is starts


def test_no_pool_is_started_for_an_output_folder_that_holds_anything_or_no_project(
    mini_project: Path, tmp_path: Path
) -> None:
    (mini_project / "output" / "_logs").mkdir(parents=True)
    early_workers.start_for(["build", "--project", str(mini_project)])
    assert started_pool() is None
    early_workers.start_for(["build", "--project", str(tmp_path / "nowhere")])
    assert started_pool() is None
    early_workers.start_for(["build", "--project", str(mini_project), "--out", str(tmp_path / "new-output")])
    assert started_pool() is not None


def test_the_pool_is_taken_only_with_the_settings_the_command_parsed(mini_project: Path) -> None:
    early_workers.start_for(["build", "--project", str(mini_project), "--jobs", "1"])
    pool = started_pool()
    assert early_workers.take(2, early_workers.DEFAULT_TIMEOUT) is None  # other settings: stopped
    server = pool.pool._server
    assert early_workers._started is None and (server is None or server.process is None)
    early_workers.start_for(["build", "--project", str(mini_project), "--jobs", "1"])
    taken = early_workers.take(1, early_workers.DEFAULT_TIMEOUT)
    assert taken is not None
    taken.abort()


def test_a_first_build_starts_its_worker_server_before_it_loads_the_project(
    mini_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    """The pool, whose own thread spawns the server, starts before the project is loaded; the
    server it spawns is the one that runs the jobs. (Whether that spawn returns before the
    project is loaded is up to the scheduler: a mini project built in the test's own process,
    its modules imported already, can load first.)"""
    events = timed_build(mini_project, tmp_path / "timeline.jsonl", monkeypatch, cli)
    main = main_process_events(events)
    assert main.index("pool started") < main.index("loaded")
    assert main.index("pool started") < main.index("server spawned") < main.index("job recorded")
    assert early_workers._started is None  # taken by the build, and stopped with it


def test_a_usage_error_after_the_pool_started_leaves_no_worker_behind(mini_project: Path, cli) -> None:
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    result = cli("build", "no-such-episode", "--project", str(mini_project), "--jobs", "1")
    assert result.code == 2 and "no-such-episode" in result.err
    left = [c for c in psutil.Process().children(recursive=True) if c.pid not in before and c.is_running()]
    assert not [c for c in left if c.status() != psutil.STATUS_ZOMBIE]
    assert early_workers._started is None
    assert not (mini_project / "output").exists() or not any((mini_project / "output").iterdir())


def test_an_argument_error_stops_the_started_pool(mini_project: Path, cli) -> None:
    result = cli("build", "--project", str(mini_project), "--no-such-option")
    assert result.code == 2
    assert early_workers._started is None


@pytest.mark.parametrize(
    "argv",
    [[], ["-j", "2"], ["--jobs=3", "--job-timeout=9"], ["--out", "elsewhere"], ["ep1", "--project", "content"]],
)
def test_the_settings_read_early_are_the_ones_the_build_command_parses(argv: list[str]) -> None:
    from pipeline.cli import build_parser
    from pipeline.project.layout import OUTPUT_DIR

    args = build_parser(["build"]).parse_args(["build", *argv])
    project = Path(args.project)
    out = Path(args.out) if args.out else project / OUTPUT_DIR
    assert early_workers._settings(["build", *argv]) == (project, out, args.jobs, args.job_timeout)
