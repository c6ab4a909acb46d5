"""Segment jobs on a Dask distributed cluster: ``pipeline build --scheduler tcp://HOST:8786``.

Entry points: :func:`open_cluster` (connect with a short timeout, check
every worker, yield a :class:`ClusterExecutor`) and :func:`run_on_worker`
(the task each job becomes). Only the segment jobs go to the cluster:
planning, the build lock, manifests, joining, lyrics, playlists and the
report stay in the build's own process, which gets each job's result through
the standard ``concurrent.futures.Executor`` interface, as from the local
pool (:mod:`pipeline.build.workers`).

Storage is shared: the project folder and the output folder must be at the
same paths on every worker. Before any job is sent, the scheduler, which
unpickles every task and so imports the pipeline, must describe its
installation as this machine's (Python, the pipeline's code, pinned
packages); then every worker describes its environment
(:mod:`pipeline.build.worker_env`: the token files written here, Python, the
pipeline's code, pinned packages, speech engines and voice data,
pronunciation data) and the build is refused, one line per worker that
differs, when any does. A worker that joins later checks itself before its
first job and fails the job instead of making other bytes.

The guarantees are the local pool's:

- *Timeout*: a job running longer than the build's ``--job-timeout`` is
  cancelled and its worker stopped: restarted by its nanny (a thread cannot
  be stopped any other way), or, without a nanny or when the nanny does not
  answer, removed from the cluster, so that a stuck task never holds a worker
  for the rest of the build; then the job is tried once more (a restarted
  worker's old process is gone by then; a removed one is given no more
  tasks, and its process closes by itself once Dask's 30 s wait for its
  running task is over). A removed worker is not replaced, so the build says
  so (:meth:`ClusterExecutor.take_notes`). The stuck jobs found in one look
  are stopped together, in a thread of their own, while the build's other
  jobs go on.
- *No workers*: jobs that have waited :data:`NO_WORKERS_TIMEOUT` seconds on a
  cluster without workers (its last removed, or dead, and none started in
  their place) end the build as a lost scheduler does: they could wait for
  ever.
- *Retry*: a worker that dies mid-job is replaced by Dask, which runs the task
  again elsewhere; when Dask gives up on it (``KilledWorker``), the job is
  tried once more under a new key.
- *Isolation*: a job's error is its own result; the others go on.
- *Outputs*: a job only stages its file beside the destination (a hidden
  ``.NAME.xxxx.part``); the build's own process renames it into place and
  records it, under its lock. A job that outlives its build (the build was
  killed, or its worker could not be stopped) finds on finishing that the
  build's token files are gone or that another run holds the project's lock
  (:func:`pipeline.build.lock.holds_lock`), deletes what it staged, and ends;
  what it staged before that moment is swept by the next build of the folder,
  which writes its own lock record before sweeping. A build that ends sweeps
  the folders it made once its token files are removed, so a straggler of its
  own cannot leave a staged file behind either.
- *Workers*: :class:`PipelineWorkerPlugin` gives every worker the local
  pool's memory settings and closes its speech engines when the worker stops.

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

import ast
import contextlib
import logging
import os
import queue
import re
import secrets
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, InvalidStateError
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distributed import Client, KilledWorker, Worker, WorkerPlugin, get_worker

from pipeline.build.lock import current_run, holds_lock
from pipeline.build.worker_env import EnvironmentProbe, describe_environment, differences, shared_tokens
from pipeline.build.workers import JobFailed, JobTimedOut, WorkerDied, WorkerHooks, rebuild_error, run_job
from pipeline.errors import ClusterError, ClusterLost
from pipeline.fsutil import remove_partials

CONNECT_TIMEOUT = 5.0  # seconds to reach the scheduler, and to wait for a first worker
RESTART_TIMEOUT = 30.0  # seconds for a nanny to stop a worker stuck in a job (it waits 4 s, then kills it)
# Seconds the build's jobs wait on a cluster without workers before the build gives up: a nanny's
# fresh worker, or one a deployment system starts in place of a removed one, comes within seconds.
NO_WORKERS_TIMEOUT = 60.0
WATCH_INTERVAL = 0.1
WORKERS_COUNT_INTERVAL = 1.0  # seconds between looks at how many workers the cluster has, while jobs wait
PLUGIN_NAME = "broadcast-pipeline"
_WRAPPED_ERROR = re.compile(r"([A-Za-z_]\w*)\((.*)\)", re.DOTALL)  # a worker's error as the scheduler passes it on
ENDED = "not committed: the build that asked for this file has ended"


@dataclass(frozen=True)
class WorkerGuard:
    """Sent with every job: what the worker must match, and how to prepare it once per build."""

    probe: EnvironmentProbe
    expected: tuple[tuple[str, str], ...]  # the build machine's answer to the probe
    topic: str  # the build's own event topic, also its id on the workers
    hooks: WorkerHooks  # the initializer runs before the worker's first job
    run: str = ""  # the build's run id in the project's lock file (set when its first job is sent)


_prepared: set[str] = set()  # topics of the builds this worker process has checked and prepared


def run_on_worker(guard: WorkerGuard, key: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    """The Dask task of one job: check and prepare this worker (once per build), say the job
    started (its timeout runs from here, as a local worker's runs once it is ready), run it.

    Returns :func:`pipeline.build.workers.run_job`'s ``(status, payload)``,
    so the job's errors reach the build with their messages and exit codes."""
    worker = get_worker()
    if not build_is_live(guard):
        return "error", ("PipelineError", ENDED, 1, "")
    prepared = run_job(_prepare, (guard, worker.address), {})
    if prepared[0] != "ok":
        return prepared
    worker.log_event(guard.topic, {"key": key, "worker": worker.address})
    status, payload = run_job(fn, args, {})
    if status == "ok" and not build_is_live(guard):
        staged = getattr(payload, "staged", None)
        if isinstance(staged, Path):
            staged.unlink(missing_ok=True)  # no build will commit it: leave nothing behind
        return "error", ("PipelineError", ENDED, 1, "")
    return status, payload


def executing_keys(dask_worker: Worker) -> list[str]:
    """On a worker: the keys of the tasks its threads are running, those cancelled meanwhile
    included (Dask cannot stop a thread; it only forgets the task)."""
    return [str(task.key) for task in dask_worker.state.executing]


def build_is_live(guard: WorkerGuard) -> bool:
    """True while the build that sent ``guard`` runs: its token files are in place (a build
    removes them when it ends, however it ends short of being killed; the next cluster build
    removes those of a killed one) and it still holds the project's lock (another build, even a
    local one, writes its own run id there before it sweeps what a killed run left)."""
    tokens = all((Path(folder) / name).exists() for folder, name in guard.probe.tokens)
    return tokens and holds_lock(Path(guard.probe.root), guard.run)


def _prepare(guard: WorkerGuard, address: str) -> None:
    if guard.topic in _prepared:
        return
    found = differences(dict(guard.expected), describe_environment(guard.probe))
    if found:
        raise ClusterError(f"worker {address} differs from the build's machine: {'; '.join(found)}")
    if guard.hooks.initializer is not None:
        guard.hooks.initializer()
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

    def __init__(
        self,
        client: Client,
        guard: WorkerGuard,
        timeout: float,
        retries: int = 1,
        no_workers_timeout: float = NO_WORKERS_TIMEOUT,
    ) -> None:
        self.client = client
        self.guard = guard
        self.timeout = timeout
        self.retries = retries
        self.no_workers_timeout = no_workers_timeout
        self.retried = 0
        self.stopped_workers: dict[str, str] = {}  # stuck workers stopped: address -> "OK", "removed"…
        self._jobs: dict[str, _ClusterJob] = {}  # by the key of each job's current attempt
        self._keys: set[str] = set()  # every attempt's key
        self._stopping: list[_ClusterJob] = []  # timed out, waiting for their workers to be stopped
        self._stoppers: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._starts: queue.SimpleQueue[tuple[str, str, float]] = queue.SimpleQueue()
        self._closing = False
        self._lost: ClusterLost | None = None  # set when the scheduler went away, or every worker for too long
        self._notes: queue.SimpleQueue[str] = queue.SimpleQueue()  # for the build to say (take_notes)
        self._no_workers_since: float | None = None
        self._next_count = 0.0  # when to count the cluster's workers again
        self._cancelled = False  # set when the build cancelled a job, which may be running
        self._stop = threading.Event()
        client.subscribe_topic(guard.topic, self._on_start)
        self._watchdog = threading.Thread(target=self._watch, name="cluster-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def size(self) -> int:
        """The cluster's workers now (what the build reports as its parallelism)."""
        with contextlib.suppress(Exception):  # the scheduler may be gone
            return len(self.client.scheduler_info(n_workers=-1)["workers"])
        return 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Send ``fn(*args)`` to the cluster; the future holds its result or error."""
        if kwargs:
            raise TypeError("cluster jobs take positional arguments only")
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit to an executor that is shutting down")
            if not self.guard.run:  # the build submits under its lock: its run id is recorded now
                self.guard = replace(self.guard, run=current_run(Path(self.guard.probe.root)))
        job = _ClusterJob(Future(), fn, args)
        job.future.add_done_callback(lambda future: self._cancel_task(job) if future.cancelled() else None)
        self._send(job)
        return job.future

    def take_notes(self) -> list[str]:
        """What the build should tell the operator since the last call (a worker removed from the
        cluster), one line each; the build says them from its own thread."""
        notes = []
        while True:
            try:
                notes.append(self._notes.get_nowait())
            except queue.Empty:
                return notes

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
                outstanding = [job.future for job in [*self._jobs.values(), *self._stopping] if not job.future.done()]
            if not outstanding:
                break
            time.sleep(WATCH_INTERVAL)
        if wait and self._cancelled and self._lost is None:
            self._wait_for_cancelled()
        self._stop.set()
        self._watchdog.join()
        for stopper in list(self._stoppers):  # a stuck worker is stopped before the build goes on
            stopper.join()
        with contextlib.suppress(Exception):  # the scheduler may already be gone
            self.client.unsubscribe_topic(self.guard.topic)

    def abort(self) -> None:
        """Stop now (the build was interrupted): cancel every job and restart the workers running
        one, so no job of this build finishes after it.

        A job's start may still be on its way from its worker, and a job the
        build cancelled may have started meanwhile (the scheduler then forgets
        it, the worker's thread does not), so the workers are asked which of
        this build's tasks they are running."""
        self._note_starts()
        with self._lock:
            self._closing = True
            jobs = list(self._jobs.values())
            self._jobs.clear()
        running = {job.worker for job in jobs if job.started is not None}
        running |= self._workers_running(self._keys)
        for job in jobs:
            if not job.future.cancel():  # running: it fails, as a local worker's job does when stopped
                _settle(job.future, error=JobFailed("stopped: the build was interrupted"))
            self._cancel_task(job)
        self._stop_workers(running)
        self._stop.set()  # the stuck jobs being stopped are not tried again
        self.shutdown(wait=False)

    def _send(self, job: _ClusterJob) -> None:
        if self._lost is not None:
            _settle(job.future, error=self._lost)
            return
        key = f"pipeline-job-{uuid.uuid4().hex}"
        with self._lock:
            job.attempts += 1
            job.key, job.started, job.worker = key, None, ""
            self._jobs[key] = job
            self._keys.add(key)
        job.task = self.client.submit(run_on_worker, self.guard, key, job.fn, job.args, key=key, pure=False)
        job.task.add_done_callback(lambda task: self._settled(job, key, task))

    def _wait_for_cancelled(self) -> None:
        """Return once no worker runs a task of this build. A job the build cancelled
        (``--fail-fast``) before its start reached the build may be running: Dask forgets the
        task but cannot stop its thread, which would stage its file after the build. Wait for
        such tasks, up to the job timeout, then stop the workers still running one, as
        :meth:`abort` does."""
        deadline = time.monotonic() + self.timeout
        while running := self._workers_running(self._keys):
            if time.monotonic() >= deadline:
                self._stop_workers(running)
                return
            time.sleep(WATCH_INTERVAL)

    def _cancel_task(self, job: _ClusterJob) -> None:
        self._cancelled = True
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
            _settle(job.future, error=JobFailed(f"the cluster could not run the job: {_first_line(error)}"))
        elif self.client.status != "running":  # cancelled by Dask itself: the scheduler is gone
            self._cluster_lost(f"lost the Dask scheduler at {self._address} mid-build")
        else:
            _settle(job.future, error=JobFailed("the cluster dropped the job"))

    @property
    def _address(self) -> str:
        return str(self.client.scheduler.address) if self.client.scheduler is not None else "?"

    def _cluster_lost(self, reason: str) -> None:
        """Fail every job not finished with one :class:`ClusterLost` saying ``reason``: the build
        stops there."""
        with self._lock:
            if self._lost is None:
                self._lost = ClusterLost(reason)
            jobs = [*self._jobs.values(), *self._stopping]
            self._jobs.clear()
        for job in jobs:
            _settle(job.future, error=self._lost)

    # The watchdog thread: marks jobs running, enforces the timeout.

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            self._note_starts()
            now = time.monotonic()
            if now >= self._next_count:
                self._next_count = now + WORKERS_COUNT_INTERVAL
                self._count_workers(now)
            with self._lock:
                overdue = [
                    job
                    for job in self._jobs.values()
                    if job.started is not None and now - job.started > self.timeout and not job.future.done()
                ]
            if overdue:
                self._time_out(overdue)

    def _count_workers(self, now: float) -> None:
        """Give up once jobs have waited ``no_workers_timeout`` seconds on a cluster without
        workers (its last were removed, or died, and nothing starts others): no job could end."""
        with self._lock:
            waiting = bool(self._jobs) and self._lost is None
        if not waiting:
            self._no_workers_since = None
            return
        try:
            workers = len(self.client.nthreads(callback_timeout=CONNECT_TIMEOUT))
        except Exception:  # the scheduler is gone or slow: its loss is said when the jobs end
            return
        if workers:
            self._no_workers_since = None
        elif self._no_workers_since is None:
            self._no_workers_since = now
        elif now - self._no_workers_since >= self.no_workers_timeout:
            wait = f"{self.no_workers_timeout:g} s"
            self._cluster_lost(f"the Dask scheduler at {self._address} has had no workers for {wait}")

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

    def _time_out(self, jobs: list[_ClusterJob]) -> None:
        """Cancel ``jobs``, then in a thread of its own stop their workers and try each once more
        (or fail it): the watchdog goes on watching the other jobs meanwhile."""
        with self._lock:
            for job in jobs:
                self._jobs.pop(job.key, None)
            self._stopping.extend(jobs)
        for job in jobs:
            self._cancel_task(job)
        stopper = threading.Thread(target=self._stop_stuck, args=(jobs,), name="cluster-stop-stuck", daemon=True)
        self._stoppers.append(stopper)
        stopper.start()

    def _stop_stuck(self, jobs: list[_ClusterJob]) -> None:
        stopped = self._stop_workers({job.worker for job in jobs})
        for worker, outcome in sorted(stopped.items()):
            if outcome in REMOVED:  # the cluster is a worker short from now on: the operator must know
                self._notes.put(f"worker {worker} ran a job past its time limit and {REMOVED[outcome]}")
        with self._lock:
            for job in jobs:
                self._stopping.remove(job)
        for job in jobs:
            self._retry_or_fail(job, JobTimedOut(f"failed {job.attempts} times: it ran longer than {self.timeout:g} s"))

    def _retry_or_fail(self, job: _ClusterJob, error: Exception) -> None:
        if job.attempts <= self.retries and not self._stop.is_set() and not job.future.done():
            self.retried += 1
            self._send(job)
        else:
            _settle(job.future, error=error)

    def _workers_running(self, keys: set[str]) -> set[str]:
        """The workers running any of ``keys`` now, cancelled ones included (each worker says)."""
        try:
            answers = self.client.run(executing_keys, on_error="return")
        except Exception:  # the scheduler is gone: so are the tasks it ran
            return set()
        return {
            worker for worker, running in answers.items() if isinstance(running, list) and keys.intersection(running)
        }

    def _stop_workers(self, workers: set[str]) -> dict[str, str]:
        """Stop the processes of ``workers`` (the only way to stop a running task): a nanny kills
        its worker (after 4 s) and starts a fresh one, and this returns once the old process is
        gone. A worker without a nanny, or whose nanny does not answer in time, is removed from
        the cluster instead: the scheduler forgets it at once (no task goes there any more) and
        tells it to close, which it does once its running task ends or Dask's 30 s wait for that
        task runs out. Returns what became of each worker (``"OK"``: restarted; ``"removed"``,
        ``"timed out"``: removed; or why it could not be stopped).

        The scheduler's own call is used: the client's ``restart_workers`` refuses workers
        without a nanny, and waits for the replacements to arrive, which the build need not do."""
        scheduler = self.client.scheduler
        if not workers or scheduler is None:
            return {}
        try:
            stopped = self.client.sync(
                scheduler.restart_workers,
                workers=sorted(workers),
                timeout=RESTART_TIMEOUT,
                wait_for_workers=False,
                on_error="return",
                stimulus_id=f"pipeline-stop-stuck-{time.time()}",
            )
        except Exception as error:  # the scheduler is gone: so is every task it ran for this build
            stopped = {worker: f"not stopped ({type(error).__name__})" for worker in workers}
        self.stopped_workers.update(stopped)
        return stopped


# What the scheduler's restart_workers answers for a worker it removed instead of restarting.
REMOVED = {
    "removed": "was removed from the cluster: it has no nanny to restart it",
    "timed out": f"was removed from the cluster: its nanny did not restart it within {RESTART_TIMEOUT:g} s",
}


def _settle(future: Future[Any], result: Any = None, error: Exception | None = None) -> None:
    """Give ``future`` its outcome unless the build cancelled it meanwhile."""
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class PipelineWorkerPlugin(WorkerPlugin):
    """What every Dask worker gets, as a local pool worker does: the pool's memory settings
    when it starts (:func:`apply_memory_settings`, and no transparent huge pages: see
    :func:`pipeline.processes.without_huge_pages`) and, when it stops, its speech engines
    closed (the ``hooks``' finalizer of the local pool: a Dask worker outlives the builds it
    serves, so its engines are closed with the worker, not with each build). Registered by
    every build under one name, ``idempotent``: a worker that has it keeps it."""

    idempotent = True

    def __init__(self) -> None:
        self.applied: dict[str, int] = {}  # in each worker: the settings it was given

    def setup(self, worker: Worker) -> None:
        """Called by Dask in each worker, at registration or when the worker starts."""
        from pipeline.processes import without_huge_pages

        self.applied = apply_memory_settings()
        without_huge_pages()

    def teardown(self, worker: Worker) -> None:
        """Called by Dask when the worker closes (a nanny restart included)."""
        from pipeline.processes import kill_engines
        from pipeline.tts import close_backends

        close_backends()
        kill_engines()


# glibc's mallopt() parameters for the local pool's MALLOC_*_ variables (malloc.h).
_MALLOPT_PARAMETERS = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_TOP_PAD_": -2, "MALLOC_MMAP_THRESHOLD_": -3}


def apply_memory_settings() -> dict[str, int]:
    """Give this (already running) worker process the local pool's malloc settings
    (:data:`pipeline.build.workers.WORKER_ENVIRONMENT`) through glibc's ``mallopt``: the
    environment variables are read only when a process starts, and a Dask nanny starts its
    worker with its own ``MALLOC_TRIM_THRESHOLD_`` (64 KiB), which hands freed memory back at
    every large array and costs system time. A value the operator set in the worker's
    environment (one that is not Dask's own default) is kept. The numerical libraries' thread
    counts need no setting: the nanny already starts workers with one thread each. Returns
    what was applied (nothing off glibc)."""
    import ctypes

    import dask

    from pipeline.build.workers import WORKER_ENVIRONMENT

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return {}
    dask_defaults = {name: str(value) for name, value in dask.config.get("distributed.nanny.pre-spawn-environ").items()}
    applied = {}
    for name, parameter in _MALLOPT_PARAMETERS.items():
        own = os.environ.get(name)
        if own is not None and own != dask_defaults.get(name):
            continue  # the operator's choice
        value = int(WORKER_ENVIRONMENT[name])
        if mallopt(parameter, value) == 1:
            applied[name] = value
    return applied


@contextlib.contextmanager
def open_cluster(
    address: str,
    probe: EnvironmentProbe,
    shared: list[Path],
    job_timeout: float,
    hooks: WorkerHooks,
    connect_timeout: float = CONNECT_TIMEOUT,
    staged_in: Sequence[Path] = (),
    no_workers_timeout: float = NO_WORKERS_TIMEOUT,
) -> Iterator[ClusterExecutor]:
    """Connect to the scheduler at ``address``, check its workers see ``shared`` (absolute
    folders) and match this machine on ``probe``, and yield an executor for the build's jobs.

    The ``hooks``' initializer runs once in each worker process
    before its first job of this build, as in a local worker; the finalizer
    is :class:`PipelineWorkerPlugin`'s, registered here. When the block ends,
    however it ends, the token files are removed and then the staged files
    left in ``staged_in`` (the build's output folders; give them only under
    the build lock) are swept: none of this build's jobs can commit anything
    any more. Raises :class:`ClusterError` (one line per problem, exit status
    2) when the scheduler cannot be reached, cannot import the pipeline or
    differs from this machine, has no workers, or a worker cannot import the
    pipeline or differs."""
    client = _connect(address, connect_timeout)
    try:
        _check_scheduler(client, address, probe)
        with shared_tokens(shared) as tokens:
            probe = replace(probe, tokens=tokens)
            expected = _check_workers(client, address, probe, connect_timeout)
            client.register_plugin(PipelineWorkerPlugin(), name=PLUGIN_NAME)
            guard = WorkerGuard(probe, expected, f"pipeline-build-{secrets.token_hex(8)}", hooks)
            executor = ClusterExecutor(client, guard, job_timeout, no_workers_timeout=no_workers_timeout)
            try:
                yield executor
            except BaseException:
                executor.abort()
                raise
            finally:
                executor.shutdown(wait=True, cancel_futures=True)
    finally:
        for folder in staged_in:
            remove_partials(folder)
        with contextlib.suppress(Exception):
            client.close(timeout=connect_timeout)


def _connect(address: str, timeout: float) -> Client:
    # Dask's retries and reconnection attempts are not the operator's business: what they lead to
    # is said once, by the build. Its configuration gives some loggers levels of their own.
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name.split(".")[0] == "distributed":
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            # Dask warns when its own versions differ across the cluster; the check below says more.
            warnings.simplefilter("ignore")
            return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        reason = str(error).split("\n", 1)[0] or type(error).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({reason})") from None


def _check_scheduler(client: Client, address: str, probe: EnvironmentProbe) -> None:
    """Refuse a scheduler that cannot read this build's tasks: Dask's scheduler unpickles every
    task it is sent, which imports the pipeline's modules there, and fails each task otherwise.

    It is asked to describe its installation (Python, the pipeline's code, the pinned packages:
    :func:`describe_environment` with nothing to look at beyond them) by a call that names a
    function of the pipeline, which the scheduler unpickles as it unpickles a task. Dask's own
    ``Client.get_versions(packages=[...])`` was not enough: it reads each package's installed
    metadata (``importlib.metadata``), not whether the package imports, and a scheduler whose
    Python cannot import the pipeline still reports its version there."""
    bare = EnvironmentProbe((), (), (), probe.root)
    try:
        answer = client.run_on_scheduler(describe_environment, bare)
    except Exception as error:  # the call could not be unpickled, or run, on the scheduler
        problem = "cannot import the pipeline" if _cannot_import(error) else "cannot describe its installation"
        raise ClusterError(
            f"{address}: the Dask scheduler {problem} ({_first_line(error)}); start it from the build's installation"
        ) from None
    found = differences(describe_environment(bare), answer)
    if found:
        raise ClusterError(f"{address}: the Dask scheduler differs from this machine: {'; '.join(found)}")


def _first_line(error: BaseException) -> str:
    """``Type: message`` of ``error``, its message cut at the first line (Dask's run to several)."""
    name, message = _named(error)
    message = message.strip().split("\n", 1)[0]
    return f"{name}: {message}" if message else name


def _named(error: BaseException) -> tuple[str, str]:
    """The type name and message of ``error``, or of the worker's error it stands for: an error
    on a worker reaches the build through the scheduler, which does not unpickle it and passes on
    ``Exception(repr(the error))``."""
    wrapped = _WRAPPED_ERROR.fullmatch(str(error)) if type(error) is Exception else None
    if wrapped is not None:
        with contextlib.suppress(ValueError, SyntaxError, MemoryError, RecursionError):
            arguments = ast.literal_eval(f"({wrapped.group(2)},)")
            return wrapped.group(1), str(arguments[0]) if len(arguments) == 1 else ", ".join(map(str, arguments))
    return type(error).__name__, str(error)


def _cannot_import(error: BaseException) -> bool:
    """Whether ``error`` (or the worker's error it stands for) is a failed import."""
    name = _named(error)[0]
    return isinstance(error, ImportError) or name in ("ImportError", "ModuleNotFoundError")


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
        if isinstance(answer, BaseException) and _cannot_import(answer):  # nor can it unpickle a job
            problems.append(f"worker {worker} cannot import the pipeline ({_first_line(answer)})")
            continue
        if isinstance(answer, BaseException):
            problems.append(f"worker {worker} cannot describe its environment: {_first_line(answer)}")
            continue
        found = differences(here, answer)
        if found:
            problems.append(f"worker {worker} differs from this machine: {'; '.join(found)}")
    if problems:
        raise ClusterError("\n".join(f"{address}: {problem}" for problem in problems))
    return tuple(sorted(here.items()))
