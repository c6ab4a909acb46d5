"""Atomic file writes: a file is either its old self or complete, never half-written.

Entry points: :func:`atomic_write_bytes`, :func:`atomic_write_text` and the
context manager :func:`atomic_path`, which hands out a temporary path in the
target's folder and renames it over the target only when the block succeeds.
Temporary names start with ``.`` and end with ``.part`` so that a crash
leaves nothing that looks like an output; :func:`remove_partials` sweeps them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

PARTIAL_SUFFIX = ".part"


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary sibling of ``target`` that replaces it when the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
    try:
        yield temporary
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` (with ``\\n`` line ends) to ``target`` atomically."""
    atomic_write_bytes(target, text.encode("utf-8"))


def write_if_changed(target: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``target`` already holds exactly it; True when written.

    Unchanged outputs keep their modification time, so incremental builds
    and file-syncing tools see only what really changed.
    """
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(target, data)
    return True


def remove_partials(folder: Path) -> int:
    """Delete temporary files left by an interrupted run under ``folder``; return how many."""
    if not folder.exists():
        return 0
    count = 0
    for path in folder.rglob(f".*{PARTIAL_SUFFIX}"):
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
