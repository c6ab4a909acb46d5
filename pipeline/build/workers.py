"""A process pool for build jobs, behind the standard ``concurrent.futures.Executor`` interface.

Entry point: :class:`WorkerPool`. Workers are never forked from the build, so
no speech engine of the build's is ever copied into a child: on Linux each
pool starts one server process with ``spawn``, which imports what the workers
need once (the ``preload`` hook) and forks every worker, the replacements
included, so that a worker costs a fork instead of an interpreter and its
imports (see :mod:`pipeline.build.worker_server`: the server is checked to
hold no engine and no other thread when it forks); elsewhere every worker is
started with ``spawn``. Workers run one job at a time, and are replaced after
``recycle_after`` jobs so that every engine they own starts fresh regularly. A
job that runs past its timeout, or whose worker dies (a crash in an engine or
a codec), is retried once on a fresh worker; the second failure is the job's
result, and no other job is affected.

The pool knows nothing of what its jobs do: the caller names, as picklable
module-level functions, what the server imports before it forks any worker
(``preload``: imports only, never an engine or a thread), what a fresh worker
runs before it says it is ready (``initializer``: imports, engines) and when
it stops (``finalizer``: closing engines).

Workers never outlive the build: each asks the kernel for SIGTERM when its
parent dies (``PR_SET_PDEATHSIG``, see :mod:`pipeline.processes`): the server,
which itself asks for SIGKILL when the build's pool thread ends (or the build,
for a spawned worker); each kills its engines' process groups on the way out,
and ignores Ctrl-C (the terminal sends it to the whole process group; the
build itself stops its workers, so no worker prints a traceback). A worker
that is stopped gets SIGTERM first and SIGKILL after a grace period.
:meth:`WorkerPool.abort` stops everything at once when the build is
interrupted.

Workers start when jobs wait, or all at once when asked
(:meth:`WorkerPool.start_workers`: their start, the server's preload above
all, then overlaps the caller's own work); until the server has finished its
preload, workers wait for it. :class:`PoolOnDemand` holds a build's own pool:
made when first asked for, let go as soon as the last job is done (the workers
exit while the build finishes), waited for at the end of its ``with`` block or
stopped at once when the block raises. A worker whose jobs are done ends
without tearing its interpreter down.

Because the stages only see an ``Executor``, the same build can be handed to
another executor (a thread pool in tests, a cluster scheduler's executor)
without touching them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, cast

from pipeline.build import worker_server
from pipeline.build.timeline import mark
from pipeline.build.worker_server import ForkedWorker, ServerFailed
from pipeline.errors import PipelineError, storage_error
from pipeline.processes import die_with_parent, end_now, kill_engines, remember_parent, without_huge_pages

DEFAULT_TIMEOUT = 300.0
DEFAULT_RECYCLE_AFTER = 100
MAX_FAILED_STARTS = 3
STOP_GRACE_SECONDS = 2.0  # a stopped worker's time to kill its engines and exit before SIGKILL


class JobFailed(PipelineError):
    """A job raised an error in its worker (the worker's message is kept)."""


class JobTimedOut(PipelineError):
    """A job ran past its timeout twice."""


class WorkerDied(PipelineError):
    """A job's worker process died twice while running it."""


@dataclass
class _Job:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    attempts: int = 0


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess | ForkedWorker
    conn: Connection
    jobs_done: int = 0
    job: _Job | None = None
    started: float = field(default_factory=time.monotonic)
    ready: bool = False  # set when the process has imported everything and run the initializer


# The environment a worker starts with (unless the operator set these). Numerical libraries
# start a thread per core in every process; with one worker per core those threads only compete
# with the other workers. glibc gives every large array its own mapping and returns it on free,
# so each new array costs page faults; keeping freed memory in the heap saves that system time
# (the worker's peak memory is the same).
WORKER_ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": str(256 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(512 << 20),
    "MALLOC_TOP_PAD_": str(64 << 20),
}


