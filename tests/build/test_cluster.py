"""Builds on a real Dask cluster on this machine: same bytes as a local build, and the same guarantees.

One ``LocalCluster`` (two worker processes of one thread each, each with a
nanny, on 127.0.0.1) serves the module; the mismatch test starts its own
one-worker cluster whose espeak-ng reports another version; tests that need
real ``dask scheduler`` and ``dask worker`` processes (to kill the
scheduler, for workers without nannies) start their own
(:mod:`tests.dask_processes`). Builds that a test kills or stops run as
``pipeline build`` in a process of their own
(:mod:`tests.build.cluster_build`), their jobs held by the fake engine's
gates for as long as the test needs.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster, Worker

import pipeline
from pipeline.build import cluster as cluster_module
from pipeline.build.cluster import apply_memory_settings, open_cluster
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.build.runlog import NullObserver
from pipeline.build.worker_env import EnvironmentProbe, describe_environment, differences, shared_tokens, token_folders
from pipeline.build.workers import WORKER_ENVIRONMENT, WorkerHooks
from pipeline.project.layout import CACHE_DIR, CLUSTER_CHECK_FOLDER, LOGS_FOLDER
from pipeline.project.script import load_project
from pipeline.tts.espeak import data_folder
from tests.dask_processes import dask_processes

from . import fake_engine
from .test_batch import HELD_AND_FAILING, OpensTheGateOnAFailure, hashes


def _episode(name: str, trigger: str) -> str:
    """A two-segment episode ``name`` whose first segment holds the fake engine's ``trigger`` word."""
    return f"""\
id: {name}
title: A {name} line
date: 2026-11-20
segments:
  - id: {name}
    template: explainer
    title: A {name} story.
    paragraphs:
      - The engine meets a {trigger} in this sentence.
  - id: calm
    template: explainer
    title: A calm story.
    paragraphs:
      - This part is spoken without any trouble at all.
"""


SLOW = _episode("slow", "slowword")
HUNG = _episode("hung", "hangword")
REPO = Path(__file__).parents[2]
# A `dask scheduler` or `dask worker` process started by a test reads (the scheduler) or runs (a worker)
# tasks that name this repository's test code (the fake engine), so it imports from the repository too.
REPO_ON_PATH = {"PYTHONPATH": str(REPO)}
REMOVED_WITHOUT_NANNY = "ran a job past its time limit and was removed from the cluster: it has no nanny to restart it"


def _two_segments(name: str, first: str, second: str) -> str:
    """An episode ``name`` of two segments that say ``first`` and ``second``."""
    return f"""\
id: {name}
title: A {name} line
date: 2026-11-20
segments:
  - id: first
    template: explainer
    title: A first story.
    paragraphs:
      - The engine meets a {first} in this sentence.
  - id: second
    template: explainer
    title: A second story.
    paragraphs:
      - The engine meets a {second} in this sentence.
"""


GATED = _two_segments("gated", "gateone", "gatetwo")  # each job held until the test opens its gate
FIXED = _two_segments("gated", "fixed word", "mended word")  # the same episode, its script fixed
TWO_HUNG = _two_segments("hung", "hangword", "hangword")
FAILING = _two_segments("failing", "failword", "calm word")
CRASH = """\
id: crash
title: A crash
date: 2026-11-20
segments:
  - id: crash
    template: explainer
    title: A crash story.
    paragraphs:
      - The engine meets a crashword in this sentence.
"""


