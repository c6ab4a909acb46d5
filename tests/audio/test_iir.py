"""The workers' section filters: scipy's designs and filter, bit for bit, without scipy.signal's import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal

from pipeline.audio import dsp, iir

RATES = (8000, 16000, 22050, 44100, 48000)


def cutoffs(rate: int) -> list[float]:
    return [*np.geomspace(12.0, 0.49 * rate, 25), 70.0, 80.0, 100.0, 0.45 * rate]


@pytest.mark.parametrize("kind", ["lowpass", "highpass"])
@pytest.mark.parametrize("order", [2, 4, 6, 8])
def test_butterworth_sections_are_scipys_bit_for_bit(kind: str, order: int) -> None:
    for rate in RATES:
        for cutoff in cutoffs(rate):
            ours = iir.butterworth(order, cutoff, kind, rate)
            assert np.array_equal(ours, scipy.signal.butter(order, cutoff, kind, fs=rate, output="sos")), (rate, cutoff)


@pytest.mark.parametrize(
    ("order", "cutoff", "kind", "message"),
    [
        (3, 100.0, "lowpass", "even order"),
        (0, 100.0, "lowpass", "even order"),
        (2, 100.0, "bandpass", "not a Butterworth kind"),
        (2, 11025.0, "lowpass", "not between 0 and half"),
        (2, 0.0, "highpass", "not between 0 and half"),
    ],
)
def test_butterworth_refuses_what_it_does_not_design(order: int, cutoff: float, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        iir.butterworth(order, cutoff, kind, 22050)


def noise(dtype: type, length: int = 30_001) -> np.ndarray:
    return np.random.default_rng(length).standard_normal(length).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("from_rest", [True, False])
def test_the_section_filter_gives_scipys_output_and_state(dtype: type, from_rest: bool) -> None:
    sos = iir.butterworth(4, 1_000.0, "lowpass", 22050)
    samples = noise(dtype)
    before = samples.copy()
    state = None if from_rest else np.random.default_rng(3).standard_normal((2, 2)).astype(dtype)
    output, after = iir.sosfilt(sos, samples, state)
    zi = np.zeros((2, 2), dtype) if state is None else state
    expected, expected_state = scipy.signal.sosfilt(sos.astype(dtype), samples, zi=zi)
    assert output.dtype == dtype and after.dtype == dtype
    assert np.array_equal(output, expected)
    assert np.array_equal(after, expected_state)
    assert np.array_equal(samples, before)  # the input is left as it was


def test_filtering_in_place_gives_the_same_into_the_callers_array() -> None:
    sos = iir.butterworth(4, 7_500.0, "lowpass", 22050)
    samples = noise(np.float32)
    copied = iir.sosfilt(sos, samples)
    output, state = iir.sosfilt(sos, samples, in_place=True)
    assert np.shares_memory(output, samples)
    assert np.array_equal(output, copied[0]) and np.array_equal(state, copied[1])


def test_the_compiled_kernel_is_used_and_the_fallback_gives_the_same(monkeypatch) -> None:
    assert iir._kernel() is not None  # the pinned scipy has it where it is looked for
    sos = iir.butterworth(2, 80.0, "highpass", 16000)
    samples = noise(np.float32)
    through_kernel = iir.sosfilt(sos, samples)
    monkeypatch.setattr(iir, "_kernel", lambda: None)
    through_scipy = iir.sosfilt(sos, samples)
    assert np.array_equal(through_kernel[0], through_scipy[0])
    assert np.array_equal(through_kernel[1], through_scipy[1])


def test_the_interpolator_is_scipys_firwin() -> None:
    taps = scipy.signal.firwin(48, 1 / dsp.OVERSAMPLE, window=("kaiser", 6.0)) * dsp.OVERSAMPLE
    assert np.array_equal(dsp._interpolator(), taps.astype(np.float32))


WORKER_PROBE = """
import sys
import numpy as np
from pipeline.audio import dsp
from pipeline.project.station import AudioFilter
rate = 22050
samples = np.random.default_rng(1).standard_normal(rate).astype(np.float32) * np.float32(0.1)
player = (AudioFilter("highpass", (("frequency", 70.0),)), AudioFilter("lowpass", (("frequency", 7500.0),)),
          AudioFilter("compressor", (("threshold_db", -24.0), ("ratio", 3.0))))
