"""What the build caches under ``.cache`` hold, and removing what has not been used lately.

Entry points: :func:`entries` (every entry of every cache, with its size and
last use), :func:`speech_density` (the speech cache's bytes per minute of
the speech it holds), :func:`built_minutes` (the audio an output folder holds,
to set the cache against) and :func:`prune`. Each cache keeps an entry as a data file and,
for some kinds, a small record beside it (a FLAC speech entry holds its record
inside); the newest of their times is the entry's last use, because a build
touches what it reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.build.lock import build_lock
from pipeline.errors import OutputError
from pipeline.formats.manifests import find_manifests, read_manifest
from pipeline.project.layout import CACHE_DIR, LEVELS_CACHE, MO_CACHE, REVIEW_CACHE, SPEECH_TEXT_CACHE, TTS_CACHE
from pipeline.tts.flac_record import record_of_file

# Each kind's data-file suffixes and, where it has one, its record's suffix. Speech is FLAC, or WAV
# for an engine's sample format FLAC cannot hold exactly (and in entries from before FLAC).
CACHE_KINDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    TTS_CACHE: ((".flac", ".wav"), ".json"),
    LEVELS_CACHE: ((".npy",), None),
    MO_CACHE: ((".mo",), ".mo.src"),
    SPEECH_TEXT_CACHE: ((".json",), None),
    REVIEW_CACHE: ((".json",), None),
}


@dataclass
class Entry:
    """One cache entry: its files and when it was last used."""

    kind: str
    files: list[Path]
    last_used: float

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return sum(path.stat().st_size for path in self.files if path.exists())


def entries(root: Path) -> list[Entry]:
    """Every entry of every cache under the project's ``.cache``."""
    found = []
    for kind, (data_suffixes, record_suffix) in CACHE_KINDS.items():
        folder = root / CACHE_DIR / kind
        for suffix in data_suffixes:
            for data in sorted(folder.rglob(f"*{suffix}")) if folder.exists() else []:
                found.append(_entry(kind, data, suffix, record_suffix))
    return found


def _entry(kind: str, data: Path, data_suffix: str, record_suffix: str | None) -> Entry:
    record = data.with_name(data.name.removesuffix(data_suffix) + record_suffix) if record_suffix else None
    files = [data, record] if record and record.exists() else [data]
    return Entry(kind, files, max(path.stat().st_mtime for path in files))


@dataclass(frozen=True)
class SpeechDensity:
    """How many bytes the speech cache spends on a minute of the speech it holds."""

    minutes: float  # speech held by the entries whose record gives their length
    size: int  # their bytes on disk, records included
    unmeasured: int  # entries whose record gives no length (plain WAV from before FLAC)

    @property
    def bytes_per_minute(self) -> float:
        """Bytes per minute of audio (0 for an empty cache)."""
        return self.size / self.minutes if self.minutes else 0.0


def speech_density(found: list[Entry]) -> SpeechDensity:
    """Bytes per minute of audio over the speech cache's entries, from the length each record gives."""
    minutes, size, unmeasured = 0.0, 0, 0
    for entry in found:
        if entry.kind != TTS_CACHE:
            continue
        seconds = _recorded_seconds(entry)
        if seconds is None:
            unmeasured += 1
            continue
        minutes += seconds / 60
        size += entry.size
    return SpeechDensity(minutes, size, unmeasured)


def built_minutes(out: Path) -> float:
    """Minutes of segment audio built under ``out``, from the manifests: each episode and
    language counted once (the longest of its profiles' folders, which speak the same cached
    speech), pauses and silences included. Unreadable manifests are left out."""
    longest: dict[tuple[str, str], float] = {}
    for path in find_manifests(out) if out.is_dir() else []:
        try:
            manifest = read_manifest(path)
        except OutputError:
            continue
        seconds = sum(entry.duration or 0.0 for entry in manifest.segments())
        key = (manifest.episode, manifest.language)
        longest[key] = max(longest.get(key, 0.0), seconds)
    return sum(longest.values()) / 60


def _recorded_seconds(entry: Entry) -> float | None:
    """The length a speech entry's record gives: the record beside its data, or inside its FLAC."""
    if len(entry.files) > 1:
        try:
            record = json.loads(entry.files[-1].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    else:
        record = record_of_file(entry.files[0]) if entry.files[0].suffix == ".flac" else None
    seconds = record.get("seconds") if isinstance(record, dict) else None
    return float(seconds) if isinstance(seconds, int | float) else None


def prune(root: Path, cutoff: float, dry_run: bool = False) -> tuple[int, int]:
    """Delete (unless ``dry_run``) the entries last used before ``cutoff`` (a Unix time), under
    the build lock so that no build is reading them; how many entries, and their bytes."""
    stale = [entry for entry in entries(root) if entry.last_used < cutoff]
    freed = sum(entry.size for entry in stale)
    if not dry_run:
        with build_lock(root, "cache prune"):
            for entry in stale:
                for path in entry.files:
                    path.unlink(missing_ok=True)
    return len(stale), freed