def _local_cluster(workers: int, **worker_options: object) -> LocalCluster:
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free loopback port: the machine may already serve 8787
        **worker_options,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes; Dask gives a task up after its worker died twice under it.

    ``LocalCluster`` (not Dask itself: a nanny started by ``dask worker`` has no
    such timer) closes a worker's nanny for good when no worker of that name is
    registered 15 s after one was removed; a worker stopped twice in a row
    (a job stuck, tried again, stuck again) can fall in that gap, so the module's
    cluster waits longer than any test."""
    settings = {"distributed.scheduler.allowed-failures": 1, "distributed.deploy.lost-worker-timeout": "1h"}
    with dask.config.set(settings), _local_cluster(2) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster: LocalCluster) -> Iterator[Client]:
    """The test's own view of the module's cluster (its workers' processes and state)."""
    with Client(cluster.scheduler_address, set_as_default=False) as connected:
        yield connected


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini project (both languages) and a two-segment English episode, built locally: the
    bytes to match."""
    root = tmp_path_factory.mktemp("reference") / "mini"
    shutil.copytree(Path(__file__).parents[1] / "data" / "mini", root)
    command = [sys.executable, "-m", "pipeline", "build", "--jobs", "2", "--project", str(root)]
    subprocess.run(command, check=True, capture_output=True)
    (root / "scripts_src" / "episodes" / "slow.yaml").write_text(SLOW, encoding="utf-8")
    (root / "scripts_src" / "episodes" / "gated.yaml").write_text(FIXED, encoding="utf-8")
    subprocess.run([*command, "slow", "gated", "--lang", "en"], check=True, capture_output=True)
    return root


def _fresh_copy(reference: Path, tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(reference, root, ignore=shutil.ignore_patterns("output", ".cache"))
    return root


def _outputs(root: Path, episode: str) -> dict[str, str]:
    """sha256 of every file built for ``episode``."""
    return hashes(root / "output" / episode)


def test_a_cluster_build_matches_a_local_build_byte_for_byte(cluster, reference, tmp_path, cli, monkeypatch) -> None:
    root = _fresh_copy(reference, tmp_path)
    monkeypatch.setenv("PIPELINE_SCHEDULER", cluster.scheduler_address)
    result = cli("build", "mini", "--project", str(root))
    assert result.code == 0, result.err
    assert "6 segment file(s) to make" in result.err
    assert _outputs(root, "mini") == _outputs(reference, "mini")
    assert len([name for name in _outputs(root, "mini") if name.endswith(".mp3")]) == 2 * 4  # 3 segments, 1 episode
    assert not [path for path in root.rglob("*") if path.suffix in (".part", ".token")]  # token files removed

    again = cli("build", "mini", "--project", str(root), "--scheduler", cluster.scheduler_address)
    assert again.code == 0 and "0 segment file(s) to make" in again.err
    assert _outputs(root, "mini") == _outputs(reference, "mini")


def test_a_worker_killed_mid_job_is_survived(cluster, reference, tmp_path) -> None:
    root = _fresh_copy(reference, tmp_path)
    project = load_project(root)
    request = BuildRequest(("slow",), ("en",), out=root / "output", job_timeout=120)
    markers = tmp_path / "markers"
    markers.mkdir()
    install = WorkerHooks(functools.partial(fake_engine.install, str(markers)))
    outcome: dict[str, object] = {}
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 120, install) as executor:
        worker = threading.Thread(target=lambda: outcome.update(report=build(project, request, executor=executor)))
        worker.start()
        victim = _wait_for(markers / "slowed")
        os.kill(victim, signal.SIGKILL)  # the Dask worker process, in the middle of that job
        worker.join(timeout=300)
    assert not worker.is_alive()
    report = outcome["report"]
    assert report.exit_code == 0, [o.errors for o in report.outcomes]  # type: ignore[attr-defined]
    assert _outputs(root, "slow") == _outputs(reference, "slow")
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)


def test_stuck_jobs_never_hold_a_worker(cluster, client, reference, tmp_path) -> None:
    """Two jobs hang, one on each worker, past their limit, and again when tried once more: each
    time both worker processes end (stopped by their nannies, which start fresh ones), and the
    next build's ordinary jobs are made on both fresh workers."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "hung.yaml").write_text(TWO_HUNG, encoding="utf-8")
    project = load_project(root)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)))
    first_processes = client.run(os.getpid)
    request = BuildRequest(("hung",), ("en",), out=root / "output", job_timeout=6)
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 6, install) as executor:
        [hung] = build(project, request, executor=executor).outcomes
    assert executor.retried == 2
    assert len(hung.errors) == 2 and {str(problem) for problem in hung.errors} == {
        f"scripts_src/episodes/hung.yaml:{line}: segments[{index}]: {name}: failed 2 times: it ran longer than 6 s"
        for line, index, name in ((5, 0, "01-first.mp3"), (10, 1, "02-second.mp3"))
    }
    assert len(executor.stopped_workers) == 4 and set(executor.stopped_workers.values()) == {"OK"}
    for pid in first_processes.values():  # the stuck processes are gone, not merely told to stop
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    client.wait_for_workers(2, timeout=60)  # the nannies' fresh workers are back

    request = BuildRequest(("mini",), ("en",), out=root / "output")
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 120, install) as executor:
        [mini] = build(project, request, executor=executor).outcomes
    assert mini.status == "built", mini.errors
    assert _outputs(root, "mini") == {
        name: digest for name, digest in _outputs(reference, "mini").items() if name.startswith("en/")
    }
    ran_it = client.run(_prepared_for, executor.guard.topic)
    assert sorted(ran_it.values()) == [True, True], ran_it  # both workers took jobs
    assert not set(ran_it) & set(first_processes)


