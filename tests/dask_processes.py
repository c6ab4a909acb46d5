"""Real Dask processes on this machine, started as an operator starts them: ``dask scheduler`` and ``dask worker``.

Entry points: :func:`dask_processes` (a scheduler on 127.0.0.1, and
``workers`` worker processes of one thread each, all stopped when the block
ends) and :class:`DaskProcesses` (what it yields: the address, the processes,
and :meth:`DaskProcesses.start_workers` for workers started otherwise: without
a nanny, from another Python or with other code). :func:`dask_command` is the
installed ``dask`` command line, which a test may replace by another program
that takes the same arguments.

Used by the cluster tests (``tests/build/test_cluster.py``) and by the
cluster benchmark (``benchmarks/cluster_overhead.py``), so both start and
stop the processes the same way. The scheduler picks a free port itself and
writes its address to a scheduler file (no race for a port chosen
beforehand); every process logs to ``dask.log`` in the given folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from distributed import Client

START_TIMEOUT = 120.0  # seconds for the scheduler to come up and the workers to register (a loaded machine)
STOP_TIMEOUT = 30.0  # seconds a process is given to end after SIGTERM, then it is killed


def dask_command(*arguments: str) -> list[str]:
    """The ``dask`` command line installed beside this Python, with ``arguments``."""
    return [str(Path(sys.executable).with_name("dask")), *arguments]


@dataclass
class DaskProcesses:
    """A running ``dask scheduler`` and the worker processes started for it."""

    folder: Path
    environment: Mapping[str, str]  # added to this process's environment for every process started
    scheduler: subprocess.Popen[bytes]
    address: str = ""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The scheduler, then the workers' processes (each a nanny, or a worker without one)."""
        return [self.scheduler, *self.workers]

    def start_workers(
        self,
        count: int = 1,
        options: Sequence[str] = (),
        command: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``dask worker`` (or ``command``, which takes its arguments) with ``count`` worker
        processes of one thread each, and ``options``; ``environment`` is added to the cluster's.
        Returns at once: :meth:`wait_for_workers` waits for them."""
        worker = self._start(
            [*(command or dask_command("worker")), self.address, "--nworkers", str(count), "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(self.folder / "dask-workers"),
             *options],
            environment,
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int, timeout: float = START_TIMEOUT) -> None:
        """Return once the scheduler has ``count`` workers."""
        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop every process, workers first: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)

    def _start(self, command: Sequence[str], environment: Mapping[str, str] | None) -> subprocess.Popen[bytes]:
        with (self.folder / "dask.log").open("a", encoding="utf-8") as log:
            return subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.environment, **(environment or {})},
            )


@contextlib.contextmanager
def dask_processes(
    folder: Path,
    workers: int = 1,
    *,
    environment: Mapping[str, str] | None = None,
    worker_options: Sequence[str] = (),
    scheduler_command: Sequence[str] | None = None,
) -> Iterator[DaskProcesses]:
    """A ``dask scheduler`` on 127.0.0.1 (or ``scheduler_command``, which takes its arguments)
    and, unless ``workers`` is 0, one ``dask worker`` with ``workers`` processes of one thread
    each (and ``worker_options``), registered before this yields; every process gets
    ``environment`` on top of this one's. Every process started is stopped when the block ends."""
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    with (folder / "dask.log").open("a", encoding="utf-8") as log:
        scheduler = subprocess.Popen(
            [*(scheduler_command or dask_command("scheduler")), "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})},
        )  # fmt: skip
    cluster = DaskProcesses(folder, dict(environment or {}), scheduler)
    try:
        cluster.address = _wait_for_address(scheduler, scheduler_file)
        if workers:
            cluster.start_workers(workers, worker_options)
            cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()


def _wait_for_address(scheduler: subprocess.Popen[bytes], scheduler_file: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while not (address := scheduler_address(scheduler_file)):
        if scheduler.poll() is not None:
            raise RuntimeError(f"the Dask scheduler exited with status {scheduler.returncode}: see dask.log")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Dask scheduler wrote no address to {scheduler_file} in {START_TIMEOUT:g} s")
        time.sleep(0.05)
    return address


def scheduler_address(scheduler_file: Path) -> str:
    """The address in a scheduler file; empty until the scheduler has written it whole (it writes
    the file in place, so it can be seen empty)."""
    try:
        return str(json.loads(scheduler_file.read_text(encoding="utf-8"))["address"])
    except (OSError, ValueError, KeyError):
        return ""
