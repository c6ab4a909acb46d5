"""Built files: folder layout, tags, transcripts, playlists and the manifest.

Entry points: :func:`target_folder`, :func:`segment_file_name`,
:func:`tag_mp3`, :func:`write_transcript`, :func:`write_playlist` and
:class:`Manifest`. Everything here is deterministic: the same inputs give
the same bytes on any machine and day, and nothing written names the
software, the machine, the user or a time.

Layout::

    output/<episode>/<lang>/             the station's default profile
    output/<episode>/<lang>-<profile>/   any other profile
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale
from mutagen.id3 import ID3, TALB, TIT2, TLAN, TPE1, TRCK, Encoding

from .config import Profile, Station
from .fsutil import write_if_changed

MANIFEST_NAME = "manifest.json"
TRANSCRIPT_NAME = "transcript.txt"
PLAYLIST_NAME = "playlist.m3u8"


def target_folder(out: Path, episode_id: str, lang: str, profile: str, station: Station) -> Path:
    """Where one episode's files in one language and profile go."""
    leaf = lang if profile == station.default_profile else f"{lang}-{profile}"
    return out / episode_id / leaf


def segment_file_name(number: int, segment_id: str, profile: Profile) -> str:
    """``03-market-roots.mp3``: position in the script, id, the profile's extension."""
    return f"{number:02d}-{segment_id}.{profile.extension}"


def episode_file_name(episode_id: str, profile: Profile) -> str:
    """The whole episode as one file."""
    return f"{episode_id}.{profile.extension}"


def language_code_639_2(lang: str) -> str:
    """The three-letter code ID3's TLAN frame wants (``ko`` → ``kor``)."""
    table = {
        "ko": "kor",
        "en": "eng",
        "ja": "jpn",
        "zh": "zho",
        "ru": "rus",
        "fr": "fra",
        "de": "deu",
        "es": "spa",
    }
    return table.get(Locale.parse(lang).language, "und")


@dataclass(frozen=True)
class Tags:
    """The only tags our files carry."""

    title: str
    artist: str
    album: str
    track: int
    track_total: int
    lang: str


def tag_mp3(data: bytes, tags: Tags) -> bytes:
    """``data`` (an MP3 stream without tags) with an ID3v2.3 UTF-16 tag in front; no ID3v1."""
    id3 = ID3()
    id3.add(TIT2(encoding=Encoding.UTF16, text=[tags.title]))
    id3.add(TPE1(encoding=Encoding.UTF16, text=[tags.artist]))
    id3.add(TALB(encoding=Encoding.UTF16, text=[tags.album]))
    id3.add(TRCK(encoding=Encoding.UTF16, text=[f"{tags.track}/{tags.track_total}"]))
    id3.add(TLAN(encoding=Encoding.UTF16, text=[language_code_639_2(tags.lang)]))
    buffer = io.BytesIO(data)
    id3.save(buffer, v1=0, v2_version=3, padding=lambda info: 0)
    return buffer.getvalue()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_hash(value: Any) -> str:
    """A stable hash of everything that determines a file (canonical JSON of ``value``)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_transcript(folder: Path, title: str, station_name: str, segments: list[tuple[int, str, str]]) -> Path:
    """``transcript.txt``: the episode as written, segment by segment (number, title, text)."""
    lines = [title, station_name, ""]
    for number, segment_title, text in segments:
        lines += [f"{number:02d}. {segment_title}", "", text, ""]
    return write_if_changed(folder / TRANSCRIPT_NAME, ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8"))


class Manifest:
    """``manifest.json`` of one output folder: what each file is and how it was made."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self.header: dict[str, Any] = {}
        self.files: dict[str, dict[str, Any]] = {}

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The folder's manifest, or an empty one when missing or unreadable."""
        manifest = cls(folder)
        try:
            data = json.loads(manifest.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return manifest
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            manifest.files = data["files"]
            manifest.header = {k: v for k, v in data.items() if k != "files"}
        return manifest

    def entry(self, name: str) -> dict[str, Any] | None:
        """The record of file ``name``."""
        return self.files.get(name)

    def is_current(self, name: str, wanted_input_hash: str) -> bool:
        """True when ``name`` exists intact and was made from the same inputs."""
        record = self.files.get(name)
        path = self.folder / name
        if not record or record.get("input_hash") != wanted_input_hash or not path.exists():
            return False
        return path.stat().st_size == record.get("bytes") and sha256_file(path) == record.get("sha256")

    def record(self, name: str, **fields: Any) -> None:
        """Record file ``name`` with its size and sha256 and the given fields."""
        path = self.folder / name
        self.files[name] = {**fields, "bytes": path.stat().st_size, "sha256": sha256_file(path)}

    def keep_only(self, names: set[str]) -> list[str]:
        """Forget and delete files this build no longer produces; return their names."""
        removed = []
        for name in sorted(set(self.files) - names):
            (self.folder / name).unlink(missing_ok=True)
            del self.files[name]
            removed.append(name)
        return removed

    def save(self) -> None:
        """Write the manifest atomically (sorted keys, stable formatting)."""
        data = {**self.header, "files": self.files}
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
        write_if_changed(self.path, text.encode("utf-8"))