def test_a_job_whose_worker_always_dies_is_tried_once_more_then_fails(cluster, reference, tmp_path) -> None:
    """Dask runs it again after its worker died (the module's cluster allows one such death), gives
    up at the second, and the build tries it once more: four worker processes die in all."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "crash.yaml").write_text(CRASH, encoding="utf-8")
    project = load_project(root)
    request = BuildRequest(("crash",), ("en",), out=root / "output", job_timeout=60)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)))
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 60, install) as executor:
        report = build(project, request, executor=executor)
        assert executor.retried == 1
    [crash] = report.outcomes
    assert crash.status == "failed"
    assert [str(problem) for problem in crash.errors] == [
        "scripts_src/episodes/crash.yaml:5: segments[0]: 01-crash.mp3: failed 2 times: its worker process died"
    ]


def test_a_build_killed_mid_job_leaves_nothing_its_orphaned_jobs_could_commit(
    cluster, client, reference, tmp_path
) -> None:
    """``kill -9`` of the build while both its jobs run on the cluster. One orphaned job finishes
    before the next build: the file it staged is left, but never committed, and swept. The
    other finishes once the next build (of the fixed script) has started: it sees its build is
    gone and deletes what it staged. Afterwards ``pipeline verify`` is clean and every file is
    the same as a clean local build's."""
    root = _fresh_copy(reference, tmp_path)
    episode = root / "scripts_src" / "episodes" / "gated.yaml"
    episode.write_text(GATED, encoding="utf-8")
    markers = tmp_path / "markers"
    markers.mkdir()
    dead = _start_cluster_build(root, markers, cluster.scheduler_address)
    orphans = [_wait_for(markers / f"{gate}.pid") for gate in fake_engine.GATES]  # both jobs are running
    tokens = _tokens(root)
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait(timeout=30)

    (markers / "gateone.open").touch()  # the first orphan finishes while nothing else runs
    folder = root / "output" / "gated" / "en"
    _wait_until(lambda: list(folder.glob(".01-first.mp3.*.part")), "the first orphan to stage its file")
    [stale] = folder.glob(".*.part")

    episode.write_text(FIXED, encoding="utf-8")
    rebuild = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "gated", "--lang", "en", "--project", str(root),
         "--scheduler", cluster.scheduler_address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_until(lambda: not _tokens(root) & tokens, "the next build to take over")  # it removed the dead one's tokens
    (markers / "gatetwo.open").touch()  # the second orphan finishes while the next build runs
    _, err = rebuild.communicate(timeout=300)
    assert rebuild.returncode == 0, err
    _wait_until(lambda: sum(client.run(_executing).values()) == 0, "the orphaned jobs to end")
    assert sorted(client.run(os.getpid).values()) == sorted(orphans)  # they ended by themselves

    assert not stale.exists()
    assert not [path for path in (root / "output").rglob("*") if path.name.endswith(".part")]
    verify = subprocess.run(
        [sys.executable, "-m", "pipeline", "verify", str(root / "output" / "gated")], capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert _outputs(root, "gated") == _outputs(reference, "gated")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_cluster_build_says_so_in_one_line_and_commits_nothing(
    cluster, client, reference, tmp_path, stop
) -> None:
    """Ctrl-C or SIGTERM while two jobs run: their workers are stopped, the build says it was
    interrupted in one line and exits 128 + the signal, nothing is committed after it, and the
    cluster serves the next build."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "gated.yaml").write_text(GATED, encoding="utf-8")
    markers = tmp_path / "markers"
    markers.mkdir()
    stopped = _start_cluster_build(root, markers, cluster.scheduler_address)
    running = [_wait_for(markers / f"{gate}.pid") for gate in fake_engine.GATES]
    os.killpg(stopped.pid, stop)  # as a terminal (Ctrl-C) or a service manager would
    _, err = stopped.communicate(timeout=120)
    assert stopped.returncode == 128 + stop
    assert "Traceback" not in err, err
    assert f"interrupted by {signal.Signals(stop).name}: workers stopped" in err.splitlines(), err
    for pid in running:  # the workers that ran its jobs were stopped with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    for gate in fake_engine.GATES:
        (markers / f"{gate}.open").touch()
    client.wait_for_workers(2, timeout=60)
    folder = root / "output" / "gated" / "en"
    assert not [path.name for path in folder.iterdir() if path.suffix in (".mp3", ".part")]

    (root / "scripts_src" / "episodes" / "gated.yaml").write_text(FIXED, encoding="utf-8")
    command = ["build", "gated", "--lang", "en", "--project", str(root), "--scheduler", cluster.scheduler_address]
    after = subprocess.run([sys.executable, "-m", "pipeline", *command], capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
    assert _outputs(root, "gated") == _outputs(reference, "gated")


def test_fail_fast_on_the_cluster(cluster, reference, tmp_path) -> None:
    """The first failed job stops the build: the folders not finished are failed as a local
    build fails them, and nothing is left staged."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "failing.yaml").write_text(FAILING, encoding="utf-8")
    project = load_project(root)
    request = BuildRequest(("failing", "mini"), ("en",), out=root / "output", fail_fast=True)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)))
    folders = [root / "output" / name / "en" for name in ("failing", "mini")]  # swept as a build sweeps them
    with open_cluster(
        cluster.scheduler_address, _probe(root), _shared(root), 60, install, staged_in=folders
    ) as executor:
        failing, mini = build(project, request, executor=executor).outcomes
    assert failing.status == "failed"
    assert str(failing.errors[0]).startswith(
        "scripts_src/episodes/failing.yaml:5: segments[0]: 01-first.mp3: the engine refused: "
    )
    assert mini.status == "failed"
    stopped = "not built: the build stopped at the first failure (--fail-fast)"
    assert [str(problem) for problem in mini.errors] == [stopped]
    assert not (root / "output" / "mini" / "en" / "mini.mp3").exists()
    assert not [path for path in (root / "output").rglob("*") if path.name.endswith(".part")]


