"""In-process signal processing: loudness (ITU-R BS.1770-4), true peak, filters and dynamics.

Entry points: :func:`loudness_blocks` and :func:`integrated_loudness` (EBU
R128 integrated loudness, with the gating blocks kept so that the loudness of
joined segments can be computed without decoding them again),
:func:`true_peak_dbtp` (4× oversampled peak), :func:`apply_filters` (a
profile's high-pass, low-pass and compressor), and :func:`peak_envelope` with
:func:`limiter_gain` (a true-peak look-ahead limiter whose gain can be tried
at several levels without oversampling again). Dynamics run on a control
signal one point per CONTROL_STEP samples, which keeps them cheap.

Everything works on mono float32 arrays in [-1, 1], is vectorised with
numpy/scipy, and is deterministic, so a segment is levelled in a few
milliseconds and ffmpeg only has to encode.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d
from scipy.signal import butter, firwin, lfilter, sosfilt, upfirdn

from .config import AudioFilter

BLOCK_SECONDS = 0.4
HOP_SECONDS = 0.1
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
SILENT_LUFS = -70.0
_OFFSET = -0.691


def _biquad(b0: float, b1: float, b2: float, a0: float, a1: float, a2: float) -> tuple[np.ndarray, np.ndarray]:
    return np.array([b0, b1, b2]) / a0, np.array([a0, a1, a2]) / a0


def k_weighting(rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two BS.1770 pre-filters (high shelf, then high pass) designed for ``rate``."""
    # Shelf: +4 dB above ~1.7 kHz (the head's acoustic effect).
    gain_db, q, fc = 3.999843853973347, 0.7071752369554196, 1681.974450955533
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    shelf = _biquad(
        a * ((a + 1) + (a - 1) * cos + 2 * math.sqrt(a) * alpha),
        -2 * a * ((a - 1) + (a + 1) * cos),
        a * ((a + 1) + (a - 1) * cos - 2 * math.sqrt(a) * alpha),
        (a + 1) - (a - 1) * cos + 2 * math.sqrt(a) * alpha,
        2 * ((a - 1) - (a + 1) * cos),
        (a + 1) - (a - 1) * cos - 2 * math.sqrt(a) * alpha,
    )
    # High pass at ~38 Hz (the RLB weighting).
    q, fc = 0.5003270373238773, 38.13547087602444
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    highpass = _biquad((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)
    return [shelf, highpass]


def loudness_blocks(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of the K-weighted signal in each 400 ms block (100 ms apart)."""
    return mean_square_blocks(k_weighted(samples, rate), rate)


def integrated_loudness(blocks: np.ndarray) -> float:
    """Gated integrated loudness in LUFS of the given blocks (silence: -70)."""
    if blocks.size == 0:
        return SILENT_LUFS
    with np.errstate(divide="ignore"):
        levels = _OFFSET + 10 * np.log10(blocks)
    loud = blocks[levels > ABSOLUTE_GATE_LUFS]
    if loud.size == 0:
        return SILENT_LUFS
    relative_gate = _OFFSET + 10 * math.log10(loud.mean()) + RELATIVE_GATE_LU
    gated = blocks[levels > max(relative_gate, ABSOLUTE_GATE_LUFS)]
    return _OFFSET + 10 * math.log10(gated.mean())


OVERSAMPLE = 4
CHUNK = 1 << 15  # samples oversampled at a time, so memory stays small for long audio
_CHUNK_MARGIN = 64  # input samples of context on each side (the interpolation filter is shorter)
_PEAK_HEADROOM = 10 ** (-6 / 20)  # peaks between samples stay well within 6 dB of the sample peaks


def oversampled_peaks(samples: np.ndarray) -> np.ndarray:
    """For each sample, the highest absolute value around it when oversampled 4× (true peak)."""
    peaks = np.abs(samples).astype(np.float32)
    for start in range(0, len(samples), CHUNK):
        peaks[start : start + CHUNK] = np.maximum(peaks[start : start + CHUNK], _between(samples, start))
    return peaks


def _between(samples: np.ndarray, start: int) -> np.ndarray:
    """Peaks between the samples of one chunk (with context on both sides for the filter)."""
    end = min(start + CHUNK, len(samples))
    low, high = max(0, start - _CHUNK_MARGIN), min(len(samples), end + _CHUNK_MARGIN)
    upsampled = np.abs(upfirdn(_interpolator(), samples[low:high].astype(np.float32), OVERSAMPLE))
    upsampled = upsampled[_INTERPOLATOR_DELAY : _INTERPOLATOR_DELAY + (high - low) * OVERSAMPLE]
    inner = upsampled[(start - low) * OVERSAMPLE : (end - low) * OVERSAMPLE]
    return inner.reshape(-1, OVERSAMPLE).max(axis=1)


_INTERPOLATOR_TAPS = 48  # 12 per phase, as the true-peak meter of ITU-R BS.1770-4 Annex 2
_INTERPOLATOR_DELAY = (_INTERPOLATOR_TAPS - 1) // 2


@functools.cache
def _interpolator() -> np.ndarray:
    """The 4× interpolation filter (designed once)."""
    taps = firwin(_INTERPOLATOR_TAPS, 1 / OVERSAMPLE, window=("kaiser", 6.0)) * OVERSAMPLE
    return taps.astype(np.float32)


def true_peak_dbtp(samples: np.ndarray) -> float:
    """Peak of the signal oversampled four times, in dB relative to full scale.

    Only the chunks whose own samples come within 6 dB of the loudest sample
    are oversampled: nowhere else can a peak between samples be the highest.
    """
    if samples.size == 0:
        return -math.inf
    sample_peak = float(np.max(np.abs(samples)))
    peak = sample_peak
    for start in range(0, len(samples), CHUNK):
        if np.max(np.abs(samples[start : start + CHUNK])) >= sample_peak * _PEAK_HEADROOM:
            peak = max(peak, float(np.max(_between(samples, start))))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def apply_filters(samples: np.ndarray, rate: int, filters: Sequence[AudioFilter]) -> np.ndarray:
    """The profile's filters in order; a ``limiter`` entry is applied by :func:`limit` later."""
    out = samples
    for item in filters:
        if item.kind == "highpass":
            out = sosfilt(
                butter(2, item.get("frequency", 80), "highpass", fs=rate, output="sos").astype(out.dtype), out
            )
        elif item.kind == "lowpass":
            cutoff = min(item.get("frequency", 8000), 0.45 * rate)
            out = sosfilt(butter(4, cutoff, "lowpass", fs=rate, output="sos").astype(out.dtype), out)
        elif item.kind == "compressor":
            out = compress(
                out,
                rate,
                threshold_db=item.get("threshold_db", -24),
                ratio=item.get("ratio", 3),
                attack_ms=item.get("attack_ms", 5),
                release_ms=item.get("release_ms", 100),
                makeup_db=item.get("makeup_db", 0),
            )
    return out


CONTROL_STEP = 16  # audio samples per control point for dynamics (0.7 ms at 22.05 kHz)
LOOKAHEAD_MS = 5.0


def _control(values: np.ndarray, reduce: str) -> np.ndarray:
    """``values`` reduced (``max`` or ``mean``) over consecutive runs of CONTROL_STEP samples."""
    padded = np.pad(values, (0, -len(values) % CONTROL_STEP), mode="edge")
    blocks = padded.reshape(-1, CONTROL_STEP)
    return blocks.max(axis=1) if reduce == "max" else blocks.mean(axis=1)


def control_max(values: np.ndarray) -> np.ndarray:
    """The highest of each run of CONTROL_STEP samples."""
    return _control(values, "max")


def _audio_rate(control: np.ndarray, length: int) -> np.ndarray:
    """A control signal at audio rate, ramping linearly between the control points
    (steps in a gain would add clicks and peaks between samples)."""
    held = np.repeat(control.astype(np.float32), CONTROL_STEP)[:length]
    # A moving average one step wide turns the steps into straight ramps between the control points.
    return uniform_filter1d(held, size=CONTROL_STEP, mode="nearest")


def _window(rate: int, milliseconds: float) -> int:
    return max(1, round(rate / CONTROL_STEP * milliseconds / 1000))


def compress(
    samples: np.ndarray,
    rate: int,
    threshold_db: float,
    ratio: float,
    attack_ms: float,
    release_ms: float,
    makeup_db: float = 0.0,
) -> np.ndarray:
    """Downward compression above ``threshold_db`` by ``ratio``, with look-ahead.

    The level is the RMS over the attack time; gain reductions are held for
    the release time and smoothed over it, so they begin before a loud
    syllable and recover gently after it.
    """
    power = uniform_filter1d(_control(samples * samples, "mean"), size=_window(rate, attack_ms), mode="nearest")
    level_db = 10 * np.log10(power + 1e-12)
    reduction_db = np.maximum(level_db - threshold_db, 0.0) * (1.0 - 1.0 / ratio)
    release = _window(rate, release_ms)
    held = maximum_filter1d(reduction_db, size=release, mode="nearest")
    smoothed = uniform_filter1d(held, size=release, mode="nearest")
    return samples * _audio_rate(10 ** ((makeup_db - smoothed) / 20), len(samples))


@dataclass(frozen=True)
class PeakEnvelope:
    """Where a signal peaks, between samples too, at control rate.

    Computed once per signal; a limiter at any gain and ceiling then reuses
    it, because a constant gain scales every peak alike.
    """

    peaks: np.ndarray  # highest true peak in each control step
    held: np.ndarray  # the same, held over the look-ahead window
    length: int
    window: int


def peak_envelope(samples: np.ndarray, rate: int, lookahead_ms: float = LOOKAHEAD_MS) -> PeakEnvelope:
    """The true-peak envelope of ``samples``: samples and the peaks between them (4× oversampled)."""
    peaks = _control(oversampled_peaks(samples), "max")
    window = _window(rate, lookahead_ms) * 2 + 1
    return PeakEnvelope(peaks, maximum_filter1d(peaks, size=window, mode="nearest"), len(samples), window)


def limiter_gain(envelope: PeakEnvelope, gain_db: float, ceiling_db: float) -> tuple[np.ndarray, float]:
    """The limiter's gain curve (audio rate, including ``gain_db``) and the resulting true peak.

    The curve falls ahead of each peak and recovers after it; where its
    smoothing would not be enough, the gain needed at that step wins, so no
    peak exceeds the ceiling.
    """
    scale = 10 ** (gain_db / 20)
    ceiling = 10 ** (ceiling_db / 20)
    needed = np.minimum(1.0, ceiling / np.maximum(envelope.held * scale, 1e-12))
    window = envelope.window
    smooth = uniform_filter1d(minimum_filter1d(needed, size=window, mode="nearest"), size=window, mode="nearest")
    curve = scale * np.minimum(smooth, needed)
    peak = float(np.max(envelope.peaks * curve)) if curve.size else 0.0
    return _audio_rate(curve, envelope.length), 20 * math.log10(peak) if peak > 0 else -math.inf


def k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    """``samples`` through the BS.1770 K-weighting filters (in the samples' precision)."""
    weighted = samples
    for b, a in k_weighting(rate):
        weighted = lfilter(b.astype(samples.dtype), a.astype(samples.dtype), weighted)
    return weighted


def mean_square_blocks(weighted: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of an already K-weighted signal in each 400 ms block (100 ms apart)."""
    hop = round(HOP_SECONDS * rate)
    hops_per_block = round(BLOCK_SECONDS / HOP_SECONDS)
    count = len(weighted) // hop
    if count < hops_per_block:
        return np.zeros(0)
    # Sums of squares per 100 ms hop; a 400 ms block is four hops (rates divisible by 10 Hz).
    hop_sums = np.einsum("ij,ij->i", *(2 * [weighted[: count * hop].reshape(count, hop)]), dtype=np.float64)
    block_sums = np.convolve(hop_sums, np.ones(hops_per_block), mode="valid")
    return block_sums / (hop * hops_per_block)


def to_float(pcm: bytes) -> np.ndarray:
    """16-bit little-endian PCM → float32 in [-1, 1] (half the memory of float64, ample precision)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32768.0)


def to_pcm(samples: np.ndarray) -> bytes:
    """Floats in [-1, 1] → 16-bit little-endian PCM (rounded, clipped)."""
    scaled = np.clip(np.rint(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()
