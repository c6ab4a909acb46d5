"""Child processes that never outlive the build that started them.

Entry points: :func:`die_with_parent` (a worker or engine host asks the
kernel to signal it when its parent dies), :func:`run_engine` (an external
speech engine run in its own process group, killed as a group on timeout,
error or shutdown), :func:`start_engine_host` / :func:`stop_engine_host` (a
long-lived engine helper in a group of its own) and :func:`kill_engines` (what
a worker does on its way out), with :func:`running_engines` (what it has
started and not reaped) and :func:`end_now` (an exit without the interpreter's
teardown).

A killed build must leave nothing running: a worker that outlived its build
could finish a stale segment after the next build started, and a hung engine
adopted by init stays forever. Linux's ``PR_SET_PDEATHSIG`` makes the kernel
send a signal to a process when the thread that started it ends, however it
ends (``kill -9`` included); a chain of such requests (build → the server that
forks the workers, see :mod:`pipeline.build.worker_server` → worker → engine)
ends together, and "parent" is always the process that started this one (for
a forked worker, the server). It is set through ``prctl`` from the C library
with ctypes: five lines, where the packages that wrap it (python-prctl) need
a compiler and libcap headers at install time. Elsewhere than Linux the call
is a no-op and the liveness checks (:func:`parent_alive`) remain.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_THP_DISABLE = 41
HOST_EXIT_SECONDS = 2.0  # how long a host asked to stop may take before it is killed


@cache
def _libc_function(name: str) -> Callable[..., int] | None:
    """The C library's function ``name``, looked up once; None where there is no such function."""
    try:
        function: Callable[..., int] = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    return function


def die_with_parent(signal_number: int = signal.SIGTERM, parent: int | None = None) -> None:
    """Ask for ``signal_number`` when the parent dies; exit now if it already has.

    ``parent`` is the process id the caller expects as its parent: a parent
    that died before the request was made would otherwise go unnoticed
    (the process would already belong to init).
    """
    prctl = _libc_function("prctl")
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(128 + int(signal_number))


def without_huge_pages() -> None:
    """Have this process (and the processes it forks) map its memory in ordinary 4 KiB pages,
    not transparent huge pages (``PR_SET_THP_DISABLE``; nothing happens where Linux's prctl is
    not to be had).

    For a build worker, whose numpy arrays of a few MB each come and go with every segment:
    numpy asks for huge pages on every large array (``madvise``), and a fault in such a region
    zeroes, and on a virtual machine has its host supply, a whole 2 MiB at once. Measured on
    this project's 2-core virtual machine (perf, cold build of the sample station, --jobs 2):
    the two workers spent 0.23-0.49 s each in the kernel zeroing pages (``clear_page_erms``),
    and 0.01 s with huge pages off; the build's system time fell from 1.43 to 1.09 s."""
    prctl = _libc_function("prctl")
    if prctl is not None:
        prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)


def current_cpu() -> int:
    """The processor the calling thread is running on, or -1 where the C library cannot say."""
    getcpu = _libc_function("sched_getcpu")
    return getcpu() if getcpu is not None else -1


_expected_parent: int | None = None


def remember_parent(parent: int) -> None:
    """Record the process this one works for (see :func:`parent_alive`)."""
    global _expected_parent
    _expected_parent = parent


def parent_alive() -> bool:
    """False once the process recorded by :func:`remember_parent` is gone (this process then
    belongs to another); True when none was recorded."""
    return _expected_parent is None or os.getppid() == _expected_parent


# Process groups of the engines running now, killed by kill_engines() when the worker stops.
_running_groups: set[int] = set()


def _engine_preexec() -> None:
    """In the engine, between fork and exec: die with the worker, whatever kills it."""
    prctl = _libc_function("prctl")
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


@cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def _start_in_own_group(command: list[str], **streams: Any) -> subprocess.Popen[bytes]:
    """Start ``command`` in a process group of its own that dies with this thread.

    The death signal is set by util-linux's ``setpriv --pdeathsig`` in front of
    the command rather than by a ``preexec_fn``: a ``preexec_fn`` forbids
    ``vfork``, so every start would copy the worker's page tables (measured with
    espeak-ng from a 300 MB process: 2.0 ms of the parent's CPU per start with
    ``preexec_fn``, 0.4 ms with setpriv; the child's own 11.7 and 10.5 ms).
    """
    setpriv = _setpriv()
    if setpriv is not None:
        return subprocess.Popen([setpriv, "--pdeathsig", "KILL", "--", *command], process_group=0, **streams)
    return subprocess.Popen(command, process_group=0, preexec_fn=_engine_preexec, **streams)


def run_engine(command: list[str], stdin: bytes, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run an engine in its own process group; on timeout (``subprocess.TimeoutExpired`` is
    raised) or any interruption, the whole group is killed before this returns."""
    pipe = subprocess.PIPE
    process = _start_in_own_group(command, stdin=pipe, stdout=pipe, stderr=pipe)
    _running_groups.add(process.pid)
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except BaseException:
        _kill_group(process.pid)
        process.communicate()
        raise
    finally:
        _running_groups.discard(process.pid)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def start_engine_host(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a long-lived engine host (requests on its stdin, answers on its stdout) in a process
    group of its own, killed by :func:`kill_engines` until :func:`stop_engine_host` ends it. The
    host must ask for its own death signal (:func:`die_with_parent`), so no ``preexec_fn`` is
    needed and the start can use ``vfork``."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, process_group=0
    )
    _running_groups.add(process.pid)
    return process


def stop_engine_host(process: subprocess.Popen[bytes], kill: bool = False) -> None:
    """End an engine host and everything in its group: politely (its stdin closed, a moment to
    leave) unless ``kill``; reaped either way."""
    if not kill and process.poll() is None:
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=HOST_EXIT_SECONDS)
    if process.returncode is None:  # not reaped yet, so its group id cannot belong to another
        _kill_group(process.pid)
        process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    _running_groups.discard(process.pid)


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def running_engines() -> set[int]:
    """The process groups of the engines this process has started and not yet reaped."""
    return set(_running_groups)


def kill_engines() -> None:
    """Kill every engine process group this process started and has not reaped."""
    for group in list(_running_groups):
        _kill_group(group)
    _running_groups.clear()


def end_now(code: int = 0) -> None:
    """End this process without tearing its interpreter down: for a worker (or the server that
    forks them) whose results have been sent and whose files are closed. Unloading the modules
    a build worker imports (numpy, scipy, the codecs) costs 0.1-0.15 s of CPU and up to 0.4 s of
    wall time on a busy machine (measured), at the very end of the build, where it waits for them."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream: nothing more to say
            stream.flush()
    os._exit(code)
