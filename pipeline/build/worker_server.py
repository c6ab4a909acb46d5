"""A server process that forks build workers after importing their modules once.

Entry points: :func:`supported` (whether workers can be forked from a server
here), :class:`WorkerServer` (the pool's side: start the server, fork a worker,
stop) and :class:`ForkedWorker` (the pool's handle on a worker the server
forked). :func:`serve` is what runs in the server.

A fresh worker used to be a new interpreter that imported the pipeline and
the audio stack itself: about 0.3 s of CPU for the interpreter and the
pipeline's imports and 0.65 s for scipy.signal/ndimage, paid by every worker
and again by every replacement (timeouts, crashes, recycling). The server is
one such interpreter, started with ``spawn`` per pool: it imports what the
workers need (the pool's ``preload`` hook), then forks a worker whenever the
pool asks for one, so that a worker costs a fork. It is the same design as
``multiprocessing``'s "forkserver" context with ``set_forkserver_preload``,
which is not used because it keeps one server per process for good: it would
hand a later build's workers the environment, working folder and
``FAKE_ENGINE_MARKERS``-style settings of the first build in that process,
and it passes its liveness pipe to every worker, so a server whose build was
killed waits for its workers while they wait for it. Here a server belongs to
one pool and lives as long as the pool's dispatcher thread.

What keeps a fork safe: the server holds no speech engine and no other
thread when it forks (checked after the preload: :func:`check_nothing_to_copy`),
so nothing a worker inherits can be running or locked; it forks from its one
thread, and ``gc.freeze()`` keeps the collector from writing to the
preloaded objects' pages (so they stay shared, not copied, in the workers).

Lifetimes: the server asks for SIGKILL when the pool's dispatcher thread (in
the build) ends, however the build ends, and each worker asks for SIGTERM when
the server ends (see :func:`pipeline.build.workers.worker_main`); a worker
then kills its engines. So ``kill -9`` of the build takes the server, every
worker and every engine with it. The server reaps its workers; the pool
watches each one through a Linux process file descriptor (``pidfd``) the
server opens right after the fork, before the worker can be reaped, so the
pool never signals a process id that has been reused.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import socket
import struct
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.build.timeline import mark
from pipeline.processes import die_with_parent, end_now, running_engines

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from pipeline.build.workers import WorkerHooks

# Messages from the server: a kind and a process id. READY (the server's id) once its preload is
# done; FORKED (the worker's id) with two descriptors: the pool's end of the worker's pipe and the
# worker's pidfd. The pool asks for a worker with FORK; closing its end stops the server.
_MESSAGE = struct.Struct("=cq")
READY, FORKED, FORK = b"R", b"F", b"f"
SERVER_STOP_SECONDS = 2.0
FORK_SECONDS = 30.0  # a ready server answers a fork in milliseconds; past this it is taken as stuck


class ServerFailed(Exception):
    """The server ended or stopped answering (its stderr says why)."""


def supported() -> bool:
    """Whether workers can be forked from a server on this system: Linux's process file
    descriptors are needed to watch and signal a worker that is not the pool's child."""
    return hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal") and hasattr(socket, "send_fds")


class ForkedWorker:
    """A worker forked by the server, watched through its pidfd (the methods of
    ``multiprocessing.Process`` the pool uses: ``pid``, ``is_alive``, ``join``, ``terminate``,
    ``kill``)."""

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self._pidfd: int | None = pidfd

    def is_alive(self) -> bool:
        return not self._ended(0)

    def join(self, timeout: float | None = None) -> None:
        self._ended(timeout)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def close(self) -> None:
        """Let go of the pidfd once the worker has ended (``is_alive`` stays false)."""
        if self._pidfd is not None and not self.is_alive():
            os.close(self._pidfd)
            self._pidfd = None

    def _ended(self, timeout: float | None) -> bool:
        if self._pidfd is None:
            return True
        readable, _, _ = select.select([self._pidfd], [], [], timeout)
        return bool(readable)  # a pidfd becomes readable when its process ends

    def _signal(self, signal_number: int) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):  # already ended (and reaped by the server)
                signal.pidfd_send_signal(self._pidfd, signal_number)


