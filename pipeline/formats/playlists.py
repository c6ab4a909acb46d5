"""Playlists for players: UTF-8 ``.m3u8`` and an ASCII-only ``.m3u`` twin for old players.

Entry points: :class:`PlaylistEntry`, :func:`to_m3u8`, :func:`to_ascii_m3u`
and :func:`read_playlist_paths`. Both writers are deterministic: the same
entries give the same bytes. Paths are relative and use ``/``. Durations
are whole seconds (rounded up), which every player reads.

The ``.m3u`` twin has no byte above 127: titles are transliterated
(``라디오`` → ``ladio``) and its lines end with CR LF, as the old players
that need it expect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from anyascii import anyascii


@dataclass(frozen=True)
class PlaylistEntry:
    """One file of a playlist: its path relative to the playlist, title and length."""

    path: str
    title: str
    duration: float


def to_m3u8(entries: Iterable[PlaylistEntry]) -> str:
    """Extended M3U in UTF-8 (no byte-order mark), ``\\n`` line ends."""
    return _extended_m3u(entries, _clean_title, _posix_path) + "\n"


def to_ascii_m3u(entries: Iterable[PlaylistEntry]) -> str:
    """Extended M3U with only ASCII characters, CR LF line ends."""
    text = _extended_m3u(entries, _ascii_title, _ascii_path).replace("\n", "\r\n")
    return text + "\r\n"


def read_playlist_paths(text: str) -> list[str]:
    """The paths (non-comment lines) listed in playlist ``text``."""
    lines = (line.strip() for line in text.lstrip("\ufeff").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _extended_m3u(entries: Iterable[PlaylistEntry], title_of, path_of) -> str:
    lines = ["#EXTM3U"]
    for entry in entries:
        seconds = max(1, math.ceil(entry.duration - 1e-6))
        lines.append(f"#EXTINF:{seconds},{title_of(entry.title)}")
        lines.append(path_of(entry.path))
    return "\n".join(lines)


def _clean_title(title: str) -> str:
    return " ".join(title.split())


def _ascii_title(title: str) -> str:
    text = anyascii(_clean_title(title))
    return "".join(ch for ch in text if 32 <= ord(ch) < 127)


def _posix_path(path: str) -> str:
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        raise ValueError(f"playlist paths must be relative and inside the folder: {path!r}")
    if any(ch in "\r\n" for ch in path):
        raise ValueError(f"playlist path has a line break: {path!r}")
    return posix.as_posix()


def _ascii_path(path: str) -> str:
    posix = _posix_path(path)
    if not posix.isascii():
        raise ValueError(f"the ASCII playlist cannot name a non-ASCII file: {path!r}")
    return posix
