"""Segment jobs on a Dask distributed cluster: ``pipeline build --scheduler tcp://HOST:8786``.

Entry points: :func:`open_cluster` (connect with a short timeout, check
every worker, yield a :class:`ClusterExecutor`) and :func:`run_on_worker`
(the task each job becomes). Only the segment jobs go to the cluster:
planning, the build lock, manifests, joining, lyrics, playlists and the
report stay in the build's own process, which gets each job's result through
the standard ``concurrent.futures.Executor`` interface, as from the local
pool (:mod:`pipeline.build.workers`).

Storage is shared: the project folder and the output folder must be at the
same paths on every worker. Before any job is sent, every worker describes
its environment (:mod:`pipeline.build.worker_env`: the token files written
here, Python, the pipeline's code, pinned packages, speech engines and voice
data, pronunciation data) and the build is refused, one line per worker that
differs, when any does. A worker that joins later checks itself before its
first job and fails the job instead of making other bytes.

The guarantees are the local pool's:

- *Timeout*: a job running longer than the build's ``--job-timeout`` is
  cancelled and its worker restarted (through its nanny: a thread cannot be
  stopped any other way), then the job is tried once more.
- *Retry*: a worker that dies mid-job is replaced by Dask, which runs the task
  again elsewhere; when Dask gives up on it (``KilledWorker``), the job is
  tried once more under a new key.
- *Isolation*: a job's error is its own result; the others go on.
- *Outputs*: the jobs write through the same code as local workers, and the
  build's process records and assembles them under its lock.

Dask's own ``Client.get_executor()`` has the same ``submit``/``shutdown``
interface but no per-task timeout, and hands back Dask futures rather than
``concurrent.futures.Future`` objects; this adapter adds the timeout and the
retry and keeps the local pool's error messages. A job's start is reported
by the task itself as a Dask event (the scheduler may queue a second task on
a busy worker, so "processing" is not "running"), and the timeout runs from
that moment. Importing this module imports ``distributed``; the local path
and a build with nothing to make never do.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, InvalidStateError
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distributed import Client, KilledWorker, get_worker

from pipeline.build.worker_env import EnvironmentProbe, describe_environment, differences, shared_tokens
from pipeline.build.workers import JobFailed, JobTimedOut, WorkerDied, WorkerHooks, rebuild_error, run_job
from pipeline.errors import ClusterError

CONNECT_TIMEOUT = 5.0  # seconds to reach the scheduler, and to wait for a first worker
RESTART_TIMEOUT = 30.0  # seconds for a nanny to replace a worker stuck in a job
WATCH_INTERVAL = 0.1


@dataclass(frozen=True)
class WorkerGuard:
    """Sent with every job: what the worker must match, and how to prepare it once per build."""

    probe: EnvironmentProbe
    expected: tuple[tuple[str, str], ...]  # the build machine's answer to the probe
    topic: str  # the build's own event topic, also its id on the workers
    hooks: WorkerHooks  # the initializer and warm-up run before the worker's first job


_prepared: set[str] = set()  # topics of the builds this worker process has checked and prepared


def run_on_worker(guard: WorkerGuard, key: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    """The Dask task of one job: check and prepare this worker (once per build), say the job
    started (its timeout runs from here, as a local worker's runs once it is ready), run it.

    Returns :func:`pipeline.build.workers.run_job`'s ``(status, payload)``,
    so the job's errors reach the build with their messages and exit codes."""
    worker = get_worker()
    prepared = run_job(_prepare, (guard, worker.address), {})
    if prepared[0] != "ok":
        return prepared
    worker.log_event(guard.topic, {"key": key, "worker": worker.address})
    return run_job(fn, args, {})


def _prepare(guard: WorkerGuard, address: str) -> None:
    if guard.topic in _prepared:
        return
    found = differences(dict(guard.expected), describe_environment(guard.probe))
    if found:
        raise ClusterError(f"worker {address} differs from the build's machine: {'; '.join(found)}")
    if guard.hooks.initializer is not None:
        guard.hooks.initializer()
    if guard.hooks.warm_up is not None:
        guard.hooks.warm_up()
    _prepared.add(guard.topic)


@dataclass(eq=False)
class _ClusterJob:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    attempts: int = 0
    key: str = ""
    task: Any = None  # the Dask future of the current attempt
    started: float | None = None  # when the current attempt began on a worker (this clock)
    worker: str = ""


class ClusterExecutor(Executor):
    """Jobs run as Dask tasks, with the local pool's timeout, retry and error messages."""

    def __init__(self, client: Client, guard: WorkerGuard, timeout: float, retries: int = 1) -> None:
        self.client = client
        self.guard = guard
        self.timeout = timeout
        self.retries = retries
        self.retried = 0
        self._jobs: dict[str, _ClusterJob] = {}  # by the key of each job's current attempt
        self._lock = threading.Lock()
        self._starts: queue.SimpleQueue[tuple[str, str, float]] = queue.SimpleQueue()
        self._closing = False
        self._stop = threading.Event()
        client.subscribe_topic(guard.topic, self._on_start)
        self._watchdog = threading.Thread(target=self._watch, name="cluster-watchdog", daemon=True)
        self._watchdog.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Send ``fn(*args)`` to the cluster; the future holds its result or error."""
        if kwargs:
            raise TypeError("cluster jobs take positional arguments only")
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit to an executor that is shutting down")
        job = _ClusterJob(Future(), fn, args)
        job.future.add_done_callback(lambda future: self._cancel_task(job) if future.cancelled() else None)
        self._send(job)
        return job.future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting jobs; cancel those not started when asked; wait for the rest."""
        with self._lock:
            self._closing = True
            jobs = list(self._jobs.values())
        if cancel_futures:
            for job in jobs:
                if job.started is None:
                    job.future.cancel()
        while wait and not self._stop.is_set():
            with self._lock:
                outstanding = [job.future for job in self._jobs.values() if not job.future.done()]
            if not outstanding:
                break
            time.sleep(WATCH_INTERVAL)
        self._stop.set()
        self._watchdog.join()
        with contextlib.suppress(Exception):  # the scheduler may already be gone
            self.client.unsubscribe_topic(self.guard.topic)

    def abort(self) -> None:
        """Stop now (the build was interrupted): cancel every job and restart the workers running
        one, so no job of this build finishes after it."""
        with self._lock:
            self._closing = True
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            if not job.future.cancel():  # running: it fails, as a local worker's job does when stopped
                _settle(job.future, error=JobFailed("stopped: the build was interrupted"))
            self._cancel_task(job)
        self._restart({job.worker for job in jobs if job.started is not None})
        self.shutdown(wait=False)

    def _send(self, job: _ClusterJob) -> None:
        key = f"pipeline-job-{uuid.uuid4().hex}"
        with self._lock:
            job.attempts += 1
            job.key, job.started, job.worker = key, None, ""
            self._jobs[key] = job
        job.task = self.client.submit(run_on_worker, self.guard, key, job.fn, job.args, key=key, pure=False)
        job.task.add_done_callback(lambda task: self._settled(job, key, task))

    def _cancel_task(self, job: _ClusterJob) -> None:
        task = job.task
        if task is not None:
            with contextlib.suppress(Exception):  # already gone, or the scheduler is unreachable
                task.cancel()

    # Dask calls these from its own threads.

    def _on_start(self, event: tuple[float, dict[str, str]]) -> None:
        _, message = event
        self._starts.put((message["key"], message["worker"], time.monotonic()))

    def _settled(self, job: _ClusterJob, key: str, task: Any) -> None:
        with self._lock:
            if self._jobs.get(key) is not job:
                return  # an attempt given up on (timed out) or a build that stopped
            del self._jobs[key]
        job.task = None  # the result leaves the worker's memory with the last reference
        if job.future.done():
            return  # cancelled by the build
        if task.status == "finished":
            status, payload = task.result()
            if status == "ok":
                _settle(job.future, result=payload)
            else:
                _settle(job.future, error=rebuild_error(payload))
        elif task.status == "error" and isinstance(task.exception(), KilledWorker):
            self._retry_or_fail(job, WorkerDied(f"failed {job.attempts} times: its worker process died"))
        elif task.status == "error":
            error = task.exception()
            _settle(job.future, error=JobFailed(f"the cluster could not run the job: {type(error).__name__}: {error}"))
        else:
            _settle(job.future, error=JobFailed("the cluster dropped the job (the scheduler went away?)"))

    # The watchdog thread: marks jobs running, enforces the timeout.

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            self._note_starts()
            now = time.monotonic()
            with self._lock:
                overdue = [
                    job
                    for job in self._jobs.values()
                    if job.started is not None and now - job.started > self.timeout and not job.future.done()
                ]
            for job in overdue:
                self._time_out(job)

    def _note_starts(self) -> None:
        while True:
            try:
                key, worker, at = self._starts.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                job = self._jobs.get(key)
                if job is None:
                    continue
                job.started, job.worker = at, worker  # again after Dask moved it to another worker
            if not job.future.running():
                with contextlib.suppress(RuntimeError):  # settled or cancelled meanwhile
                    job.future.set_running_or_notify_cancel()

    def _time_out(self, job: _ClusterJob) -> None:
        with self._lock:
            self._jobs.pop(job.key, None)
        self._cancel_task(job)
        self._restart({job.worker})
        self._retry_or_fail(job, JobTimedOut(f"failed {job.attempts} times: it ran longer than {self.timeout:g} s"))

    def _retry_or_fail(self, job: _ClusterJob, error: Exception) -> None:
        if job.attempts <= self.retries and not self._stop.is_set():
            self.retried += 1
            self._send(job)
        else:
            _settle(job.future, error=error)

    def _restart(self, workers: set[str]) -> None:
        """Restart ``workers`` through their nannies (the only way to stop a running task)."""
        if workers:
            with contextlib.suppress(Exception):  # no nanny, or already gone: Dask handles the rest
                self.client.restart_workers(sorted(workers), timeout=RESTART_TIMEOUT, raise_for_error=False)


def _settle(future: Future[Any], result: Any = None, error: Exception | None = None) -> None:
    """Give ``future`` its outcome unless the build cancelled it meanwhile."""
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


@contextlib.contextmanager
def open_cluster(
    address: str,
    probe: EnvironmentProbe,
    shared: list[Path],
    job_timeout: float,
    hooks: WorkerHooks,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Iterator[ClusterExecutor]:
    """Connect to the scheduler at ``address``, check its workers see ``shared`` (absolute
    folders) and match this machine on ``probe``, and yield an executor for the build's jobs.

    The ``hooks``' initializer and warm-up run once in each worker process
    before its first job of this build, as in a local worker (a Dask worker
    outlives the build: engines that need closing are closed when it stops,
    so the finalizer is not used). Raises :class:`ClusterError` (one
    line per problem, exit status 2) when the scheduler cannot be reached, has
    no workers, or a worker differs."""
    client = _connect(address, connect_timeout)
    try:
        with shared_tokens(shared) as tokens:
            probe = replace(probe, tokens=tokens)
            expected = _check_workers(client, address, probe, connect_timeout)
            guard = WorkerGuard(probe, expected, f"pipeline-build-{secrets.token_hex(8)}", hooks)
            executor = ClusterExecutor(client, guard, job_timeout)
            try:
                yield executor
            except BaseException:
                executor.abort()
                raise
            finally:
                executor.shutdown(wait=True, cancel_futures=True)
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=connect_timeout)


def _connect(address: str, timeout: float) -> Client:
    logging.getLogger("distributed").setLevel(logging.CRITICAL)  # its retries are not the operator's business
    try:
        with warnings.catch_warnings():
            # Dask warns when its own versions differ across the cluster; the check below says more.
            warnings.simplefilter("ignore")
            return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        reason = str(error).split("\n", 1)[0] or type(error).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({reason})") from None


def _check_workers(
    client: Client, address: str, probe: EnvironmentProbe, timeout: float
) -> tuple[tuple[str, str], ...]:
    """This machine's description, after every worker was found to match it."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ClusterError(
            f"the Dask scheduler at {address} has no workers (waited {timeout:g} s); start some with "
            f"'dask worker {address}'"
        ) from None
    here = describe_environment(probe)
    answers = client.run(describe_environment, probe, on_error="return")
    problems = []
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            problems.append(f"worker {worker} cannot describe its environment: {type(answer).__name__}: {answer}")
            continue
        found = differences(here, answer)
        if found:
            problems.append(f"worker {worker} differs from this machine: {'; '.join(found)}")
    if problems:
        raise ClusterError("\n".join(f"{address}: {problem}" for problem in problems))
    return tuple(sorted(here.items()))
