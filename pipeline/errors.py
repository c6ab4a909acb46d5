"""The project's one error tree and the source locations errors point at.

Expected failures (a user's mistake, a missing tool, a broken input file) are
subclasses of :class:`PipelineError`; the command line prints them as one
compiler-style line and exits with the class's ``exit_code``. Anything else is
a bug and keeps its traceback.

::

    PipelineError                exit 1   something the user can fix
    ├── UsageError               exit 2   bad command-line arguments
    ├── ConfigError              exit 2   station, template or episode YAML is invalid
    │   └── ValidationFailed     exit 2   many problems found at once (``problems``)
    ├── ToolMissing              exit 2   ffmpeg, ffprobe or espeak-ng is not installed
    ├── ClusterError             exit 2   the build's cluster cannot be reached or cannot be trusted
    │   └── ClusterLost                   its scheduler went away, or every worker (the unfinished jobs' error)
    ├── CatalogError             exit 1   a gettext catalog cannot be read or compiled
    │   └── CatalogInvalid       exit 1   entries that would break audio (``problems``)
    ├── IngestError              exit 1   a source document cannot be turned into a draft
    ├── VoiceError               exit 1   no installed voice for a language or role
    ├── SynthesisError           exit 1   the TTS engine failed, hung or wrote a bad WAV
    ├── AudioError               exit 1   audio could not be measured, encoded, parsed or joined
    ├── OutputError              exit 1   a built file is unreadable, or files do not fit
    └── StorageError             exit 1   the file system refused: read-only, full, no permission

ValidationFailed and CatalogInvalid also derive from :class:`ProblemList`, the
shape of an error that carries several problems and prints one per line.
:func:`storage_error` turns an ``OSError`` that says the file system refused
(read-only, full, over quota, no permission, a folder where a file should
be...) into a :class:`StorageError` naming the path: the command line and
the build's workers use it, so a full disk is one line, not a traceback.
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class SourceLocation:
    """Where something came from: a file, a 1-based line and a key path inside it."""

    path: str
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
        if self.key:
            text += f": {self.key}"
        return text

    def with_key(self, key: str) -> SourceLocation:
        """The same place, naming a different key."""
        return SourceLocation(self.path, self.line, key)


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as people should see it: relative to ``root`` when inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(_resolved(root, Path.cwd())).as_posix()
        except ValueError:
            pass
    return path.as_posix()


@functools.lru_cache(maxsize=32)
def _resolved(root: Path, cwd: Path) -> Path:
    """``root`` resolved from ``cwd``, once: a catalogue shows thousands of paths under one root."""
    return root.resolve()


@dataclass(frozen=True)
class Problem:
    """One finding of a validation pass, printable as one compiler-style line."""

    location: SourceLocation
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.location}: {prefix}{self.message}"


class PipelineError(Exception):
    """An expected failure with a message for people and an exit status."""

    exit_code = 1

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class UsageError(PipelineError):
    """The command line asks for something that does not exist or makes no sense."""

    exit_code = 2


class ConfigError(PipelineError):
    """A station, template or episode file is not valid."""

    exit_code = 2


class ProblemList(PipelineError):
    """Mixin for errors made of several problems, printed one per line in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.location.path, p.location.line or 0))
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ValidationFailed(ProblemList, ConfigError):
    """Several problems were found; each is printed on its own line."""


class ToolMissing(PipelineError):
    """An external program the pipeline needs is not installed."""

    exit_code = 2


class ClusterError(PipelineError):
    """The scheduler named for a build cannot be reached, has no workers, or a worker differs from
    the build's machine (what it sees of the shared folders, code, packages, voices)."""

    exit_code = 2


class ClusterLost(ClusterError):
    """The build's Dask cluster can run none of its jobs any more (its scheduler went away
    mid-build, or it has had no workers for a minute): the error of every job not finished,
    which stops the build as ``--fail-fast`` does, its unfinished folders failed."""


class CatalogError(PipelineError):
    """A gettext catalog cannot be read, merged or compiled."""


class CatalogInvalid(ProblemList, CatalogError):
    """A catalog reads fine but has entries that must not be compiled; each is printed."""


class IngestError(PipelineError):
    """A source document is empty, binary, unreadable or holds no article to draft."""


class VoiceError(PipelineError):
    """No installed voice matches what a language and role need."""


class SynthesisError(PipelineError):
    """The speech engine failed, hung, or produced audio that does not check out."""


class AudioError(PipelineError):
    """Audio could not be measured, levelled or encoded, or MP3 frames could not be read."""


class OutputError(PipelineError):
    """A built file cannot be read, or the built files do not fit where they must go."""


class StorageError(PipelineError):
    """The file system refused a read or write: read-only, full, over quota, no permission."""


# errno values that describe the file system or the paths given, not a fault in the program.
STORAGE_ERRNOS = frozenset(
    {
        errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG,
        errno.EISDIR, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG, errno.EBUSY, errno.EXDEV,
        errno.ENXIO, errno.EMFILE, errno.ENFILE, errno.ENOENT, errno.EEXIST, errno.ENOTEMPTY,
    }
)  # fmt: skip


def storage_error(error: OSError) -> StorageError | None:
    """The one-line error for a file-system refusal (None for any other ``OSError``)."""
    if error.errno not in STORAGE_ERRNOS:
        return None
    reason = error.strerror or str(error)
    path = error.filename2 if error.errno == errno.EXDEV and error.filename2 else error.filename
    if path is None:
        return StorageError(reason)
    return StorageError(f"{reason} ({errno.errorcode.get(error.errno or 0, '?')})", SourceLocation(str(path)))
