"""Workers forked from a preloading server: cheap replacements, no engine in the server, and
nothing left behind when the build is killed."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from pipeline import processes
from pipeline.build import worker_server
from pipeline.build.segments import preload_worker
from pipeline.build.workers import JobFailed, WorkerPool

from .test_faults import cached_wavs, descendants, long_episode, start_build, still_running, wait_for, write_episode
from .worker_probe import worker_state

pytestmark = pytest.mark.skipif(not worker_server.supported(), reason="workers are forked from a server on Linux only")


def test_replacement_workers_are_forked_from_the_server_with_the_audio_stack_loaded() -> None:
    forked = WorkerPool(1, timeout=60, recycle_after=1, preload=preload_worker)
    try:
        states = [forked.submit(worker_state).result(timeout=120) for _ in range(4)]
        assert forked._server is not None and forked._server.process is not None
        server = forked._server.process.pid
    finally:
        forked.shutdown()
    assert len({state["pid"] for state in states}) == 4  # every job on a fresh (replacement) worker
    assert {state["parent"] for state in states} == {server} and server != os.getpid()
    assert all(state["audio"] for state in states)  # imported by the server, not by the worker
    # What the same start costs a spawned worker: an interpreter and these imports.
    spawned = WorkerPool(1, timeout=60, initializer=preload_worker, fork_from_server=False)
    try:
        alone = spawned.submit(worker_state).result(timeout=120)
    finally:
        spawned.shutdown()
    assert alone["parent"] == os.getpid() and alone["audio"]
    slowest_fork = max(float(state["cpu"]) for state in states)
    assert slowest_fork < 0.1 and slowest_fork * 3 < float(alone["cpu"]), (slowest_fork, alone["cpu"])


def huge_pages_allowed() -> bool:
    """Whether transparent huge pages may back this process's memory (Linux's own account)."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    return next(line for line in status.splitlines() if line.startswith("THP_enabled:")).split()[1] == "1"


@pytest.mark.skipif("THP_enabled:" not in Path("/proc/self/status").read_text(), reason="Linux 5.0 or later")
@pytest.mark.parametrize("fork_from_server", [True, False], ids=["forked", "spawned"])
def test_workers_use_no_transparent_huge_pages(fork_from_server: bool) -> None:
    """A worker's arrays come and go a few MB at a time: ordinary pages, never 2 MiB zeroed at once."""
    pool = WorkerPool(1, timeout=60, fork_from_server=fork_from_server, preload=preload_worker)
    try:
        assert pool.submit(huge_pages_allowed).result(timeout=120) is False
    finally:
        pool.shutdown()
    assert huge_pages_allowed()  # the build's own process is left as it was


def run_an_engine(seconds: float) -> int:
    """A job that runs an engine process (in its own group, as synthesis does) for ``seconds``."""
    processes.run_engine(["sleep", str(seconds)], b"", timeout=60)
    return os.getpid()


def test_engines_run_in_the_workers_never_in_the_server() -> None:
    pool = WorkerPool(2, timeout=60, preload=preload_worker)
    try:
        jobs = [pool.submit(run_an_engine, 3) for _ in range(2)]
        wait_for(lambda: len(engines(pool)) == 2, 60, "both workers to run an engine")
        assert pool._server is not None and pool._server.process is not None
        server = psutil.Process(pool._server.process.pid)
        workers = {worker.process.pid for worker in pool._workers}
        assert {child.pid for child in server.children()} == workers  # nothing else: no engine
        assert {engine.ppid() for engine in engines(pool)} == workers
        assert {job.result(timeout=60) for job in jobs} == workers
    finally:
        pool.shutdown()
    assert not server.is_running()  # the server ends with its pool


def engines(pool: WorkerPool) -> list[psutil.Process]:
    found = []
    for worker in list(pool._workers):
        try:
            found += [p for p in psutil.Process(worker.process.pid).children() if p.name() == "sleep"]
        except psutil.NoSuchProcess:
            continue
    return found


ENGINE_SECONDS = "31.7"  # tells this test's engine from any other sleep on the machine


def preload_with_a_thread() -> None:
    """A preload that leaves a thread running (whatever lock it holds would stay locked in a fork)."""
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()


def preload_with_an_engine() -> None:
    """A preload that starts an engine (every worker would share its pipes); it dies with the server."""
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    processes.start_engine_host([setpriv, "--pdeathsig", "KILL", "--", "sleep", ENGINE_SECONDS])


@pytest.mark.parametrize("preload", [preload_with_a_thread, preload_with_an_engine])
def test_a_server_holding_a_thread_or_an_engine_forks_no_worker(preload) -> None:
    pool = WorkerPool(1, timeout=60, preload=preload)
    try:
        job = pool.submit(os.getpid)
        with pytest.raises(JobFailed, match="worker processes cannot be started: the worker server ended"):
            job.result(timeout=120)
        assert pool.workers_started == 0
    finally:
        pool.shutdown()
    assert still_running(preloaded_engines(), 10) == []  # it died with its server


def preloaded_engines() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if process.info["cmdline"] == ["sleep", ENGINE_SECONDS]:
            found.append(process)
    return found


def server_of(build: int) -> psutil.Process | None:
    """The build's worker server: its spawned child (the resource tracker is the other child)."""
    for child in descendants(build):
        try:
            if child.ppid() == build and "spawn_main" in " ".join(child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_killing_the_build_takes_the_server_its_workers_and_their_engines(mini_project: Path) -> None:
    write_episode(mini_project, long_episode(150))
    victim = start_build(mini_project, "long", jobs=2)
    wait_for(lambda: cached_wavs(mini_project) >= 3, 120, "the build to be under way")
    server = server_of(victim.pid)
    assert server is not None
    tree = descendants(victim.pid)
    # The server's own children: asking each of the tree for its parent would meet utterances'
    # children that have ended since the tree was listed.
    workers = server.children()
    assert workers, "the server has no workers"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert still_running(tree, 20) == []


def test_killing_the_build_while_the_server_preloads_leaves_nothing(mini_project: Path) -> None:
    victim = start_build(mini_project, "mini", jobs=2)
    deadline = time.monotonic() + 120
    while (server := server_of(victim.pid)) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server is not None, "the build started no worker server"
    tree = descendants(victim.pid)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert still_running(tree, 20) == []
