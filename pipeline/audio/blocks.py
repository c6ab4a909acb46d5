"""Audio of any length in bounded memory: signals kept in blocks, processed a block at a time.

Entry points: :class:`SampleStore` (a signal's values, audio or control rate,
in memory while short, in an unnamed temporary file beyond one block of
:data:`BLOCK_SECONDS`, read back block by block or as any window), and the
streaming forms of the levelling steps in :mod:`pipeline.audio.dsp`:
:func:`filtered` (a profile's filters, their states carried from block to
block, the compressor's gain by :func:`compressor_gain`),
:func:`weighted_measures` (K-weighted sums per control step and per 100 ms
hop), :func:`envelope` (the limiter's true-peak envelope), :func:`limited`
(the limiter's gain curve, true peak and loudness at one gain, under a
:class:`Ceiling` worked out once per search),
:func:`true_peaks` and :func:`gained_blocks` (the signal times an audio-rate
gain, block by block).

Everything is done a block at a time, the control-rate data too (one value
per CONTROL_STEP samples: peaks, envelopes, gains, ceiling cuts, step
energies): each is kept in a store of its own, so a long signal's take no
memory. Filters over control data (running means, minima and maxima over a
window) compute each block from its stretch and the window's reach either
side, and a running mean carries its sum from block to block
(:class:`RunningMean`). Blocks are whole numbers of control steps and of
100 ms hops, and every filter carries its state across them, so a signal
that fits in one block is processed exactly as the whole-array functions
process it: files of ordinary segments are unchanged, and a longer one gives
the same bytes and measurements as it would in one block (tested with a
dozen blocks against one). Memory per process does not grow with a
segment's length (measured in the README's reliability section).
"""

from __future__ import annotations

import ctypes
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.audio import dsp
from pipeline.project.station import AudioFilter

BLOCK_SECONDS = 96.0  # at most this much audio is held per array; ordinary segments fit in one block


def block_samples(rate: int) -> int:
    """Samples per block at ``rate``: about BLOCK_SECONDS, a whole number of the section filter's
    chunks, themselves whole numbers of control steps and of 100 ms hops (so per-step and per-hop
    sums never straddle two blocks, and a filtered block is the whole signal's: see
    :func:`dsp.filter_chunk`)."""
    unit = dsp.filter_chunk(rate)
    return max(1, round(BLOCK_SECONDS * rate / unit)) * unit


