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
@pytest.mark.parametrize("length", [1, 2, 100, 4_096, 50_000])
def test_the_chunked_running_mean_is_scipys_value_for_value(monkeypatch, dtype, size: int, length: int) -> None:
    values = np.random.default_rng(size).random(length).astype(dtype) ** 3
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
    measured, encoded = audio.level_and_encode(timeline, COMPRESSED)
    destination.write_bytes(encoded)
    return measured


def test_levelling_in_blocks_gives_the_bytes_of_levelling_at_once(speech, tmp_path: Path, monkeypatch) -> None:
    whole = level_to_file(speech, 12, tmp_path / "whole.mp3")
    monkeypatch.setattr(blocks, "BLOCK_SECONDS", 2.0)  # a dozen blocks, each its own array or file read
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


def stored(values: np.ndarray, block: int) -> blocks.SampleStore:
    store = blocks.SampleStore(block, values.dtype)
    for piece in np.array_split(values, 5):
        store.append(piece)
    return store


def read_all(store: blocks.SampleStore) -> np.ndarray:
    return store.read(0, len(store))


@pytest.mark.parametrize("size", [1, 15, 165])
def test_a_running_mean_a_block_at_a_time_is_the_whole_lines(size: int) -> None:
    values = np.random.default_rng(size).random(20_000).astype(np.float32) ** 3
    store = stored(values, 1_000)
    running = blocks.RunningMean(store.nearest, size)
    parts = [running.values(start, min(start + 1_000, len(values))) for start in range(0, len(values), 1_000)]
    assert np.array_equal(np.concatenate(parts), dsp.running_mean(values, size))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 15, 165])
def test_a_running_mean_of_a_whole_line_at_once_is_the_carried_sums(dtype: type, size: int) -> None:
    """The whole line asked for in one call: the values of the running sum carried block by block."""
    values = (np.random.default_rng(size).random(20_000) ** 3).astype(dtype)
    store = stored(values, 100_000)
    at_once = blocks.RunningMean(store.nearest, size).values(0, len(values))
    carried = blocks.RunningMean(store.nearest, size)
    parts = [carried.values(start, min(start + 1_000, len(values))) for start in range(0, len(values), 1_000)]
    assert np.array_equal(at_once, np.concatenate(parts))
    assert at_once.dtype == dtype


def test_the_compressor_gain_a_block_at_a_time_is_the_whole_signals(speech: np.ndarray) -> None:
    mean_squares = dsp.control_mean(np.tile(speech, 4) ** 2)
    item = COMPRESSED.filters[2]
    in_blocks = blocks.compressor_gain(stored(mean_squares, 997), RATE, item)
    assert not in_blocks.in_memory
    assert np.array_equal(read_all(in_blocks), dsp.compressor_gain(mean_squares, RATE, **dsp.compressor_settings(item)))


@pytest.mark.parametrize("with_cuts", [False, True])
def test_the_limiter_a_block_at_a_time_is_the_whole_signals(speech: np.ndarray, with_cuts: bool, monkeypatch) -> None:
    """Curve, true peak and loudness of the limiter, envelope extended too, as the whole-array functions give them."""
    loud = np.tile(speech, 6) / np.abs(speech).max() * np.float32(0.9)
    whole_envelope = dsp.peak_envelope(loud, RATE, floor=10 ** (-9 / 20))
    whole_envelope = dsp.peak_envelope(loud, RATE, floor=10 ** (-20 / 20), extending=whole_envelope)
    steps = len(whole_envelope.peaks)
    cuts = np.zeros(steps, dtype=np.float32)
    if with_cuts:
        cuts[steps // 3 : steps // 3 + 200] = -1.5
    ceiling = -3.0 + cuts if with_cuts else -3.0
    curve, true_peak = dsp.limiter_gain(whole_envelope, 8.0, ceiling)
    loudness = dsp.gained_loudness(dsp.step_energies(dsp.k_weighted(loud, RATE)), curve, RATE)

    monkeypatch.setattr(blocks, "BLOCK_SECONDS", 2.0)  # a dozen blocks
    size = blocks.block_samples(RATE)
    source = blocks.SampleStore.of(loud, size)
    assert not source.in_memory
    envelope = blocks.envelope(source, RATE, floor=10 ** (-9 / 20))
    envelope = blocks.envelope(source, RATE, floor=10 ** (-20 / 20), extending=envelope)
    assert np.array_equal(read_all(envelope.peaks), whole_envelope.peaks)
    assert np.array_equal(read_all(envelope.held), whole_envelope.held)
    energies, _ = blocks.weighted_measures(source, RATE)
    stored_cuts = stored(cuts, size // dsp.CONTROL_STEP) if with_cuts else None
    limited = blocks.limited(envelope, energies, RATE, 8.0, -3.0, stored_cuts)
    assert np.array_equal(read_all(limited.curve), curve)
    assert read_all(limited.curve).dtype == curve.dtype
    assert limited.true_peak == true_peak
    assert limited.loudness == loudness