def test_fail_fast_waits_for_a_job_still_running_and_leaves_nothing_staged(
    cluster, client, reference, tmp_path
) -> None:
    """A job running on the cluster when another fails finishes after the build stopped (Dask
    cannot stop its thread): the build waits for it, so no task of the build runs afterwards,
    and nothing it staged is left."""
    client.wait_for_workers(2, timeout=60)  # one job each: a worker stopped by an earlier test is back
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "held.yaml").write_text(HELD_AND_FAILING, encoding="utf-8")
    request = BuildRequest(("held",), ("en",), out=root / "output", fail_fast=True)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)))
    folders = [root / "output" / "held" / "en"]
    with open_cluster(
        cluster.scheduler_address, _probe(root), _shared(root), 60, install, staged_in=folders
    ) as executor:
        report = build(load_project(root), request, OpensTheGateOnAFailure(tmp_path, delay=3.0), executor=executor)
    assert (tmp_path / "gateone.pid").exists()  # the held job ran alongside the failing one
    assert [outcome.status for outcome in report.outcomes] == ["failed"]
    assert not any(client.run(cluster_module.executing_keys).values())  # nothing of the build runs
    assert not [path for path in (root / "output").rglob("*") if path.name.endswith(".part")]


def test_a_scheduler_that_dies_mid_build_fails_the_unfinished_folders_in_one_line(reference, tmp_path) -> None:
    """``kill -9`` of the scheduler (its own ``dask scheduler`` process, with one ``dask worker``)
    while a job runs: the build says so once, fails the folder it could not finish, exits 1,
    and leaves no file of that folder behind."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "gated.yaml").write_text(GATED, encoding="utf-8")
    markers = tmp_path / "markers"
    markers.mkdir()
    with dask_processes(tmp_path, environment=REPO_ON_PATH) as processes:
        address = processes.address
        victim = _start_cluster_build(root, markers, address)
        _wait_until(lambda: list(markers.glob("*.pid")), "a job to start")  # the one worker takes either first
        processes.scheduler.kill()
        _, err = victim.communicate(timeout=120)
        for gate in fake_engine.GATES:
            (markers / f"{gate}.open").touch()
    assert victim.returncode == 1, err
    assert "Traceback" not in err, err
    assert "segment file(s) to make on 1 worker(s)" in err  # the cluster's workers, not this machine's CPUs
    lost = f"lost the Dask scheduler at {address} mid-build"
    assert [line for line in err.splitlines() if "lost the Dask scheduler" in line] == [
        f"note: {lost}",
        f"gated [en, player]: not finished: {lost}",
    ], err
    assert not [path for path in (root / "output" / "gated" / "en").iterdir() if path.suffix in (".mp3", ".part")]


def test_stuck_jobs_on_workers_without_nannies_remove_them_and_the_build_says_so(reference, tmp_path) -> None:
    """Two ``dask worker --no-nanny`` processes: a job hangs on one, past its limit, and again on
    the other when tried once more. A worker without a nanny cannot be restarted: each is removed
    from the cluster, and the build says so, one line per worker; the job fails in one line, with
    the exit status of a stuck job on workers with nannies; the other job is made; nothing staged
    is left. What the build says is true: the scheduler has no worker left, and both worker
    processes end by themselves."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "hung.yaml").write_text(HUNG, encoding="utf-8")
    markers = tmp_path / "markers"
    markers.mkdir()
    with dask_processes(tmp_path, workers=0, environment=REPO_ON_PATH) as processes:
        workers = [processes.start_workers(options=["--no-nanny"]) for _ in range(2)]
        processes.wait_for_workers(2)
        with Client(processes.address, set_as_default=False) as connected:
            addresses = sorted(connected.nthreads())
            build = _start_cluster_build(root, markers, processes.address, "hung", "--job-timeout", "6")
            _, err = build.communicate(timeout=300)
            left = connected.nthreads()
        ended = [worker.wait(timeout=120) for worker in workers]  # Dask gives a closing worker's task 30 s
    assert build.returncode == 1, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    notes = sorted(line for line in lines if line.startswith("note: "))
    assert notes == [f"note: worker {address} {REMOVED_WITHOUT_NANNY}" for address in addresses], err
    timed_out = "01-hung.mp3: failed 2 times: it ran longer than 6 s"
    assert [line for line in lines if "01-hung.mp3" in line] == [
        f"[2/2] hung/en/{timed_out.replace(':', ' FAILED:', 1)}",
        f"hung [en, player]: scripts_src/episodes/hung.yaml:5: segments[0]: {timed_out}",
    ], err
    assert "hung [en, player]: failed" in lines, err
    assert left == {}  # both removed, as the build said
    assert ended == [0, 0]  # and their processes ended by themselves
    folder = root / "output" / "hung" / "en"
    assert sorted(path.name for path in folder.iterdir() if path.suffix in (".mp3", ".part")) == ["02-calm.mp3"]
    assert not [path for path in root.rglob("*") if path.name.endswith(".part")]


