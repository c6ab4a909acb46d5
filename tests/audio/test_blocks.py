"""Levelling in blocks: the same bytes as levelling at once, in memory that does not grow with length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage

from pipeline.audio import blocks, dsp
from pipeline.audio import level as audio
from pipeline.project.station import AudioFilter, Profile
from tests.audio_fixtures import run, speak

RATE = 22050
COMPRESSED = Profile(
    "player", "mp3", 32, RATE, 1, -16.0, -1.5,
    (
        AudioFilter("highpass", (("frequency", 70.0),)),
        AudioFilter("lowpass", (("frequency", 7500.0),)),
        AudioFilter("compressor", (("threshold_db", -24.0), ("ratio", 3.0), ("attack_ms", 5.0), ("release_ms", 120.0))),
    ),
)  # fmt: skip


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    text = "Radio reaches every province, and many sets are changed to hear the stations from outside."
    wav = speak(text, tmp_path_factory.mktemp("blocks") / "speech.wav")
    pcm = run("ffmpeg", "-v", "error", "-i", str(wav), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-")
    return dsp.to_float(pcm)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 15, 170, 171])
def test_the_chunked_running_mean_is_scipys_value_for_value(monkeypatch, dtype, size: int) -> None:
    values = np.random.default_rng(size).random(50_000).astype(dtype) ** 3
    monkeypatch.setattr(dsp, "RUNNING_MEAN_LONG", 0)
    monkeypatch.setattr(dsp, "RUNNING_MEAN_CHUNK", 4_096)
    ours = dsp.running_mean(values, size)
    assert ours.dtype == values.dtype
    assert np.array_equal(ours, scipy.ndimage.uniform_filter1d(values, size=size, mode="nearest"))


def test_a_store_spills_to_a_file_and_reads_back_any_window() -> None:
    samples = np.arange(10_000, dtype=np.float32)
    store = blocks.SampleStore(1_024)
    for piece in np.array_split(samples, 7):
        store.append(piece)
    assert not store.in_memory
    assert np.array_equal(np.concatenate([block for _, block in store.blocks()]), samples)
    assert [start for start, _ in store.blocks()][:3] == [0, 1_024, 2_048]
    assert np.array_equal(store.read(-3, 2), [0, 0, 0, 0, 1])
    assert np.array_equal(store.read(9_998, 10_003), [9_998, 9_999, 0, 0, 0])
    store.close()


def level_to_file(speech: np.ndarray, times: int, destination: Path) -> audio.Measured:
    pause = np.zeros(RATE // 3, dtype=np.float32)
    long_speech = np.concatenate(
        [np.concatenate([speech * np.float32(0.3 + 0.05 * (n % 5)), pause]) for n in range(times)]
    )
    timeline = audio.Timeline.from_pcm(dsp.to_pcm(long_speech), RATE)
    return audio.level_and_encode(timeline, COMPRESSED, destination)


def test_levelling_in_blocks_gives_the_bytes_of_levelling_at_once(speech, tmp_path: Path, monkeypatch) -> None:
    whole = level_to_file(speech, 12, tmp_path / "whole.mp3")
    monkeypatch.setattr(blocks, "BLOCK_SECONDS", 2.0)  # a dozen blocks, each its own array or file read
    monkeypatch.setattr(dsp, "RUNNING_MEAN_LONG", 0)
    monkeypatch.setattr(dsp, "RUNNING_MEAN_CHUNK", 1_000)
    in_blocks = level_to_file(speech, 12, tmp_path / "blocks.mp3")
    assert (tmp_path / "blocks.mp3").read_bytes() == (tmp_path / "whole.mp3").read_bytes()
    assert in_blocks.loudness == whole.loudness
    assert np.array_equal(in_blocks.blocks, whole.blocks)


def test_gained_loudness_summed_a_stretch_at_a_time_is_the_same(speech: np.ndarray, monkeypatch) -> None:
    long_speech = np.tile(speech, 20)
    energies = dsp.step_energies(dsp.k_weighted(long_speech, RATE))
    curve, _ = dsp.limiter_gain(dsp.peak_envelope(long_speech, RATE), 12.0, -3.0)
    at_once = dsp.gained_loudness(energies, curve, RATE)
    monkeypatch.setattr(dsp, "GAIN_HOPS_AT_ONCE", 7)
    assert dsp.gained_loudness(energies, curve, RATE) == at_once