class WorkerServer:
    """The pool's side of one server: :meth:`start` (returns at once), :meth:`poll` until it is
    ready, :meth:`fork` a worker (a few milliseconds), :meth:`stop`."""

    def __init__(self, context: SpawnContext, hooks: WorkerHooks) -> None:
        self.context = context
        self.hooks = hooks
        self.process: BaseProcess | None = None
        self.ready = False
        self._socket: socket.socket | None = None

    def start(self, environment: Callable[[], contextlib.AbstractContextManager[None]]) -> None:
        """Start the server (within ``environment``, which its workers inherit); it preloads
        while the caller goes on."""
        ours, theirs = socket.socketpair()
        self.process = self.context.Process(target=serve, args=(theirs, self.hooks, os.getpid()), daemon=False)
        with environment():
            self.process.start()
        mark("server spawned", server=self.process.pid)
        theirs.close()
        self._socket = ours

    @property
    def waitable(self) -> socket.socket | None:
        """What to wait on for the server's readiness (or end) while it preloads."""
        return self._socket if self._socket is not None and not self.ready else None

    def poll(self) -> bool:
        """Whether the server is ready (reads its READY message if it has come); raises
        :class:`ServerFailed` if it ended first."""
        if self.ready or self._socket is None:
            return self.ready
        readable, _, _ = select.select([self._socket], [], [], 0)
        if readable:
            kind, _, _ = self._receive()
            if kind != READY:
                raise ServerFailed(f"unexpected message {kind!r} from the worker server")
            self.ready = True
        return self.ready

    def fork(self) -> tuple[ForkedWorker, Connection]:
        """A new worker (forked now by the ready server) and the pool's end of its pipe."""
        assert self.ready and self._socket is not None
        self._socket.settimeout(FORK_SECONDS)
        try:
            self._socket.sendall(_MESSAGE.pack(FORK, 0))
            kind, pid, descriptors = self._receive(descriptors=2)
        except OSError as error:  # a timeout included
            raise ServerFailed(f"the worker server is gone: {error}") from None
        finally:
            self._socket.settimeout(None)
        if kind != FORKED or len(descriptors) != 2:
            for descriptor in descriptors:
                os.close(descriptor)
            raise ServerFailed(f"unexpected message {kind!r} from the worker server")
        connection, pidfd = descriptors
        return ForkedWorker(pid, pidfd), Connection(connection)

    def stop(self) -> None:
        """End the server: asked politely when it is ready (it has nothing to finish), killed
        when it is still preloading; waited for either way."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.process is None:
            return
        if self.ready:
            self.process.join(timeout=SERVER_STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.process = None
        self.ready = False

    def _receive(self, descriptors: int = 0) -> tuple[bytes, int, list[int]]:
        assert self._socket is not None
        try:
            data, fds, _, _ = socket.recv_fds(self._socket, _MESSAGE.size, max(descriptors, 1))
        except OSError as error:
            raise ServerFailed(f"the worker server is gone: {error}") from None
        if len(data) != _MESSAGE.size:  # the server ended (or wrote half a message, which it never does)
            for descriptor in fds:
                os.close(descriptor)
            raise ServerFailed("the worker server ended (see stderr)")
        kind, pid = _MESSAGE.unpack(data)
        return kind, pid, fds


# The server process.


def serve(link: socket.socket, hooks: WorkerHooks, build: int) -> None:
    """The server: preload, then fork a worker for each request until the pool closes its end
    (or the build dies: the kernel then kills this process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the build, which stops the pool
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    die_with_parent(signal.SIGKILL, build)
    mark("server started")
    if hooks.preload is not None:
        hooks.preload()
    check_nothing_to_copy()
    gc.freeze()  # the preloaded objects' pages stay shared with the workers
    server = os.getpid()
    mark("server ready")
    link.sendall(_MESSAGE.pack(READY, server))
    children: dict[int, int] = {}  # pidfd → process id, until reaped
    while True:
        ready = wait([link, *children])
        for pidfd in [fd for fd in ready if fd in children]:
            _reap(pidfd, children.pop(pidfd))
        if link not in ready:
            continue
        request = link.recv(_MESSAGE.size)
        if len(request) != _MESSAGE.size:  # the pool closed its end: stop
            break
        pid, pidfd, pool_end = _fork_worker(hooks, server, link, children)
        socket.send_fds(link, [_MESSAGE.pack(FORKED, pid)], [pool_end, pidfd])
        os.close(pool_end)
        children[pidfd] = pid
    for pidfd, pid in children.items():  # the pool has waited for them: reap what has ended
        if select.select([pidfd], [], [], 0)[0]:
            _reap(pidfd, pid)
    end_now(0)  # workers still running get their SIGTERM from the kernel


def _fork_worker(
    hooks: WorkerHooks, server: int, link: socket.socket, children: dict[int, int]
) -> tuple[int, int, int]:
    """Fork one worker: its process id, its pidfd and the pool's end of its pipe."""
    from pipeline.build.workers import worker_main

    pool_end, worker_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            pool_end.close()
            link.close()
            for pidfd in children:
                os.close(pidfd)
            worker_main(Connection(worker_end.detach()), hooks, server)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            end_now(code)
    worker_end.close()
    pidfd = os.pidfd_open(pid)  # before any wait: the process id cannot have been reused yet
    return pid, pidfd, pool_end.detach()


def _reap(pidfd: int, pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    os.close(pidfd)


def check_nothing_to_copy() -> None:
    """Refuse to fork workers from a server that runs another thread or a child process (a
    speech engine, above all): a fork copies only the calling thread, so a lock another thread
    holds stays locked in the worker, and an engine's pipes would be shared by every worker."""
    threads = threading.enumerate()
    if len(threads) > 1:
        raise RuntimeError(f"the worker server runs other threads after its preload: {threads}")
    children = _child_processes()
    if children or running_engines():
        raise RuntimeError(f"the worker server has child processes after its preload: {sorted(children)}")


def _child_processes() -> set[int]:
    """This process's children, from Linux's ``/proc/<pid>/task/<tid>/children``."""
    children: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(OSError):
            children.update(int(pid) for pid in (task / "children").read_text().split())
    return children