def test_jobs_waiting_on_a_cluster_left_without_workers_end_the_build(reference, tmp_path) -> None:
    """One ``dask worker --no-nanny``: the stuck job's worker is removed, and nothing takes its
    place, so the job's second attempt (and any other job) could wait for ever. The build waits
    its time for a worker, then ends as when the scheduler is lost: every unfinished folder failed
    with one reason, nothing staged left."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "hung.yaml").write_text(TWO_HUNG, encoding="utf-8")
    project = load_project(root)
    request = BuildRequest(("hung",), ("en",), out=root / "output", job_timeout=6)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)))
    folders = [root / "output" / "hung" / "en"]
    with dask_processes(tmp_path, worker_options=["--no-nanny"], environment=REPO_ON_PATH) as processes:
        started = time.monotonic()
        notes = NotesKept()
        with open_cluster(
            processes.address, _probe(root), _shared(root), 6, install, staged_in=folders, no_workers_timeout=5
        ) as executor:
            [hung] = build(project, request, notes, executor=executor).outcomes
        seconds = time.monotonic() - started
        [removed] = executor.stopped_workers
    assert hung.status == "failed"
    lost = f"the Dask scheduler at {processes.address} has had no workers for 5 s"
    assert [str(problem) for problem in hung.errors] == [f"not finished: {lost}"]
    assert notes.notes == [f"worker {removed} {REMOVED_WITHOUT_NANNY}", lost]
    assert seconds < 60  # 6 s to time out, 5 s without workers, and the checks
    assert not [path for path in root.rglob("*") if path.name.endswith(".part")]


class NotesKept(NullObserver):
    """A build's observer that keeps the notes it is given."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        self.notes.append(message)


