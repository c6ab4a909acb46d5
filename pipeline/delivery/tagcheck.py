"""Finding identifying data in audio containers: tags, RIFF chunks and raw bytes.

Entry point: :func:`identifying_data` — every reason a file's bytes could
tell someone who made it, with what, when or on which machine. It looks at

* ID3v2 frames (read with mutagen, untranslated): only title, artist,
  album, track and language are allowed, and their text must name no
  software, path, user or host; the tag must be ID3v2.3;
* an ID3v1 tag (30 Latin-1 bytes per field): ASCII only, no year or comment;
* APE tags, and RIFF chunks other than ``fmt``/``data`` in WAV files
  (ffmpeg's ``LIST``/``INFO``/``ISFT`` names its version);
* the raw bytes, for the ``LAME``/``Lavf``/``Lavc`` signatures encoders
  leave in unused frame bits and header frames, home folder paths and this
  machine's user and host names (:func:`identifying_bytes`).

:func:`identifying_text` is the same search over text a listener reads
(transcripts, lyrics, playlists), without the software names a story may
well mention.
"""

from __future__ import annotations

import contextlib
import getpass
import re
import socket
from functools import cache
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import ID3, ID3NoHeaderError

from pipeline.text.characters import unsafe_characters

ALLOWED_ID3_FRAMES = {
    "TIT2": "title",
    "TPE1": "artist",
    "TALB": "album",
    "TRCK": "track",
    "TLAN": "language",
}
FRAME_MEANINGS = {
    "TSSE": "encoder settings",
    "TENC": "encoded by",
    "TXXX": "user-defined text",
    "TDRC": "recording date",
    "TDEN": "encoding date",
    "TDTG": "tagging date",
    "TDRL": "release date",
    "TDOR": "original release date",
    "TYER": "year",
    "TDAT": "date",
    "TIME": "time",
    "TORY": "original year",
    "TRDA": "recording dates",
    "COMM": "comment",
    "PRIV": "private data",
    "GEOB": "embedded object",
    "APIC": "picture",
    "TOWN": "owner",
    "TOFN": "original file name",
    "TCOP": "copyright",
    "WXXX": "link",
}
_SIGNATURE_NAMES = ("LAME", "Lavf", "Lavc")
# The names followed by a version digit, dot, space or LAME's 'U' fill, in ASCII and UTF-16.
SIGNATURES = re.compile(
    b"|".join(
        re.escape(name.encode(codec)) + b"[0-9. U]" + (b"\\x00" if codec == "utf-16-le" else b"")
        for name in _SIGNATURE_NAMES
        for codec in ("ascii", "utf-16-le")
    )
)
ALLOWED_RIFF_CHUNKS = ("fmt ", "data", "fact")
_SOFTWARE = re.compile(
    r"lav[fcu]\s*\d|lame\s*\d|lame\b|libmp3lame|ffmpeg|espeak|pyttsx|mutagen|pydub|\bsox\b"
    r"|audacity|itunes|windows media|encoder",
    re.IGNORECASE,
)
_PATH = re.compile(r"(?:^|[\s\"'(=])/[\w.-]+/|\b[A-Za-z]:[\\/]|\\\\\w|~/")
# Account and machine names so common that they identify nobody.
_GENERIC_NAMES = frozenset({"root", "user", "admin", "localhost", "ubuntu", "debian", "runner"})


def identifying_data(path: Path, data: bytes) -> list[str]:
    """Every reason the container of ``path`` (whose bytes are ``data``) identifies its maker."""
    problems = [f"bytes hold the encoder signature '{name}'" for name in _signatures(data)]
    problems += identifying_bytes(data)
    suffix = path.suffix.lower()
    if suffix == ".mp3":
        problems += id3v2_problems(path)
        problems += id3v1_problems(data)
        if b"APETAGEX" in data[-65536:]:
            problems.append("has an APE tag")
    elif suffix == ".wav":
        problems += riff_problems(data)
    return problems


def id3v2_problems(path: Path) -> list[str]:
    """Frames and text of an ID3v2 tag that are not allowed."""
    try:
        tags = ID3(path, translate=False)
    except ID3NoHeaderError:
        return []
    except (MutagenError, OSError, ValueError) as exc:
        return [f"unreadable ID3v2 tag ({exc})"]
    problems = []
    if tags.version[:2] != (2, 3):
        version = ".".join(str(part) for part in tags.version[:2])
        problems.append(f"ID3v{version} tag (players read ID3v2.3; write that)")
    for frame in tags.values():
        frame_id = frame.FrameID
        value = _frame_text(frame)
        if frame_id not in ALLOWED_ID3_FRAMES:
            meaning = FRAME_MEANINGS.get(frame_id, "not one of title/artist/album/track/language")
            shown = f": {value[:60]!r}" if value else ""
            problems.append(f"tag {frame_id} ({meaning}) is not allowed{shown}")
        else:
            problems += [f"tag {frame_id}: {reason}" for reason in text_problems(value)]
            unsafe = unsafe_characters(value)
            if unsafe:
                problems.append(f"tag {frame_id}: holds control characters ({', '.join(unsafe)})")
    return problems


