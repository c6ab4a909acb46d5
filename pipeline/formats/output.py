"""Built files: folder layout, tags, transcripts, playlists and the manifest.

Entry points: :func:`target_folder`, :func:`segment_file_name`,
:func:`tag_mp3`, :func:`transcript_bytes` and :func:`input_hash` (the manifest
is :mod:`pipeline.formats.manifests`). Everything
here is deterministic: the same inputs give the same bytes on any machine and
day, and nothing written names the software, the machine, the user or a time.

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

from pipeline.project.station import Profile, Station

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
    from mutagen.id3 import ID3, TALB, TIT2, TLAN, TPE1, TRCK, Encoding  # only when a file is made

    id3 = ID3()
    id3.add(TIT2(encoding=Encoding.UTF16, text=[tags.title]))
    id3.add(TPE1(encoding=Encoding.UTF16, text=[tags.artist]))
    id3.add(TALB(encoding=Encoding.UTF16, text=[tags.album]))
    id3.add(TRCK(encoding=Encoding.UTF16, text=[f"{tags.track}/{tags.track_total}"]))
    id3.add(TLAN(encoding=Encoding.UTF16, text=[language_code_639_2(tags.lang)]))
    # The tag alone, put in front of the stream: saving into the stream itself would copy it
    # twice more (an hour at 32 kbps is 14 MB) and take any last 128 bytes beginning with
    # "TAG" for an ID3v1 tag to remove.
    buffer = io.BytesIO()
    id3.save(buffer, v1=0, v2_version=3, padding=lambda info: 0)
    return buffer.getvalue() + data


def input_hash(value: Any) -> str:
    """A stable hash of everything that determines a file (canonical JSON of ``value``)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def transcript_bytes(title: str, station_name: str, segments: list[tuple[int, str, str]]) -> bytes:
    """``transcript.txt``: the episode as written, segment by segment (number, title, text)."""
    lines = [title, station_name, ""]
    for number, segment_title, text in segments:
        lines += [f"{number:02d}. {segment_title}", "", text, ""]
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