filtered = dsp.apply_filters(samples, rate, player)
loudness = dsp.integrated_loudness(dsp.loudness_blocks(filtered, rate))
peaks = dsp.true_peaks(filtered)
print(sorted(name for name in ("scipy.signal", "scipy.ndimage", "scipy.signal._sosfilt") if name in sys.modules))
band = (AudioFilter("lowpass", (("frequency", 4500.0), ("stop_frequency", 5500.0), ("stop_db", 65.0))),)
import scipy.signal
elliptic = dsp.design_filter(band[0], rate)
expected = scipy.signal.sosfilt(elliptic.astype(np.float32), dsp.nudged(samples))
same = np.array_equal(dsp.apply_filters(samples, rate, band), expected)
print(sys.modules["scipy.signal._sosfilt"]._sosfilt is scipy.signal._signaltools._sosfilt, same)
"""


def test_a_worker_filters_levels_and_measures_without_importing_scipy_signal_or_ndimage() -> None:
    """An elliptic design imports scipy.signal later, which then uses the kernel already loaded."""
    result = subprocess.run([sys.executable, "-c", WORKER_PROBE], capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[:2] == ["['scipy.signal._sosfilt']", "True True"]


def cascades() -> list[tuple[str, np.ndarray, int]]:
    """The cascades a build filters with: K-weighting, a profile's high- and low-pass, alone and together."""
    found = [(f"K-weighting at {rate}", dsp.k_weighting_sos(rate), rate) for rate in (16000, 22050, 48000)]
    found += [
        ("high-pass 70 Hz", iir.butterworth(2, 70.0, "highpass", 22050), 22050),
        ("high-pass 80 Hz, 4th order", iir.butterworth(4, 80.0, "highpass", 16000), 16000),
        ("low-pass 7.5 kHz", iir.butterworth(2, 7_500.0, "lowpass", 22050), 22050),
        (
            "high- and low-pass",
            np.vstack([iir.butterworth(2, 70.0, "highpass", 22050), iir.butterworth(4, 7_500.0, "lowpass", 22050)]),
            22050,
        ),
    ]
    return found


@pytest.mark.parametrize(("name", "sos", "rate"), cascades(), ids=[name for name, _, _ in cascades()])
def test_the_chunked_filter_is_the_section_filter_in_single_precision(name: str, sos: np.ndarray, rate: int) -> None:
    """Against scipy's filter in float64, from a state and through silence, ending mid-row: closer
    than scipy's own float32 kernel comes."""
    generator = np.random.default_rng(7)
    samples = np.concatenate([generator.standard_normal(3 * dsp.filter_chunk(rate) + 1_000), np.zeros(20_013)])
    samples = (samples * 0.3).astype(np.float32)
    state = generator.standard_normal((len(sos), 2)) * 0.1
    output, after = iir.sosfilt(sos, samples, state, chunk=dsp.filter_chunk(rate))
    expected, expected_state = scipy.signal.sosfilt(sos, samples.astype(np.float64), zi=state)
    single, _ = scipy.signal.sosfilt(sos.astype(np.float32), samples, zi=state.astype(np.float32))
    assert iir._chunked_design(np.asarray(sos, dtype=np.float64)) is not None
    assert output.dtype == np.float32 and after.dtype == np.float64
    error = np.abs(output - expected).max()
    assert error < 1e-5 * np.abs(expected).max() and error <= np.abs(single - expected).max()
    assert np.abs(after[:, :2] - expected_state).max() < 1e-5


@pytest.mark.parametrize("blocks", [2, 3, 7])
def test_the_chunked_filter_in_blocks_of_whole_chunks_gives_the_whole_signals_bits(blocks: int) -> None:
    sos = dsp.k_weighting_sos(22050)
    chunk = dsp.filter_chunk(22050)
    samples = noise(np.float32, 7 * chunk + 555)
    whole, whole_state = iir.sosfilt(sos, samples, chunk=chunk)
    pieces, state = [], None
    for piece in np.array_split(samples[: 7 * chunk], blocks) if 7 % blocks == 0 else _whole_chunks(samples, chunk):
        output, state = iir.sosfilt(sos, piece, state, chunk=chunk)
        pieces.append(output)
    if 7 % blocks == 0:
        output, state = iir.sosfilt(sos, samples[7 * chunk :], state, chunk=chunk)
        pieces.append(output)
    assert np.array_equal(np.concatenate(pieces), whole)
    assert np.array_equal(state, whole_state)


def _whole_chunks(samples: np.ndarray, chunk: int) -> list[np.ndarray]:
    """``samples`` cut after 2, 3 and 6 chunks."""
    return np.split(samples, [2 * chunk, 3 * chunk, 6 * chunk])


def test_cascades_the_chunked_filter_does_not_serve_go_through_scipys_kernel_bit_for_bit() -> None:
    elliptic = scipy.signal.ellip(8, 0.5, 65, 4_500, fs=22050, output="sos")  # four sections
    samples = noise(np.float32)
    assert iir._chunked_design(elliptic) is None
    for sos, given in ((elliptic, samples), (iir.butterworth(2, 70.0, "highpass", 22050), samples.astype(np.float64))):
        output, _ = iir.sosfilt(sos, given, chunk=dsp.filter_chunk(22050))
        assert np.array_equal(output, scipy.signal.sosfilt(sos.astype(given.dtype), given))
