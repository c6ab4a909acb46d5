"""The episode's loudness from its segments' stored blocks, worked out without numpy, against
numpy's own gating (:func:`pipeline.audio.dsp.integrated_loudness`) on the same blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.audio import dsp
from pipeline.build.loudness_blocks import joined_loudness, load_blocks, store_blocks
from pipeline.build.segments import blocks_path
from tests.audio_fixtures import run, speak

RATE = 22050


def stored(cache: Path, parts: list[np.ndarray]) -> list[list[float]]:
    """``parts`` stored as segment jobs store them, then loaded as the build's process loads them."""
    loaded = []
    for number, part in enumerate(parts):
        store_blocks(cache, f"{number:02d}key", part)
        values = load_blocks(cache, f"{number:02d}key")
        assert values is not None
        loaded.append(list(values))
    return loaded


def numpy_loudness(parts: list[np.ndarray]) -> float:
    blocks = [part for part in parts if part.size]
    return round(dsp.integrated_loudness(np.concatenate(blocks) if blocks else np.zeros(0)), 2)


@pytest.mark.parametrize("seed", range(40))
def test_joined_loudness_is_numpys_on_random_blocks(seed: int, tmp_path: Path) -> None:
    """Blocks from near silence to full scale, some segments silent or empty: the same value."""
    rng = np.random.default_rng(seed)
    parts = [
        rng.random(int(rng.integers(0, 400))) ** rng.uniform(1, 8) * 10 ** rng.uniform(-9, 0)
        for _ in range(int(rng.integers(1, 7)))
    ]
    parts.append(np.zeros(int(rng.integers(0, 30))))
    loaded = stored(tmp_path, parts)
    assert [values == part.tolist() for values, part in zip(loaded, parts, strict=True)] == [True] * len(parts)
    assert joined_loudness(loaded) == numpy_loudness(parts)


def test_joined_loudness_of_real_speech_segments(tmp_path: Path) -> None:
    """Two segments of espeak-ng speech at different levels, and silence: numpy's value."""
    wav = speak("Radio waves cross the border at night. Memory cards travel in pockets.", tmp_path / "s.wav")
    pcm = run("ffmpeg", "-v", "error", "-i", str(wav), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-")
    speech = dsp.to_float(pcm)
    parts = [dsp.loudness_blocks(speech * np.float32(gain), RATE) for gain in (1.0, 0.2)]
    parts.append(dsp.loudness_blocks(np.zeros(RATE * 2, dtype=np.float32), RATE))
    assert joined_loudness(stored(tmp_path, parts)) == numpy_loudness(parts)
    assert joined_loudness([]) == dsp.SILENT_LUFS


def test_blocks_that_are_missing_or_not_what_a_job_stores_are_not_read(tmp_path: Path) -> None:
    assert load_blocks(tmp_path, "nokey") is None
    path = blocks_path(tmp_path, "abkey")
    path.parent.mkdir(parents=True)
    for wrong in (np.zeros((3, 2)), np.zeros(4, dtype=np.float32), np.zeros(4, dtype=">f8")):
        np.save(path, wrong, allow_pickle=False)
        assert load_blocks(tmp_path, "abkey") is None
    path.write_bytes(path.read_bytes()[:-3])  # cut short
    assert load_blocks(tmp_path, "abkey") is None
    path.write_bytes(b"not a numpy file")
    assert load_blocks(tmp_path, "abkey") is None


def test_blocks_are_kept_in_sixteen_folders_and_those_of_the_earlier_layout_are_still_read(tmp_path: Path) -> None:
    store_blocks(tmp_path, "abkey", np.array([0.5, 0.25]))
    assert blocks_path(tmp_path, "abkey") == tmp_path / "levels" / "a" / "abkey.npy"
    assert list(load_blocks(tmp_path, "abkey")) == [0.5, 0.25]
    earlier = blocks_path(tmp_path, "cdkey", shard_digits=2)
    earlier.parent.mkdir(parents=True)
    np.save(earlier, np.array([0.125]), allow_pickle=False)
    assert earlier == tmp_path / "levels" / "cd" / "cdkey.npy" and list(load_blocks(tmp_path, "cdkey")) == [0.125]
