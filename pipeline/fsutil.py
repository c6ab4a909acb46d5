"""Atomic file writes: a file is either its old self or complete, never half-written.

Entry points: :func:`atomic_write_bytes`, :func:`atomic_write_text`,
:func:`write_if_changed`, and the two halves of an atomic write for a file
made in one process and put in place by another: :func:`stage_bytes` and
:func:`commit_staged` (a build's workers stage segment files; only the build
that holds the lock commits them). Temporary names start with ``.`` and end
with ``.part`` (or ``.part`` and an extension a tool needs, ``.part.wav``) so
that a crash leaves nothing that looks like an output; :func:`remove_partials`
sweeps them. A failure or an interruption (a stop
signal's exception) at any moment of a write removes its temporary file, so
the build's own process never leaves one, even where no sweep follows.

Output folders are trusted only up to their root: :func:`replace_links`
turns a symbolic link on the way from the root to a folder into a real
folder, so that nothing is written through it to somewhere else; a file
that is a link is replaced by the rename, never written through.

A staged file is flushed to disk (``fsync``) before it is renamed into place,
so that after a power cut a name holds its old bytes or its new ones, never
a file whose data the system had not written yet. A file whose every use is
checked against a digest kept beside it (the speech cache's entries) may be
written with ``durable=False``: a crash of the program cannot tear it either
way (the rename is atomic), and what a power cut could leave is found by the
check and thrown away. Measured on this project's ext4 volume: creating and
writing a small file costs 0.26 ms of CPU, its fsync 0.08 ms more and up to
a millisecond of waiting.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

PARTIAL_SUFFIX = ".part"


def stage_bytes(target: Path, data: bytes, durable: bool = True) -> Path:
    """Write ``data`` to a new temporary sibling of ``target`` (flushed to disk unless not
    ``durable``) and return its path; :func:`commit_staged` puts it in place. Creating the
    temporary file refuses to follow a link or reuse a name; a failed write leaves nothing behind."""
    return _write_new(target, data, durable, put_in_place=False)


def commit_staged(staged: Path, target: Path) -> None:
    """Rename a file made by :func:`stage_bytes` over ``target`` (a link there is replaced,
    never written through); the staged file is gone either way."""
    try:
        staged.replace(target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``target`` atomically (``durable``: flushed to disk first)."""
    _write_new(target, data, durable, put_in_place=True)


def _write_new(target: Path, data: bytes, durable: bool, put_in_place: bool) -> Path:
    """Write ``data`` to a new temporary sibling of ``target`` and return its path; with
    ``put_in_place``, rename it over ``target`` as well.

    From the moment the file may exist until it is returned or renamed into place, a failure or
    an interruption removes it. A stop signal's exception (Ctrl-C, or
    :class:`~pipeline.build.interrupt.Interrupted`) is raised where the signal's handler runs:
    as the call during which the signal arrived returns, so also right after ``open`` has made
    the file, before its descriptor is kept (the descriptor is then lost with the stopping
    process; the file is not left behind). The rename is inside the same protected stretch:
    between :func:`stage_bytes` returning and :func:`commit_staged` starting, no one would hold
    the staged path.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as error:  # nothing was made (a name that exists is another writer's)
        raise OSError(error.errno, error.strerror, str(target)) from error  # name the file meant
    except BaseException:  # the file was made as the signal came: its descriptor is lost, its name is not
        temporary.unlink(missing_ok=True)
        raise
    try:
        _write_to(descriptor, target, data, durable)
        if put_in_place:
            temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _write_to(descriptor: int, target: Path, data: bytes, durable: bool) -> None:
    """Write ``data`` through ``descriptor`` and close it; an error names ``target``."""
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(target)) from error


def atomic_write_text(target: Path, text: str, durable: bool = True) -> None:
    """Write UTF-8 ``text`` (with ``\\n`` line ends) to ``target`` atomically (``durable``: flushed to disk first)."""
    atomic_write_bytes(target, text.encode("utf-8"), durable)


def write_if_changed(target: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``target`` already holds exactly it; True when written.

    Unchanged outputs keep their modification time, so incremental builds
    and file-syncing tools see only what really changed.
    """
    try:
        if not target.is_symlink() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(target, data)
    return True


def is_partial(name: str) -> bool:
    """Whether ``name`` is a temporary file's: it starts with ``.`` and ends with ``.part``, or
    has ``.part`` before a last extension (a file a tool must recognise by its suffix, such as
    a WAV an engine writes)."""
    if not name.startswith("."):
        return False
    stem, _, extension = name.rpartition(".")
    return name.endswith(PARTIAL_SUFFIX) or (bool(extension) and stem.endswith(PARTIAL_SUFFIX))


def remove_partials(folder: Path) -> int:
    """Delete temporary files left by an interrupted run under ``folder``; return how many."""
    if not folder.exists():
        return 0
    count = 0
    for path in folder.rglob(".*"):
        if is_partial(path.name) and not path.is_dir():
            path.unlink(missing_ok=True)
            count += 1
    return count


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def links_between(root: Path, folder: Path) -> list[Path]:
    """The symbolic links among the folders from below ``root`` down to ``folder``."""
    try:
        relative = folder.relative_to(root)
    except ValueError:
        return []
    links = []
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            links.append(current)
    return links


def replace_links(root: Path, folder: Path) -> list[Path]:
    """Make ``folder`` a real folder under ``root``: every symbolic link on the way is removed
    (its target is left alone) and a real folder made in its place; returns the links removed."""
    removed = []
    for link in links_between(root, folder):
        if link.is_symlink():  # an earlier link's removal may have taken this one's parent away
            link.unlink()
            removed.append(link)
        link.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    return removed
