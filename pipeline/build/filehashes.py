"""The sha256 of built files, remembered with each file's size and modification time.

Entry point: :class:`FileHashes`. A build checks every output it keeps
against the hash its manifest recorded; reading every file again is most of
the time a build with nothing to make would take. Like git's index, a file
whose size and modification time (in nanoseconds) are what they were when it
was hashed is taken to hold the same bytes. That holds as long as nothing but
the build writes into its output folders while it runs (the build lock keeps
other builds out): any later change gets a later modification time. A file
modified less than :data:`SETTLE_SECONDS` ago is always read, so a change
within the same clock tick as the last check cannot pass for no change. The
memo is kept in the project's ``.cache``; a missing or unreadable one only
costs reading the files again.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pipeline.fsutil import atomic_write_text, sha256_file

SETTLE_SECONDS = 2.0


class FileHashes:
    """sha256 by path, trusted while a file's size and modification time are unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path  # where the memo is saved; None keeps it in memory only
        self._entries: dict[str, tuple[int, int, str]] = {}  # absolute path → (size, mtime_ns, sha256)
        self._changed = False

    @classmethod
    def load(cls, path: Path) -> FileHashes:
        """The memo saved at ``path``; empty when missing or unreadable."""
        memo = cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            memo._entries = {name: (int(size), int(mtime), str(digest)) for name, (size, mtime, digest) in data.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            memo._entries = {}
        return memo

    def sha256(self, file: Path, found: os.stat_result | None = None) -> str:
        """The file's sha256: remembered when its size and modification time match, read otherwise
        (``found``: the file's stat when the caller has just taken it, to save a system call)."""
        key = absolute_name(file)
        found = found or file.stat()
        known = self._entries.get(key)
        if known and _still(known, found):
            return known[2]
        digest = sha256_file(file)
        self._entries[key] = (found.st_size, found.st_mtime_ns, digest)
        self._changed = True
        return digest

    def trusted(self, name: str) -> str | None:
        """The remembered sha256 of the file at absolute path ``name`` when its size and
        modification time still match and it has settled; None when it must be read (a string,
        not a Path: a no-op build of a large catalogue asks this of some 20,000 files)."""
        known = self._entries.get(name)
        if known is None:
            return None
        found = os.stat(name)  # noqa: PTH116  (a string: no Path made per file)
        return known[2] if _still(known, found) else None

    def remember(self, file: Path, digest: str) -> os.stat_result:
        """Take ``digest`` as the sha256 of ``file``, whose bytes the caller has just written (and
        hashed while it held them), instead of reading them back; return the file's stat."""
        found = file.stat()
        self._entries[absolute_name(file)] = (found.st_size, found.st_mtime_ns, digest)
        self._changed = True
        return found

    def save(self) -> None:
        """Write the memo (atomically), forgetting files that no longer exist."""
        if self.path is None or not self._changed:
            return
        kept = {name: entry for name, entry in self._entries.items() if Path(name).exists()}
        text = json.dumps(kept, sort_keys=True, separators=(",", ":"))
        atomic_write_text(self.path, text + "\n")
        self._changed = False


def absolute_name(file: Path) -> str:
    """``file`` as an absolute path string, the memo's key."""
    # Path.absolute() as a string, without building a Path per file (a catalogue's no-op asks this
    # of some 15,000 files; the output folder is usually given relative to the project).
    return str(file) if file.is_absolute() else f"{os.getcwd()}{os.sep}{file}"  # noqa: PTH109


def _still(known: tuple[int, int, str], found: os.stat_result) -> bool:
    """Whether a file found with ``found`` is the one remembered as ``known``, and has settled."""
    return known[0] == found.st_size and known[1] == found.st_mtime_ns and settled(found.st_mtime_ns)


def settled(mtime_ns: int) -> bool:
    """Whether a file last modified at ``mtime_ns`` was modified long enough ago that a change in
    the same clock tick cannot pass for no change (:data:`SETTLE_SECONDS`)."""
    return time.time_ns() - mtime_ns >= SETTLE_SECONDS * 1e9