def test_a_worker_that_differs_is_refused(reference, tmp_path, cli) -> None:
    root = _fresh_copy(reference, tmp_path)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    espeak = fake_bin / "espeak-ng"
    real = shutil.which("espeak-ng")
    espeak.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "eSpeak NG text-to-speech: 9.99  Data at: {data_folder()}"; exit 0; fi\n'
        f'exec {real} "$@"\n'
    )
    espeak.chmod(espeak.stat().st_mode | stat.S_IXUSR)
    with _local_cluster(1, env={"PATH": f"{fake_bin}:{os.environ['PATH']}"}) as odd:
        result = cli("build", "--project", str(root), "--scheduler", odd.scheduler_address)
        [worker] = odd.scheduler.workers
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith(f"{odd.scheduler_address}: worker {worker} differs from this machine: ")
    assert "espeak-ng for en: espeak-ng 9.99 data " in line and "(here: espeak-ng 1." in line
    assert not (root / "output" / "mini").exists()


@pytest.mark.parametrize("scheduler", ["without the pipeline", "other code"])
def test_a_scheduler_that_cannot_read_the_builds_tasks_is_refused(reference, tmp_path, cli, scheduler) -> None:
    """Dask's scheduler unpickles every task: one whose Python cannot import the pipeline, or
    imports other code, is refused before any job is sent, in one line naming it, exit 2."""
    root = _fresh_copy(reference, tmp_path)
    if scheduler == "without the pipeline":
        options: dict[str, Any] = {"scheduler_command": _without_the_pipeline("distributed.cli.dask_scheduler")}
    else:
        options = {"environment": {"PYTHONPATH": str(_other_pipeline(tmp_path))}}
    with dask_processes(tmp_path, workers=0, **options) as processes:
        result = cli("build", "--project", str(root), "--scheduler", processes.address)
    assert result.code == 2
    [line] = result.err.splitlines()
    if scheduler == "without the pipeline":
        assert line == (
            f"{processes.address}: the Dask scheduler cannot import the pipeline "
            "(ModuleNotFoundError: No module named 'pipeline'); start it from the build's installation"
        )
    else:
        differs = f"{re.escape(processes.address)}: the Dask scheduler differs from this machine: {_OTHER_CODE}"
        assert re.fullmatch(differs, line), line
    assert _nothing_written(root)