class SampleStore:
    """Values of a signal (mono float32 samples, or control-rate values of any dtype) appended
    in pieces of any size; read back in blocks of ``block`` values or as windows. Up to one
    block stays in memory; beyond that the values go to an unnamed temporary file (gone when
    the store is closed or the process ends)."""

    def __init__(self, block: int, dtype: npt.DTypeLike = np.float32) -> None:
        self.block = block
        self.dtype = np.dtype(dtype)
        self.length = 0
        self._pending: list[np.ndarray] = []
        self._pending_length = 0
        self._file: Any = None

    @classmethod
    def of(cls, samples: np.ndarray, block: int, dtype: npt.DTypeLike = np.float32) -> SampleStore:
        """A store holding ``samples``."""
        store = cls(block, dtype)
        store.append(samples)
        return store

    def __len__(self) -> int:
        return self.length

    def append(self, samples: np.ndarray) -> None:
        """Add samples at the end."""
        samples = np.ascontiguousarray(samples, dtype=self.dtype)
        self._pending.append(samples)
        self._pending_length += len(samples)
        self.length += len(samples)
        if self._pending_length > self.block:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="pipeline-samples-")  # noqa: SIM115 (the store owns it)
        self._file.seek(0, 2)
        for piece in self._pending:
            self._file.write(piece.tobytes())
        self._pending, self._pending_length = [], 0

    @property
    def in_memory(self) -> bool:
        """True while every sample is held in memory (one block or less)."""
        return self._file is None

    def array(self) -> np.ndarray:
        """Every sample as one array (only for a store held in memory)."""
        if not self.in_memory:
            raise ValueError("a spilled store is read in blocks")
        if len(self._pending) != 1:
            joined = np.concatenate(self._pending) if self._pending else np.zeros(0, dtype=self.dtype)
            self._pending = [joined]
        return self._pending[0]

    def blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first sample, samples) of each block in order; a store in memory is one block."""
        if self.in_memory:
            if self.length:
                yield 0, self.array()
            return
        self._spill()
        for start in range(0, self.length, self.block):
            yield start, self.read(start, min(start + self.block, self.length))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start`` to ``stop``, with zeros for any part outside the signal."""
        inside_start, inside_stop = max(start, 0), min(stop, self.length)
        if inside_stop <= inside_start:
            return np.zeros(max(stop - start, 0), dtype=self.dtype)
        if self.in_memory:
            inside = self.array()[inside_start:inside_stop]
        else:
            self._spill()
            size = self.dtype.itemsize
            self._file.seek(inside_start * size)
            inside = np.frombuffer(self._file.read((inside_stop - inside_start) * size), dtype=self.dtype)
        if inside_start == start and inside_stop == stop:
            return inside
        return _padded(inside, inside_start - start, stop - inside_stop, self.dtype.type(0), self.dtype.type(0))

    def nearest(self, start: int, stop: int) -> np.ndarray:
        """Values ``start`` to ``stop``, the first and last value standing for those outside the
        signal (scipy's ``mode="nearest"``)."""
        return _clamped(self.read, self.length)(start, stop)

    def max(self) -> float:
        """The highest value (0 for an empty store)."""
        return max((float(block.max()) for _, block in self.blocks()), default=0.0)

    def any(self) -> bool:
        """Whether any value is non-zero."""
        return any(bool(block.any()) for _, block in self.blocks())

    def close(self) -> None:
        """Release the temporary file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _new_like(store: SampleStore) -> SampleStore:
    return SampleStore(store.block)


def control_store(audio: SampleStore, dtype: npt.DTypeLike = np.float32) -> SampleStore:
    """An empty store for control-rate values of ``audio`` (one per CONTROL_STEP samples), whose
    blocks cover the same stretches of the signal as the audio's."""
    return SampleStore(audio.block // dsp.CONTROL_STEP, dtype)


# Values of a signal from ``start`` to ``stop`` (either may lie outside it; see SampleStore.nearest).
Reader = Callable[[int, int], np.ndarray]


def _clamped(read_inside: Reader, length: int) -> Reader:
    """A reader of any window from ``read_inside`` (which reads only inside the signal), each
    index outside the signal given the value at the nearest end."""

    def read(start: int, stop: int) -> np.ndarray:
        if length == 0:
            return np.zeros(max(stop - start, 0), dtype=read_inside(0, 0).dtype)
        low = min(max(start, 0), length - 1)
        high = max(min(stop, length), low + 1)
        inside = read_inside(low, high)
        if low == start and high == stop:
            return inside
        if stop <= low or start >= high:  # wholly outside: the nearest end throughout
            return np.full(stop - start, inside[0] if stop <= low else inside[-1], dtype=inside.dtype)
        inside = inside[max(start - low, 0) : len(inside) - max(high - stop, 0)]
        return _padded(inside, max(low - start, 0), max(stop - high, 0), inside[0], inside[-1])

    return read


def _padded(values: np.ndarray, before: int, after: int, first: Any, last: Any) -> np.ndarray:
    """``values`` with ``before`` copies of ``first`` in front and ``after`` of ``last`` behind
    (``np.pad`` does the same several times more slowly)."""
    out = np.empty(before + len(values) + after, dtype=values.dtype)
    out[:before] = first
    out[before : before + len(values)] = values
    out[before + len(values) :] = last
    return out


def _filtered_reader(read: Reader, length: int, sliding: Callable[[np.ndarray, int], np.ndarray], size: int) -> Reader:
    """A reader of ``sliding(values, size)`` (a centred filter of ``size`` points in scipy's
    ``mode="nearest"``, such as :func:`dsp.widen`) applied to the whole signal ``read`` reads,
    computed for each window from that window and ``size`` values either side."""

    def read_inside(start: int, stop: int) -> np.ndarray:
        return sliding(read(start - size, stop + size), size)[size : size + stop - start]

    return _clamped(read_inside, length)


class RunningMean:
    """:func:`dsp.running_mean` of a signal given by a reader, a block of output at a time, in
    order: the running sum is carried from block to block exactly as the whole-line sum runs
    on, so every value is the whole line's."""

    def __init__(self, read: Reader, size: int) -> None:
        self.read = read
        self.size = size
        self.left = size // 2
        self.right = size - 1 - self.left
        self.done = 0
        self.total = 0.0

    def values(self, start: int, stop: int) -> np.ndarray:
        """The means for ``start`` to ``stop``, which must follow on from the previous call's."""
        if start != self.done:
            raise ValueError("a running mean is computed in order")
        out = np.empty(stop - start, dtype=self.read(0, 0).dtype)
        first = start
        if start == 0 and stop > 0:
            self.total = dsp.first_sum(self.read(-self.left, self.right + 1))
            out[0] = self.total / self.size
            first = 1
        if stop > first:
            window = self.read(first - 1 - self.left, stop + self.right)  # the values leaving and entering
            out[first - start :], self.total = dsp.carried_means(window, self.size, self.total)
        self.done = stop
        return out


def filtered(source: SampleStore, rate: int, filters: Sequence[AudioFilter]) -> SampleStore:
    """:func:`dsp.apply_filters` over a store: consecutive high- and low-pass filters as one
    cascade whose state runs on from block to block; a compressor in two passes (its control
    signal is computed for the whole signal, at control rate, before any gain is applied)."""
    current = source
    sections: list[np.ndarray] = []
    for item in filters:
        if item.kind in ("highpass", "lowpass"):
            sections.append(dsp.design_filter(item, rate))
            continue
        if sections:
            current, sections = _sos_filtered(np.vstack(sections), current, rate), []
        if item.kind == "compressor":
            current = _compressed(current, rate, item)
    return _sos_filtered(np.vstack(sections), current, rate) if sections else current


def _sos_filtered(sos: np.ndarray, source: SampleStore, rate: int) -> SampleStore:
    out = _new_like(source)
    for block in _sos_blocks(sos, source, rate):
        out.append(block)
    return out


def _sos_blocks(sos: np.ndarray, source: SampleStore, rate: int) -> Iterator[np.ndarray]:
    """``source`` through second-order sections, block by block, the filter state carried over."""
    state = None
    for _, block in source.blocks():
        output, state = dsp.filter_sos_block(sos, block, state, rate)
        yield output


def _compressed(source: SampleStore, rate: int, item: AudioFilter) -> SampleStore:
    mean_squares = control_store(source)
    for _, block in source.blocks():
        mean_squares.append(dsp.control_mean(block * block))
    gain = compressor_gain(mean_squares, rate, item)
    mean_squares.close()
    out = _new_like(source)
    for block in gained_blocks(source, gain):
        out.append(block)
    gain.close()
    return out


def compressor_gain(mean_squares: SampleStore, rate: int, item: AudioFilter) -> SampleStore:
    """:func:`dsp.compressor_gain` (with a profile's compressor entry) a block at a time: the
    level's running mean in one pass, the held and smoothed reduction in a second, each block
    computed from its stretch and the filters' reach either side (the same values as for the
    whole signal)."""
    settings = dsp.compressor_settings(item)
    length = mean_squares.length
    power = RunningMean(mean_squares.nearest, dsp.control_window(rate, settings["attack_ms"]))
    reduction = SampleStore(mean_squares.block, mean_squares.dtype)
    for start, stop in _spans(mean_squares):
        values = power.values(start, stop)
        reduction.append(dsp.gain_reduction_db(values, settings["threshold_db"], settings["ratio"]))
    release = dsp.control_window(rate, settings["release_ms"])
    smoothed = RunningMean(_filtered_reader(reduction.nearest, length, dsp.widen, release), release)
    gain = SampleStore(mean_squares.block, mean_squares.dtype)
    for start, stop in _spans(mean_squares):
        gain.append(dsp.makeup_gain(smoothed.values(start, stop), settings["makeup_db"]))
    reduction.close()
    return gain


def _spans(store: SampleStore) -> Iterator[tuple[int, int]]:
    """(start, stop) of each of the store's blocks (a store held in memory is one block)."""
    for start in range(0, store.length, store.block):
        yield start, min(start + store.block, store.length)


def gained_blocks(source: SampleStore, control: SampleStore) -> Iterator[np.ndarray]:
    """Each block of ``source`` times the control-rate gain ``control`` at audio rate
    (:func:`dsp.audio_rate_gain`, computed for one block's steps at a time)."""
    for start, block in source.blocks():
        yield block * gain_at_audio_rate(control, start // dsp.CONTROL_STEP, len(block))


def gain_at_audio_rate(control: SampleStore, first_step: int, length: int) -> np.ndarray:
    """:func:`dsp.audio_rate_gain` of a stored control signal for ``length`` samples from
    ``first_step`` on, computing only those steps (with their neighbours)."""
    low, high = dsp.gain_points_around(first_step, length, control.length)
    return dsp.audio_rate_gain_of(control.read(low, high), first_step - low, length)


def weighted_measures(
    source: SampleStore, rate: int, gain: SampleStore | None = None
) -> tuple[SampleStore, np.ndarray]:
    """The K-weighted signal's sums of squares per control step (float64, in a control-rate
    store) and mean squares per 400 ms gating block (see :func:`dsp.mean_square_blocks`), with
    the K-weighting's state carried from block to block; with ``gain`` (control rate), of the
    weighted signal times that gain at audio rate, as :class:`pipeline.audio.level.Leveller`
    measures a rendering (no sums per step then)."""
    sos = dsp.k_weighting_sos(rate)
    steps = control_store(source, np.float64)
    hops, state = [], None
    for start, block in source.blocks():
        weighted, state = dsp.filter_sos_block(sos, block, state, rate)
        if gain is not None:
            weighted = weighted * gain_at_audio_rate(gain, start // dsp.CONTROL_STEP, len(block))
        step_sums, hop_sums = dsp.sums_of_squares(weighted, rate, per_step=gain is None)
        if gain is None:
            steps.append(step_sums)
        hops.append(hop_sums)
    return steps, dsp.block_mean_squares(np.concatenate(hops) if hops else np.zeros(0), rate)


def sample_peaks(source: SampleStore) -> SampleStore:
    """The highest absolute sample of each control step."""
    peaks = control_store(source)
    for _, block in source.blocks():
        peaks.append(dsp.control_max(np.abs(block)))
    return peaks


def _points_in_block(
    source: SampleStore, runs: dsp.RunsWithin, first_step: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """:func:`dsp.points_between_samples` for runs of CONTROL_STEP samples within the block of
    ``source`` that starts at step ``first_step`` (``runs``: their indices within the block),
    read with the samples within the interpolator's reach."""
    start = first_step * dsp.CONTROL_STEP
    stop = min(start + source.block, source.length)
    window = source.read(start - dsp.INTERPOLATOR_REACH, stop + dsp.INTERPOLATOR_REACH + dsp.CONTROL_STEP)
    for batch, points in dsp.points_between_samples(window, runs.indices, runs.loudest, stop - start):
        yield batch + first_step, points


def _runs_in_block(
    peaks_of_samples: SampleStore, start: int, stop: int, level: float, done_level: float
) -> dsp.RunsWithin:
    """:func:`dsp._runs_to_interpolate` for the steps ``start`` to ``stop`` (indices within them).
    As there, the first step's neighbour before it is the last step, and the other way round."""
    around = peaks_of_samples.read(start - 1, stop + 1).copy()
    length = peaks_of_samples.length
    if start == 0:
        around[0] = peaks_of_samples.read(length - 1, length)[0]
    if stop == length:
        around[-1] = peaks_of_samples.read(0, 1)[0]
    own = around[1:-1]
    neighbourhood = np.maximum(own, np.maximum(around[:-2], around[2:]))
    return dsp.RunsWithin.of(neighbourhood, level, done_level)


def _raised(source: SampleStore, run_peaks: SampleStore, peaks_of_samples: SampleStore, level: float,
            done_level: float) -> SampleStore:  # fmt: skip
    """:func:`dsp._with_points_between` a block at a time: ``run_peaks`` raised, in the runs
    that could reach ``level`` but not ``done_level``, to the highest point between samples."""
    raised = SampleStore(run_peaks.block, run_peaks.dtype)
    for start, stop in _spans(run_peaks):
        block = run_peaks.read(start, stop)
        runs = _runs_in_block(peaks_of_samples, start, stop, level, done_level)
        if runs.indices.size:
            block = block.copy()
            for batch, points in _points_in_block(source, runs, start):
                block[batch - start] = np.maximum(block[batch - start], points)
        raised.append(block)
    return raised


def widened(store: SampleStore, size: int) -> SampleStore:
    """:func:`dsp.widen` of a stored control signal, a block at a time."""
    read = _filtered_reader(store.nearest, store.length, dsp.widen, size)
    out = SampleStore(store.block, store.dtype)
    for start, stop in _spans(store):
        out.append(read(start, stop))
    return out


@dataclass
class Envelope:
    """:class:`dsp.PeakEnvelope` with its control-rate arrays in stores (in temporary files
    when long), so that a long signal's envelope takes no memory of its own."""

    peaks: SampleStore  # highest true peak in each control step
    held: SampleStore  # the same, held over the look-ahead window
    window: int
    floor: float
    sample_peaks: SampleStore  # highest sample in each control step
    loudest: float  # the highest of them
    level: float  # runs that could reach this level are oversampled

    def covers(self, gain_db: float, lowest_ceiling_db: float) -> bool:
        """Whether a limiter at ``gain_db`` whose ceiling goes down to ``lowest_ceiling_db`` can use it."""
        return dsp.envelope_covers(self.floor, gain_db, lowest_ceiling_db)


def envelope(source: SampleStore, rate: int, floor: float = 0.0, extending: Envelope | None = None) -> Envelope:
    """:func:`dsp.peak_envelope` over a store, a block at a time (given the envelope of the same
    samples at a higher floor, only the runs that one left out are oversampled)."""
    if extending is None:
        peaks_of_samples = sample_peaks(source)
        loudest = peaks_of_samples.max() if peaks_of_samples.length else None
        known, done_level = peaks_of_samples, math.inf
    else:
        peaks_of_samples, loudest = extending.sample_peaks, extending.loudest
        known, done_level = extending.peaks, extending.level
    level = dsp.interpolation_level(loudest, floor)
    peaks = _raised(source, known, peaks_of_samples, level, done_level)
    window = dsp.lookahead_window(rate)
    held = widened(peaks, window)
    if extending is not None:
        extending.peaks.close()
        extending.held.close()
    return Envelope(peaks, held, window, floor, peaks_of_samples, loudest or 0.0, min(level, done_level))


@dataclass
class Limited:
    """A limiter's gain curve (in a control-rate store), the true peak it leaves (dBTP) and the
    loudness of the signal under it (LUFS)."""

    curve: SampleStore
    true_peak: float
    loudness: float


class Ceiling:
    """A limiter's ceiling as amplitude: ``ceiling_db`` less ``cuts`` (dB per control step, or
    none), as :func:`dsp.ceiling_amplitude` gives it, worked out once for every gain a search
    tries (in a control-rate store when there are cuts)."""

    def __init__(self, ceiling_db: float, cuts: SampleStore | None = None) -> None:
        self.single = dsp.ceiling_amplitude(ceiling_db) if cuts is None else None
        self.amplitudes: SampleStore | None = None
        if cuts is not None:
            self.amplitudes = SampleStore(cuts.block)
            for _, block in cuts.blocks():
                self.amplitudes.append(dsp.ceiling_amplitude(ceiling_db + block))

    def read(self, start: int, stop: int) -> np.ndarray:
        """The ceiling for control steps ``start`` to ``stop`` (a single ceiling: one value)."""
        if self.amplitudes is None:
            assert self.single is not None
            return self.single
        return self.amplitudes.nearest(start, stop)

    def close(self) -> None:
        """Release the stored amplitudes, if any."""
        if self.amplitudes is not None:
            self.amplitudes.close()


def limited(
    peak_envelope: Envelope,
    energies: SampleStore,
    rate: int,
    gain_db: float,
    ceiling_db: float | Ceiling,
    cuts: SampleStore | None = None,
) -> Limited:
    """:func:`dsp.limiter_gain` and :func:`dsp.gained_loudness` in one pass, a block of control
    steps at a time: the limiter at ``gain_db`` under ``ceiling_db`` less ``cuts`` (dB per
    step; or under a :class:`Ceiling` worked out already). Every step's gain is the whole
    signal's: the minimum over the look-ahead is taken with its reach either side, and the
    running mean's sum runs on from block to block."""
    ceiling = ceiling_db if isinstance(ceiling_db, Ceiling) else Ceiling(ceiling_db, cuts)
    scale = 10 ** (gain_db / 20)
    held, window = peak_envelope.held, peak_envelope.window

    last: list[tuple[int, int, np.ndarray]] = []  # the needed gain last worked out, and where

    def needed(start: int, stop: int) -> np.ndarray:
        # The minimum over the look-ahead reads a window around each block: the block's own
        # values are taken from it rather than worked out again.
        if last and last[0][0] <= start and stop <= last[0][1]:
            first, _, values = last[0]
            return values[start - first : stop - first]
        values = dsp.needed_gain(held.nearest(start, stop), scale, ceiling.read(start, stop))
        last[:] = [(start, stop, values)]
        return values

    smoothed = RunningMean(_filtered_reader(needed, held.length, dsp.narrowest, window), window)
    curve = SampleStore(held.block)
    hop = round(dsp.HOP_SECONDS * rate)
    hops_in_signal = held.length * dsp.CONTROL_STEP // hop
    top, hop_sums = 0.0, []
    for start, stop in _spans(held):
        values = smoothed.values(start, stop)
        np.minimum(values, needed(start, stop), out=values)
        values *= scale
        if stop > start:
            top = max(top, float(np.max(peak_envelope.peaks.read(start, stop) * values)))
        first_hop = start * dsp.CONTROL_STEP // hop
        last_hop = min(-(-stop * dsp.CONTROL_STEP // hop), hops_in_signal)
        hop_sums.append(dsp.gained_hop_sums_part(energies.read(start, stop), values, start, first_hop, last_hop, hop))
        curve = _with(curve, values)
    sums = np.concatenate(hop_sums) if hop_sums else np.zeros(0)
    loudness = dsp.integrated_loudness(dsp.block_mean_squares(sums, rate))
    if ceiling is not ceiling_db:
        ceiling.close()
    return Limited(curve, 20 * math.log10(top) if top > 0 else -math.inf, loudness)


def _with(store: SampleStore, values: np.ndarray) -> SampleStore:
    """``store`` with ``values`` appended, keeping their dtype (the limiter's curve is double
    precision under one ceiling, single under a ceiling per step, as :func:`dsp.limiter_gain`'s)."""
    if store.length == 0 and store.dtype != values.dtype:
        store = SampleStore(store.block, values.dtype)
    store.append(values)
    return store


def true_peaks(source: SampleStore, floor: float = 0.0) -> SampleStore:
    """:func:`dsp.true_peaks` over a store, a block at a time, into a control-rate store."""
    peaks_of_samples = sample_peaks(source)
    level = dsp.interpolation_level(peaks_of_samples.max() if peaks_of_samples.length else None, floor)
    peaks = _raised(source, peaks_of_samples, peaks_of_samples, level, math.inf)
    peaks_of_samples.close()
    return peaks


def from_step(store: SampleStore, first: int) -> SampleStore:
    """The values of ``store`` from index ``first`` on, in a store of their own."""
    out = SampleStore(store.block, store.dtype)
    for start in range(first, store.length, store.block):
        out.append(store.read(start, min(start + store.block, store.length)))
    return out


def pcm_blocks(blocks: Iterable[np.ndarray]) -> Iterator[bytes]:
    """16-bit PCM of each block (see :func:`dsp.to_pcm`)."""
    for block in blocks:
        yield dsp.to_pcm(block)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        function: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return function


def release_freed_memory(store: SampleStore) -> None:
    """Give memory freed since the last call back to the system, for audio too long for one
    block. Workers keep freed memory for reuse (see ``WORKER_ENVIRONMENT`` in
    :mod:`pipeline.build.workers`), which saves time on short segments; on a long one the
    retained and fragmented heap would add about as much again as the audio work itself
    needs (measured on a 62-minute segment: 495 MB peak without, see the README)."""
    trim = _malloc_trim()
    if trim is not None and not store.in_memory:
        trim(0)