@contextlib.contextmanager
def _worker_environment() -> Iterator[None]:
    """Start a worker with :data:`WORKER_ENVIRONMENT` added to the operator's environment."""
    added = {name: value for name, value in WORKER_ENVIRONMENT.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@dataclass(frozen=True)
class WorkerHooks:
    """What every worker process runs around its jobs (module-level functions, sent by reference)."""

    initializer: Callable[[], None] | None = None  # before the worker says it is ready
    finalizer: Callable[[], None] | None = None  # when it stops
    preload: Callable[[], None] | None = None  # once, in the server workers are forked from: imports only


class WorkerPool(Executor):
    """``workers`` processes running submitted callables, with timeouts and one retry."""

    def __init__(
        self,
        workers: int,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 1,
        recycle_after: int = DEFAULT_RECYCLE_AFTER,
        initializer: Callable[[], None] | None = None,
        finalizer: Callable[[], None] | None = None,
        preload: Callable[[], None] | None = None,
        fork_from_server: bool | None = None,
    ) -> None:
        self.size = max(1, workers)
        self.timeout = timeout
        self.retries = retries
        self.recycle_after = recycle_after
        self.hooks = WorkerHooks(initializer, finalizer, preload)
        self.context = multiprocessing.get_context("spawn")
        if fork_from_server is None:
            fork_from_server = worker_server.supported()
        self._server = worker_server.WorkerServer(self.context, self.hooks) if fork_from_server else None
        self._pending: deque[_Job] = deque()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._aborting = False
        self._eager = False  # start every worker now, not when jobs wait (see start_workers)
        self.retried = 0
        self.workers_started = 0
        self._failed_starts = 0
        self._dispatcher = threading.Thread(target=self._dispatch, name="worker-pool", daemon=True)
        self._dispatcher.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue ``fn(*args, **kwargs)`` for a worker; the future holds its result or error."""
        future: Future[Any] = Future()
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit to a pool that is shutting down")
            self._pending.append(_Job(future, fn, args, kwargs))
        self._wake.set()
        return future

    def start_workers(self) -> None:
        """Start every worker now, before any job is submitted, so that their start (the
        server's preload, or a Python interpreter and the initializer's imports per worker)
        overlaps the caller's own work; replaced workers are then started at once too. Without
        it, workers start when jobs wait."""
        with self._lock:
            self._eager = True
        self._wake.set()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting jobs; finish (or cancel) queued ones; stop the workers."""
        with self._lock:
            self._closing = True
            if cancel_futures:
                while self._pending:
                    self._pending.popleft().future.cancel()
        self._wake.set()
        if wait:
            self._dispatcher.join()

    def abort(self) -> None:
        """Stop now: cancel queued jobs, stop every worker (running jobs fail), and wait for the
        workers to be gone. For an interrupted build, whose running jobs must not finish."""
        with self._lock:
            self._closing = True
            self._aborting = True
            while self._pending:
                self._pending.popleft().future.cancel()
        self._wake.set()
        self._dispatcher.join()

    # The dispatcher thread: hands out jobs, collects results, enforces timeouts.

    def _dispatch(self) -> None:
        # Workers are started from this thread and inherit its signal mask across exec: with
        # SIGINT blocked here, a Ctrl-C cannot reach a worker before it has set itself to ignore it.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            while True:
                with self._lock:
                    busy = any(w.job for w in self._workers) and not self._aborting
                    finished = self._closing and not self._pending and not busy
                if finished:
                    break
                self._start_eagerly()
                self._assign()
                self._collect()
                self._enforce_timeouts()
        finally:
            for worker in self._workers:  # all at once: each then exits while the others are waited for
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(None)
            for worker in list(self._workers):
                self._stop(worker)
                if worker.job is not None and not worker.job.future.done():
                    worker.job.future.set_exception(JobFailed("stopped: the build was interrupted"))
            if self._server is not None:
                self._server.stop()  # after its workers: they end on their own, not by its death

    def _assign(self) -> None:
        with self._lock:
            while self._pending:
                worker = self._idle_worker()
                if worker is None:
                    return
                job = self._pending.popleft()
                if job.attempts == 0 and not job.future.set_running_or_notify_cancel():
                    continue  # cancelled while queued
                job.attempts += 1
                try:
                    payload = ForkingPickler.dumps((job.fn, job.args, job.kwargs))
                except Exception as exc:  # pickling raises several unrelated types for an unsendable job
                    job.future.set_exception(JobFailed(f"cannot send the job to a worker: {exc}"))
                    continue
                try:
                    worker.conn.send_bytes(payload)
                except (OSError, ValueError) as exc:
                    job.future.set_exception(JobFailed(f"cannot send the job to a worker: {exc}"))
                    self._replace(worker)
                    continue
                worker.job = job
                worker.started = time.monotonic()

    def _start_eagerly(self) -> None:
        with self._lock:
            while self._eager and not self._closing and len(self._workers) < self.size:
                if self._failed_starts >= MAX_FAILED_STARTS or self._start() is None:
                    return

    def _idle_worker(self) -> _Worker | None:
        for worker in self._workers:
            if worker.ready and worker.job is None:
                return worker
        if len(self._workers) < self.size:
            self._start()
        return None

    def _collect(self) -> None:
        busy = {worker.conn: worker for worker in self._workers if worker.job is not None or not worker.ready}
        server = self._server.waitable if self._server is not None else None
        if not busy and server is None:
            self._wake.wait(0.05)
            self._wake.clear()
            return
        for ready in wait([*busy, *([server] if server is not None else [])], timeout=0.05):
            if ready is server:
                with self._lock:
                    self._server_ready()
                continue
            worker = busy[cast(Connection, ready)]
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError):
                self._lost(worker, WorkerDied, "its worker process died")
                continue
            if status == "ready":
                worker.ready = True
                continue
            job, worker.job = worker.job, None
            assert job is not None
            worker.jobs_done += 1
            if worker.jobs_done >= self.recycle_after:
                with self._lock:
                    self._replace(worker)
            self._assign()  # the next job goes out before this one's result wakes the build's thread
            if status == "ok":
                job.future.set_result(payload)
            else:
                job.future.set_exception(rebuild_error(payload))

    def _enforce_timeouts(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.job is None:
                continue
            if not worker.process.is_alive():
                self._lost(worker, WorkerDied, "its worker process died")
                continue
            if now - worker.started > self.timeout:
                self._lost(worker, JobTimedOut, f"it ran longer than {self.timeout:g} s")

    def _lost(self, worker: _Worker, error: type[PipelineError], why: str) -> None:
        """The worker is gone or stuck: replace it and retry its job once, or fail the job."""
        job, worker.job = worker.job, None
        with self._lock:
            self._replace(worker)
            if job is None:
                self._failed_starts += 0 if worker.ready else 1
                if self._failed_starts >= MAX_FAILED_STARTS:
                    self._fail_pending(JobFailed("worker processes die before they are ready (see stderr)"))
                return
            if job.attempts <= self.retries:
                self.retried += 1
                self._pending.appendleft(job)
            else:
                job.future.set_exception(error(f"failed {job.attempts} times: {why}"))

    def _fail_pending(self, error: PipelineError) -> None:
        while self._pending:
            job = self._pending.popleft()
            if job.attempts or job.future.set_running_or_notify_cancel():
                job.future.set_exception(error)

    def _start(self) -> _Worker | None:
        """Start a worker: forked by the server (None while the server is still preloading: the
        dispatcher asks again), or spawned where workers cannot be forked from a server."""
        process: multiprocessing.process.BaseProcess | ForkedWorker
        if self._server is None:
            process, conn = self._spawn()
        else:
            forked = self._fork()
            if forked is None:
                return None
            process, conn = forked
        mark("worker spawned", worker=process.pid)
        worker = _Worker(process, conn)
        self._workers.append(worker)
        self.workers_started += 1
        return worker

    def _spawn(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=worker_main, args=(child, self.hooks, os.getpid()), daemon=False)
        with _worker_environment():
            process.start()
        child.close()
        return process, parent

    def _fork(self) -> tuple[ForkedWorker, Connection] | None:
        assert self._server is not None
        if self._server.process is None:
            self._server.start(_worker_environment)
        if not self._server_ready():
            return None
        try:
            return self._server.fork()
        except ServerFailed as error:
            self._server_failed(error)
            return None

    def _server_ready(self) -> bool:
        """Whether the server has finished its preload (a server that ended is counted as a
        failed start and is started again when a worker is next needed)."""
        assert self._server is not None
        try:
            return self._server.poll()
        except ServerFailed as error:
            self._server_failed(error)
            return False

    def _server_failed(self, error: ServerFailed) -> None:
        assert self._server is not None
        self._server.stop()
        self._failed_starts += 1
        if self._failed_starts >= MAX_FAILED_STARTS:
            self._fail_pending(JobFailed(f"worker processes cannot be started: {error}"))

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker)
        if worker in self._workers:
            self._workers.remove(worker)

    @staticmethod
    def _stop(worker: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.process.join(timeout=STOP_GRACE_SECONDS if worker.job is None else 0)
        if worker.process.is_alive():
            worker.process.terminate()  # the worker kills its engines' process groups and exits
            worker.process.join(timeout=STOP_GRACE_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        if isinstance(worker.process, ForkedWorker):
            worker.process.close()
        worker.conn.close()


class PoolOnDemand:
    """A :class:`WorkerPool` made by ``factory`` when first asked for, and stopped with the
    ``with`` block that holds it: its workers are waited for when the block ends, or stopped at
    once (running jobs fail) when the block raises (an interrupted build).

    This lets a caller start the workers early (:meth:`get` with ``start_workers``), let them
    go as soon as the last job is done (:meth:`release`: they exit while the caller finishes
    its own work), and still be sure none outlives the block.
    """

    def __init__(self, factory: Callable[[], WorkerPool]) -> None:
        self.factory = factory
        self.pool: WorkerPool | None = None

    def get(self, start_workers: bool = False) -> WorkerPool:
        """The pool (made now if need be); with ``start_workers``, its workers start now."""
        if self.pool is None:
            self.pool = self.factory()
        if start_workers:
            self.pool.start_workers()
        return self.pool

    def release(self) -> None:
        """No more jobs: queued ones are cancelled, the workers stop without being waited for."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def abort(self) -> None:
        """Stop every worker now (:meth:`WorkerPool.abort`), if the pool was made."""
        if self.pool is not None:
            self.pool.abort()

    def __enter__(self) -> PoolOnDemand:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if self.pool is None:
            return
        if kind is None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        else:
            self.abort()  # interrupted: running jobs must not finish after the build has stopped


def run_job(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, Any]:
    """Call ``fn`` in a worker: ``("ok", result)``, or ``("error", payload)`` for :func:`rebuild_error`
    (a picklable description: an exception object itself may not survive the trip)."""
    try:
        return "ok", fn(*args, **kwargs)
    except PipelineError as error:
        return "error", ("PipelineError", str(error), error.exit_code, "")
    except OSError as error:
        refused = storage_error(error)  # a full disk or a read-only folder is the user's to fix
        if refused is None:
            return "error", _bug_payload(error)
        return "error", ("PipelineError", str(refused), refused.exit_code, "")
    except Exception as error:  # a bug: keep its traceback for the report
        return "error", _bug_payload(error)


def rebuild_error(payload: tuple[str, str, int, str]) -> Exception:
    """The error a job's caller sees for a worker's ``("error", payload)``."""
    kind, message, exit_code, trace = payload
    if kind == "PipelineError":
        error = JobFailed(message)
        error.exit_code = exit_code
        return error
    return RuntimeError(f"{message}\n{trace}")


def worker_main(conn: Connection, hooks: WorkerHooks, parent: int) -> None:
    """A worker process: run jobs until told to stop or the pool goes away (``parent`` is its
    parent's process id, the server that forked it or the build that spawned it: the worker
    dies with it)."""
    _live_and_die_with(parent)
    mark("worker started")
    if hooks.initializer is not None:
        hooks.initializer()
    mark("worker ready")
    conn.send(("ready", None))
    try:
        _serve(conn)
    finally:
        if hooks.finalizer is not None:
            hooks.finalizer()
    end_now()


def _serve(conn: Connection) -> None:
    """Run the jobs the pool sends until it says stop (None) or goes away."""
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        conn.send(run_job(*request))


def _bug_payload(error: Exception) -> tuple[str, str, int, str]:
    """What the pool is told of an unexpected error: its kind, message and traceback."""
    return (type(error).__name__, f"{type(error).__name__}: {error}", 1, traceback.format_exc())


def _live_and_die_with(parent: int) -> None:
    """Ignore Ctrl-C (the build stops its workers), die with ``parent``, and on SIGTERM kill the
    engines this worker started before exiting (``finally`` blocks still run); use no
    transparent huge pages (see :func:`pipeline.processes.without_huge_pages`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    remember_parent(parent)
    die_with_parent(signal.SIGTERM, parent)
    without_huge_pages()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Kill this worker's engines and end at once. An exception raised here could land inside a
    C library's callback (soundfile's virtual file I/O), which prints it as a traceback; and a
    stopped worker has nothing to clean up: its unfinished files are staged parts no build commits."""
    kill_engines()
    os._exit(128 + signum)