def test_workers_that_cannot_import_the_pipeline_or_run_other_code_are_refused(reference, tmp_path, cli) -> None:
    """A ``dask worker`` from a Python that cannot import the pipeline, and one that imports another
    version of it: one line each, naming the worker, exit 2, nothing written."""
    root = _fresh_copy(reference, tmp_path)
    with dask_processes(tmp_path, workers=0) as processes:
        processes.start_workers(
            options=["--name", "other-code"], environment={"PYTHONPATH": str(_other_pipeline(tmp_path))}
        )
        processes.start_workers(
            options=["--name", "no-pipeline"], command=_without_the_pipeline("distributed.cli.dask_worker")
        )
        processes.wait_for_workers(2)
        with Client(processes.address, set_as_default=False) as connected:
            named = {info["name"]: address for address, info in connected.scheduler_info()["workers"].items()}
        result = cli("build", "--project", str(root), "--scheduler", processes.address)
    assert result.code == 2
    other, missing = (f"{processes.address}: worker {named[name]} " for name in ("other-code", "no-pipeline"))
    lines = result.err.splitlines()
    assert len(lines) == 2 and lines == sorted(lines), result.err  # one line per worker, by address
    assert f"{missing}cannot import the pipeline (ModuleNotFoundError: No module named 'pipeline')" in lines
    assert [line for line in lines if re.fullmatch(f"{re.escape(other)}differs from this machine: {_OTHER_CODE}", line)]
    assert _nothing_written(root)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(reference, tmp_path, cli) -> None:
    root = _fresh_copy(reference, tmp_path)
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    result = cli("build", "--project", str(root), "--scheduler", address)
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith(f"cannot reach the Dask scheduler at {address} (")
    assert time.monotonic() - started < 30
    assert not (root / "output" / "mini").exists()


def test_a_scheduler_without_workers_is_refused(reference, tmp_path, cli) -> None:
    root = _fresh_copy(reference, tmp_path)
    with _local_cluster(0) as empty:
        result = cli("build", "--project", str(root), "--scheduler", empty.scheduler_address)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"the Dask scheduler at {empty.scheduler_address} has no workers (waited 5 s); "
        f"start some with 'dask worker {empty.scheduler_address}'"
    ]


def test_local_and_no_op_builds_never_import_distributed(reference) -> None:
    """A local build (here remaking one file), and a scheduler build with nothing to make, leave
    Dask unimported."""
    remade = reference / "output" / "mini" / "en" / "01-opening.mp3"
    script = (
        "import sys; from pipeline.cli import main\n"
        f"assert main(['build', 'mini', '--project', {str(reference)!r}]) == 0\n"
        f"assert main(['build', 'mini', '--project', {str(reference)!r}, '--scheduler', 'tcp://127.0.0.1:9']) == 0\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('distributed', 'dask')))\n"
    )
    digest = hashes(remade.parent)[remade.name]
    remade.unlink()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "1 segment file(s) to make" in result.stderr and "0 segment file(s) to make" in result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert hashes(remade.parent)[remade.name] == digest


def test_a_worker_that_cannot_see_the_shared_folder_is_named(tmp_path) -> None:
    with shared_tokens([tmp_path]) as tokens:
        probe = EnvironmentProbe(tokens, (), (), str(tmp_path))
        here = describe_environment(probe)
    assert here[f"shared {tmp_path}"] == "visible and writable"
    assert not list(tmp_path.iterdir())  # the token and the write check are gone
    describe_environment.cache_clear()  # as a worker that never saw the token would answer
    gone = describe_environment(probe)
    assert gone[f"shared {tmp_path}"].startswith("not visible (")
    assert differences(here, gone) == [f"shared {tmp_path}: {gone[f'shared {tmp_path}']} (here: visible and writable)"]


def test_workers_get_the_pools_memory_settings_and_close_their_engines(cluster, client, reference, tmp_path) -> None:
    """A build registers the plugin: every worker is given the local pool's malloc settings, and
    closes its engines when it stops (a nanny restart here)."""
    root = _fresh_copy(reference, tmp_path)
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 60, WorkerHooks()):
        pass
    expected = {name: int(value) for name, value in WORKER_ENVIRONMENT.items() if name.startswith("MALLOC_")}
    assert list(client.run(_applied).values()) == [expected, expected]
    assert list(client.run(_huge_pages_allowed).values()) == [False, False]
    os.environ["MALLOC_TOP_PAD_"] = "0"  # an operator's own value is kept
    try:
        assert "MALLOC_TOP_PAD_" not in apply_memory_settings()
    finally:
        del os.environ["MALLOC_TOP_PAD_"]

    markers = tmp_path / "markers"
    markers.mkdir()
    client.run(fake_engine.install, str(markers))
    stopping = client.run(os.getpid)
    client.restart_workers(list(stopping), timeout=60)
    closed = {path.name for path in markers.glob("closed-*")}
    assert closed == {f"closed-{pid}" for pid in stopping.values()}


