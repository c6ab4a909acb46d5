"""``benchmarks/timeline.py``: what it makes of a build's timeline events."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def timeline_bench(monkeypatch_module: pytest.MonkeyPatch) -> ModuleType:
    """``benchmarks/timeline.py`` as a module (it imports ``nightly`` from its own folder)."""
    monkeypatch_module.syspath_prepend(str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location("timeline_benchmark", REPO / "benchmarks" / "timeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def event(t: float, pid: int, name: str, cpu: float = 0.0, **fields: object) -> dict:
    return {"t": 1000.0 + t, "cpu": cpu, "pid": pid, "event": name, **fields}


EVENTS = [
    event(0.1, 1, "main", 0.05),
    event(0.5, 1, "pool started", 0.2),
    event(0.6, 1, "worker spawned", worker=2),
    event(0.6, 1, "worker spawned", worker=3),
    event(1.0, 2, "worker started", 0.1),
    event(1.2, 2, "worker ready", 0.2),
    event(1.1, 3, "worker started", 0.1),
    event(1.3, 3, "worker ready", 0.2),
    event(1.4, 1, "submitted", 0.4, jobs=3),
    event(1.5, 2, "job started", 0.3, file="a"),
    event(1.5, 3, "job started", 0.3, file="b"),
    event(3.0, 2, "job speech", 0.9, file="a"),
    event(5.5, 2, "job finished", 2.0, file="a"),
    event(3.5, 3, "job finished", 1.5, file="b"),
    event(3.6, 3, "job started", 1.5, file="c"),
    event(4.5, 3, "job finished", 2.1, file="c"),
    event(5.6, 1, "job recorded", 0.7, file="a"),
    event(6.0, 1, "reported", 0.9),
]


def test_jobs_are_placed_on_their_workers_with_their_phases(timeline_bench: ModuleType) -> None:
    workers = timeline_bench.workers_of(EVENTS, 1000.0)
    assert sorted(workers) == [2, 3]
    first, second = workers[2], workers[3]
    assert (first.spawned, first.started, first.ready) == pytest.approx((0.6, 1.0, 1.2))
    (job,) = first.jobs
    assert job.file == "a" and (job.start, job.speech, job.end) == pytest.approx((1.5, 3.0, 5.5))
    assert [job.file for job in second.jobs] == ["b", "c"] and second.cpu == 2.1


def test_the_summary_tells_the_serial_start_the_tail_and_how_busy_workers_were(timeline_bench: ModuleType) -> None:
    summary = timeline_bench.summarise(EVENTS, 1000.0, wall=6.5, cpu=7.0)
    assert summary.first_job == 1.5 and summary.last_job == 5.5 and summary.tail == 1.0
    assert summary.jobs == 3 and summary.main_cpu == 0.9
    assert summary.busy_share == pytest.approx((4.0 + 2.0 + 0.9) / (2 * 4.0), abs=0.001)


def test_the_worker_server_gets_its_own_row_and_is_no_worker(timeline_bench: ModuleType, capsys) -> None:
    events = [
        event(0.1, 1, "main", 0.05),
        event(0.5, 1, "server spawned", 0.2, server=9),
        event(0.6, 9, "server started", 0.1),
        event(1.1, 9, "server ready", 0.5),
        *EVENTS[2:],
    ]
    timeline_bench.print_server(events, 1000.0)
    row = capsys.readouterr().out.splitlines()[-1].split()
    assert row == ["9", "0.50", "0.60", "1.10", "0.50"]
    assert sorted(timeline_bench.workers_of(events, 1000.0)) == [2, 3]