def id3v1_problems(data: bytes) -> list[str]:
    """What an ID3v1 tag at the end of ``data`` holds that it should not."""
    if len(data) < 128 or data[-128:-125] != b"TAG":
        return []
    tag = data[-128:]
    fields = {
        "title": tag[3:33],
        "artist": tag[33:63],
        "album": tag[63:93],
        "year": tag[93:97],
        "comment": tag[97:127],
    }
    problems = []
    for name, raw in fields.items():
        text = raw.rstrip(b"\x00 ")
        if name == "comment" and len(text) > 28 and raw[28] == 0:
            text = raw[:28].rstrip(b"\x00 ")  # ID3v1.1 keeps the track number in byte 29
        if not text:
            continue
        if name in ("year", "comment"):
            problems.append(f"ID3v1 {name} is not allowed: {text.decode('latin-1')!r}")
        elif not text.isascii():
            problems.append(f"ID3v1 {name} is not ASCII (old players show it as garbage)")
        problems += [f"ID3v1 {name}: {r}" for r in text_problems(text.decode("latin-1"))]
    return problems


def riff_problems(data: bytes) -> list[str]:
    """RIFF chunks of a WAV file other than format and audio data."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return ["not a RIFF/WAVE file"]
    problems = []
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4].decode("latin-1")
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if chunk_id not in ALLOWED_RIFF_CHUNKS:
            body = data[offset + 8 : offset + 8 + min(size, 200)]
            readable = "".join(ch if ch.isprintable() else " " for ch in body.decode("latin-1"))
            held = " ".join(readable.split())
            problems.append(f"RIFF chunk {chunk_id!r} is not allowed (holds {held[:60]!r})")
        offset += 8 + size + (size & 1)
    return problems


def text_problems(value: str) -> list[str]:
    """Why a tag's text would identify software, a path, a user or a machine."""
    problems = []
    if match := _SOFTWARE.search(value):
        word = value[match.start() :].split(maxsplit=1)[0]
        problems.append(f"names software ({word[:24]!r})")
    return problems + identifying_text(value)


def identifying_text(value: str) -> list[str]:
    """Why text a listener reads (a transcript, lyrics, a playlist, a tag) would point at the
    machine or the person that made it: a file path, this machine's user or host name."""
    problems = []
    if _PATH.search(value):
        problems.append("contains a file path")
    elif any(folder in value for folder in _HOME_FOLDERS):
        problems.append("contains a home folder path")
    for kind, name in _local_names():
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", value, re.IGNORECASE):
            problems.append(f"contains this machine's {kind} name")
    return problems


def identifying_bytes(data: bytes) -> list[str]:
    """Home folders and this machine's user and host names in raw bytes (ASCII or UTF-16), as a
    tool that leaves its working folder or machine name in a file would. Only names of at least
    MIN_RAW_NAME bytes are looked for: shorter ones turn up by chance in audio."""
    return [f"bytes hold {what}" for what, pattern in _raw_patterns() if pattern.search(data)]


MIN_RAW_NAME = 6
_HOME_FOLDERS = ("/home/", "/Users/", "/root/", "\\Users\\")


@cache
def _raw_patterns() -> tuple[tuple[str, re.Pattern[bytes]], ...]:
    wanted = [("a home folder path", folder) for folder in _HOME_FOLDERS]
    wanted += [(f"this machine's {kind} name", name) for kind, name in _local_names() if len(name) >= MIN_RAW_NAME]
    patterns = []
    for what, text in wanted:
        forms = [re.escape(text.encode(codec)) for codec in ("utf-8", "utf-16-le")]
        patterns.append((what, re.compile(b"|".join(forms))))
    return tuple(patterns)


@cache
def _local_names() -> tuple[tuple[str, str], ...]:
    names = []
    with contextlib.suppress(KeyError, OSError):
        names.append(("user", getpass.getuser()))
    host = socket.gethostname()
    names += [("host", host), ("host", host.split(".")[0])]
    return tuple(
        (kind, name) for kind, name in dict.fromkeys(names) if len(name) >= 3 and name.lower() not in _GENERIC_NAMES
    )


def _signatures(data: bytes) -> list[str]:
    found = {match.group(0).replace(b"\x00", b"")[:4] for match in SIGNATURES.finditer(data)}
    return sorted(name.decode("ascii") for name in found)


def _frame_text(frame: object) -> str:
    text = getattr(frame, "text", None)
    if isinstance(text, list):
        return " ".join(str(item) for item in text)
    if text is not None:
        return str(text)
    return str(getattr(frame, "url", "") or getattr(frame, "owner", ""))
