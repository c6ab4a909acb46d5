"""One build at a time per project: an advisory lock file that names its holder.

Entry points: :func:`build_lock`, and :func:`holds_lock` (is a given run still
the holder?). The lock is ``fcntl.flock`` on
``.cache/build.lock``: the kernel releases it when its process ends, however
it ends, so a lock left by a killed build is simply taken over. The file
holds the holder's process id, host and start time so that a second build
can say who is building, and a random id of the run, so that work done
elsewhere for a build (a cluster worker's job, which may outlive it) can tell
whether that build still holds the lock. The lock file is opened without following links
(``O_NOFOLLOW``): a link planted at its path is refused, never truncated
through.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from pipeline.errors import UsageError
from pipeline.project.layout import LOCK_FILE


class BuildLocked(UsageError):
    """Another build of the same project is running."""


class LockUnusable(UsageError):
    """The lock file's path holds something that must not be opened as a lock (a link, a folder)."""


@contextlib.contextmanager
def build_lock(root: Path, command: str = "build") -> Iterator[dict[str, object] | None]:
    """Hold the project's build lock; yields what a dead previous holder left, if anything."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = _open_lock_file(path)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(f"another build is running: {_describe(_read(handle))} (lock: {path})") from None
        previous = _read(handle)
        handle.seek(0)
        handle.truncate()
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": int(time.time()),
            "command": command,
            "run": secrets.token_hex(8),
        }
        handle.write(json.dumps(me) + "\n")
        handle.flush()
        yield previous or None
        handle.seek(0)
        handle.truncate()
    finally:
        handle.close()


def holds_lock(root: Path, run: str) -> bool:
    """True while the run with id ``run`` holds the build lock of the project at ``root``.

    Read without locking, from any process that sees the project folder: a
    run that finished cleared the record, and a build that took over the lock
    of a killed or interrupted one wrote its own before sweeping the files
    that run left."""
    return bool(run) and current_run(root) == run


def current_run(root: Path) -> str:
    """The run id recorded in the project's lock file (empty when none is)."""
    try:
        with (root / LOCK_FILE).open(encoding="utf-8") as handle:
            return str(_read(handle).get("run") or "")
    except OSError:
        return ""


def _open_lock_file(path: Path) -> TextIO:
    """The lock file, opened for reading and writing without following a link: a lock file
    that is a link (or a folder, a device, a pipe) is refused, never truncated through."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LockUnusable(f"{path}: the build lock is a symbolic link; remove it") from None
        if error.errno == errno.EISDIR:
            raise LockUnusable(f"{path}: the build lock is a folder; remove it") from None
        raise
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise LockUnusable(f"{path}: the build lock is not a regular file; remove it")
    return os.fdopen(descriptor, "a+", encoding="utf-8")


def _read(handle: object) -> dict[str, object]:
    handle.seek(0)  # type: ignore[attr-defined]
    try:
        data = json.loads(handle.read() or "{}")  # type: ignore[attr-defined]
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, object]) -> str:
    if not holder:
        return "holder unknown"
    since = holder.get("since")
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since)) if isinstance(since, int) else "?"
    return f"pid {holder.get('pid')} on {holder.get('host')}, started {started}"
