"""What a power cut may leave of a speech-cache entry is a miss: the entry (its FLAC, the record
inside) is not flushed to disk, because the record and the data are checked before every use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.tts import Voice, close_backends, flac_record
from pipeline.tts.cache import SpeechCache, SynthesisCounter, synthesise_cached

VOICE = Voice("espeak-ng", "en-us", 165, 1.0, "en")
TEXT = "The radio stayed on all night."


def zeroed(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))  # what a file whose data never reached the disk reads as


def emptied(path: Path) -> None:
    path.write_bytes(b"")


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def head_zeroed(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(bytes(200) + data[200:])  # the header and the record inside it


def stored_entry(folder: Path) -> tuple[SpeechCache, Path]:
    """A cache holding TEXT: the cache and the entry's file."""
    cache = SpeechCache(folder)
    try:
        data = synthesise_cached(TEXT, VOICE, cache)
    finally:
        close_backends()
    return cache, data


def test_storing_an_entry_flushes_nothing_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[int] = []
    monkeypatch.setattr(os, "fsync", flushed.append)
    _, data = stored_entry(tmp_path)
    assert flushed == []
    record, stream = flac_record.split_record(data.read_bytes())
    assert record["bytes"] == len(stream) and flac_record.is_intact(record, stream)


@pytest.mark.parametrize("damage", [zeroed, emptied, cut_short, head_zeroed], ids=lambda damage: damage.__name__)
def test_an_entry_a_power_cut_left_incomplete_is_synthesised_again(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    cache, data = stored_entry(tmp_path)
    intact = data.read_bytes()
    damage(data)
    counter = SynthesisCounter()
    try:
        again = synthesise_cached(TEXT, VOICE, SpeechCache(tmp_path), counter)
    finally:
        close_backends()
    assert counter.synthesised == 1 and counter.cached == 0
    assert again.read_bytes() == intact  # the engine's bytes are reproducible, so the entry is the same
    assert cache.lookup(cache.key(TEXT, VOICE, _version())) == again


def _version() -> str:
    from pipeline.tts import get_backend

    try:
        return get_backend("espeak-ng").version("en")
    finally:
        close_backends()