def _huge_pages_allowed() -> bool:
    """On a worker: whether transparent huge pages may back its memory (Linux's own account)."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    return next(line for line in status.splitlines() if line.startswith("THP_enabled:")).split()[1] == "1"


def _applied(dask_worker: Worker) -> dict[str, int]:
    """On a worker: the settings the plugin gave it."""
    return dask_worker.plugins[cluster_module.PLUGIN_NAME].applied  # type: ignore[attr-defined]


def _prepared_for(topic: str) -> bool:
    """On a worker: whether it ran a job of the build whose topic is ``topic``."""
    return topic in cluster_module._prepared


def _executing(dask_worker: Worker) -> int:
    """On a worker: tasks running now, those whose build went away included."""
    return dask_worker.state.executing_count


def _start_cluster_build(
    root: Path, markers: Path, address: str, episode: str = "gated", *options: str
) -> subprocess.Popen[str]:
    """``pipeline build EPISODE --lang en`` (and ``options``) on the cluster at ``address``, its
    workers speaking through the fake engine, in a session of its own (a signal reaches only what
    the test sends)."""
    command = [sys.executable, "-m", "tests.build.cluster_build", str(markers), "build", episode, "--lang", "en",
               "--project", str(root), "--scheduler", address, *options]  # fmt: skip
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _without_the_pipeline(command_module: str) -> list[str]:
    """A Dask command line (``distributed.cli.dask_scheduler`` or ``dask_worker``, which take the
    ``dask`` command's arguments) run by this Python isolated (``-I``: no ``PYTHONPATH``, no current
    folder) and without site processing (``-S``): the installed packages are put on its path by
    hand, so the editable install's import hook, which a ``.pth`` file would set up, never runs. It
    has Dask, and cannot import the pipeline (checked: the test means nothing otherwise)."""
    site = sysconfig.get_paths()["purelib"]
    prefix = [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.append({site!r}); "]
    cannot = subprocess.run([*prefix[:-1], prefix[-1] + "import pipeline"], capture_output=True, text=True)
    assert "No module named 'pipeline'" in cannot.stderr, cannot.stderr
    return [*prefix[:-1], prefix[-1] + f"from {command_module} import main; main()"]


_OTHER_VERSION = "0.0.1"
# What a process importing that copy differs in: the version and the digest of the package's files.
_DIGEST = r"\([0-9a-f]{16}\)"
_OTHER_CODE = (
    rf"pipeline code: {re.escape(_OTHER_VERSION)} {_DIGEST} \(here: {re.escape(pipeline.__version__)} {_DIGEST}\)"
)


def _other_pipeline(tmp_path: Path) -> Path:
    """A folder holding a copy of the pipeline package of another version: a Python with it on
    ``PYTHONPATH`` imports that copy (the editable install's import hook comes after the path)."""
    other = tmp_path / "other-version"
    if not other.exists():
        shutil.copytree(REPO / "pipeline", other / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
        init = other / "pipeline" / "__init__.py"
        text = init.read_text(encoding="utf-8")
        init.write_text(re.sub(r'__version__ = "[^"]*"', f'__version__ = "{_OTHER_VERSION}"', text), encoding="utf-8")
    return other


def _nothing_written(root: Path) -> bool:
    """No output folder of the episode, and no segment, staged or token file anywhere in the project."""
    made = [path for path in root.rglob("*") if path.suffix in (".mp3", ".part", ".token")]
    return not made and not (root / "output" / "mini").exists()


def _tokens(root: Path) -> set[str]:
    return {path.name for path in (root / "output" / LOGS_FOLDER / CLUSTER_CHECK_FOLDER).glob("*.token")}


def _wait_until(condition: Callable[[], object], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _probe(root: Path) -> EnvironmentProbe:
    """What the build's own check would ask for the mini project's voices."""
    station = load_project(root).station
    speech = tuple((lang, station.speech_settings(lang).unknown_latin) for lang in ("en", "ko"))
    return EnvironmentProbe((), (("espeak-ng", "en"), ("espeak-ng", "ko")), speech, str(root))


def _shared(root: Path) -> list[Path]:
    return token_folders(root / CACHE_DIR, root / "output")


def _wait_for(marker: Path, seconds: float = 120) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{marker} never appeared")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
