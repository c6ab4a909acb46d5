"""Content-addressed store of synthesised speech.

Entry points: :class:`SpeechCache` and :func:`synthesise_cached`. A WAV is
stored under the hash of everything that changes its sound: the text the
engine is given (normalised and, for a voice with ``pronounce: standard``,
respelled as pronounced, so a change to the pronunciation rules, their data,
the lexicons' ``pronounce:`` lists or the analyser's version re-synthesises
exactly the texts whose respelling it changes), the language, the backend and its version (including the voice data
fingerprint), the voice id, rate and volume. Each entry has a small JSON
record with its size and sha256, checked before every use: an entry that
does not match is deleted and synthesised again, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.fsutil import PARTIAL_SUFFIX, atomic_write_text
from pipeline.tts import Voice, get_backend

DEFAULT_TIMEOUT = 60.0
KEY_SCHEMA = 1


@dataclass(frozen=True)
class CacheEntry:
    """A stored WAV and the record that vouches for it."""

    key: str
    wav: Path
    record: Path


class SpeechCache:
    """WAV files keyed by the hash of what determines their sound."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def key(text: str, voice: Voice, engine_version: str) -> str:
        """The cache key of ``text`` spoken by ``voice`` on an engine of ``engine_version``."""
        fields = {
            "schema": KEY_SCHEMA,
            "text": text,
            "lang": voice.lang,
            "backend": voice.backend,
            "engine": engine_version,
            "voice": voice.voice_id,
            "rate": voice.rate,
            "volume": voice.volume,
        }
        blob = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def entry(self, key: str) -> CacheEntry:
        """Where the entry for ``key`` lives (whether or not it exists)."""
        base = self.folder / key[:2] / key
        return CacheEntry(key, base.with_suffix(".wav"), base.with_suffix(".json"))

    def lookup(self, key: str) -> Path | None:
        """The verified WAV for ``key``; a corrupt or incomplete entry is removed."""
        entry = self.entry(key)
        if not entry.wav.exists() or not entry.record.exists():
            return None
        try:
            record = json.loads(entry.record.read_text(encoding="utf-8"))
            data = entry.wav.read_bytes()
        except (OSError, ValueError):
            record, data = {}, b""
        if len(data) != record.get("bytes") or hashlib.sha256(data).hexdigest() != record.get("sha256"):
            self.discard(key)
            return None
        os.utime(entry.record)  # last use, for pruning
        return entry.wav

    def discard(self, key: str) -> None:
        """Remove an entry."""
        entry = self.entry(key)
        entry.wav.unlink(missing_ok=True)
        entry.record.unlink(missing_ok=True)

    @contextmanager
    def staging(self, key: str) -> Iterator[Path]:
        """A temporary path for a new WAV; removed if the block fails."""
        entry = self.entry(key)
        entry.wav.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.wav.with_name(f".{key}.{os.getpid()}{PARTIAL_SUFFIX}.wav")
        try:
            yield temporary
        finally:
            temporary.unlink(missing_ok=True)

    def store(self, key: str, wav: Path, text: str, voice: Voice) -> Path:
        """Move a checked WAV into the cache and write its record."""
        entry = self.entry(key)
        data = wav.read_bytes()
        wav.replace(entry.wav)
        record = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "text": text,
            "voice": voice.describe(),
            "lang": voice.lang,
            "stored": int(time.time()),
        }
        atomic_write_text(entry.record, json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
        return entry.wav


@dataclass
class SynthesisCounter:
    """How many texts were synthesised and how many came from the cache."""

    synthesised: int = 0
    cached: int = 0


def synthesise_cached(
    text: str,
    voice: Voice,
    cache: SpeechCache,
    counter: SynthesisCounter | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    refresh: bool = False,
) -> Path:
    """The WAV of ``text`` in ``voice``: from the cache, or synthesised once and stored
    (with ``refresh``, synthesised again and stored in place of any cached one)."""
    backend = get_backend(voice.backend)
    key = cache.key(text, voice, backend.version(voice.lang))
    found = None if refresh else cache.lookup(key)
    if found is not None:
        if counter:
            counter.cached += 1
        return found
    with cache.staging(key) as temporary:
        backend.synthesise(text, voice, temporary, timeout)
        stored = cache.store(key, temporary, text, voice)
    if counter:
        counter.synthesised += 1
    return stored
