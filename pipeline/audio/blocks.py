"""Audio of any length in bounded memory: samples kept in blocks, processed a block at a time.

Entry points: :class:`SampleStore` (mono float32 samples, in memory while
short, in an unnamed temporary file beyond :data:`BLOCK_SECONDS`, read back
block by block or as any window), and the streaming forms of the levelling
steps in :mod:`pipeline.audio.dsp`: :func:`filtered` (a profile's filters,
their states carried from block to block), :func:`weighted_measures` (K-weighted
sums per control step and per 100 ms hop, and sample peaks per step),
:func:`envelope` (the limiter's true-peak envelope), :func:`true_peaks` and
:func:`gained_blocks` (the signal times an audio-rate gain, block by block).

Everything that is done per sample is done per block; what is kept for the
whole signal is at control rate (one value per CONTROL_STEP samples) or
coarser. Blocks are whole numbers of control steps and of 100 ms hops, and
every filter carries its state across them, so a signal that fits in one
block is processed exactly as the whole-array functions process it: files
of ordinary segments are unchanged, and a longer one gives the same bytes
and measurements as it would in one block (tested with a dozen blocks
against one). Memory grows only with the control-rate data (measured in the
README's reliability section).
"""

from __future__ import annotations

import ctypes
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np

from pipeline.audio import dsp
from pipeline.project.station import AudioFilter

BLOCK_SECONDS = 96.0  # at most this much audio is held per array; ordinary segments fit in one block


def block_samples(rate: int) -> int:
    """Samples per block at ``rate``: about BLOCK_SECONDS, a whole number of control steps and of
    100 ms hops (so per-step and per-hop sums never straddle two blocks)."""
    hop = round(dsp.HOP_SECONDS * rate)
    unit = math.lcm(hop, dsp.CONTROL_STEP)
    return max(1, round(BLOCK_SECONDS * rate / unit)) * unit


class SampleStore:
    """Mono float32 samples appended in pieces of any size; read back in blocks of ``block``
    samples or as windows. Up to one block stays in memory; beyond that the samples go to an
    unnamed temporary file (gone when the store is closed or the process ends)."""

    def __init__(self, block: int) -> None:
        self.block = block
        self.length = 0
        self._pending: list[np.ndarray] = []
        self._pending_length = 0
        self._file: Any = None

    @classmethod
    def of(cls, samples: np.ndarray, block: int) -> SampleStore:
        """A store holding ``samples``."""
        store = cls(block)
        store.append(samples)
        return store

    def append(self, samples: np.ndarray) -> None:
        """Add samples at the end."""
        samples = np.ascontiguousarray(samples, dtype=np.float32)
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
            joined = np.concatenate(self._pending) if self._pending else np.zeros(0, dtype=np.float32)
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
            return np.zeros(max(stop - start, 0), dtype=np.float32)
        if self.in_memory:
            inside = self.array()[inside_start:inside_stop]
        else:
            self._spill()
            self._file.seek(inside_start * 4)
            inside = np.frombuffer(self._file.read((inside_stop - inside_start) * 4), dtype=np.float32)
        if inside_start == start and inside_stop == stop:
            return inside
        return np.pad(inside, (inside_start - start, stop - inside_stop))

    def close(self) -> None:
        """Release the temporary file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _new_like(store: SampleStore) -> SampleStore:
    return SampleStore(store.block)


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
            current, sections = _sos_filtered(np.vstack(sections), current), []
        if item.kind == "compressor":
            current = _compressed(current, rate, item)
    return _sos_filtered(np.vstack(sections), current) if sections else current


def _sos_filtered(sos: np.ndarray, source: SampleStore) -> SampleStore:
    out = _new_like(source)
    for block in _sos_blocks(sos, source):
        out.append(block)
    return out


def _sos_blocks(sos: np.ndarray, source: SampleStore) -> Iterator[np.ndarray]:
    """``source`` through second-order sections, block by block, the filter state carried over."""
    state = None
    for _, block in source.blocks():
        output, state = dsp.filter_sos_block(sos, block, state)
        yield output


def _compressed(source: SampleStore, rate: int, item: AudioFilter) -> SampleStore:
    parts = [dsp.control_mean(block * block) for _, block in source.blocks()]
    mean_squares = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    gain = dsp.compressor_gain(mean_squares.astype(np.float32), rate, **dsp.compressor_settings(item))
    out = _new_like(source)
    for block in gained_blocks(source, gain):
        out.append(block)
    return out


def gained_blocks(source: SampleStore, control: np.ndarray) -> Iterator[np.ndarray]:
    """Each block of ``source`` times the control-rate gain ``control`` at audio rate
    (:func:`dsp.audio_rate_gain`, computed for one block's steps at a time)."""
    for start, block in source.blocks():
        yield block * dsp.audio_rate_gain_part(control, start // dsp.CONTROL_STEP, len(block))


def weighted_measures(source: SampleStore, rate: int, gain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The K-weighted signal's sums of squares per control step and mean squares per 400 ms
    gating block (see :func:`dsp.mean_square_blocks`), with the K-weighting's state carried
    from block to block; with ``gain`` (control rate), of the weighted signal times that gain
    at audio rate, as :class:`pipeline.audio.level.Leveller` measures a rendering."""
    sos = dsp.k_weighting_sos(rate)
    steps, hops, state = [], [], None
    for start, block in source.blocks():
        weighted, state = dsp.filter_sos_block(sos, block, state)
        if gain is not None:
            weighted = weighted * dsp.audio_rate_gain_part(gain, start // dsp.CONTROL_STEP, len(block))
        else:
            steps.append(dsp.step_energies(weighted))
        hops.append(dsp.hop_sums(weighted, rate))
    step_sums = np.concatenate(steps) if steps else np.zeros(0)
    return step_sums, dsp.block_mean_squares(np.concatenate(hops) if hops else np.zeros(0), rate)


def sample_peaks(source: SampleStore) -> np.ndarray:
    """The highest absolute sample of each control step."""
    peaks = [dsp.control_max(np.abs(block)) for _, block in source.blocks()]
    return np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.float32)


def points_between(source: SampleStore, runs: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """:func:`dsp.points_between_samples` over a store: the given runs of CONTROL_STEP samples,
    a block's runs at a time, each read with the samples within the interpolator's reach."""
    per_block = source.block // dsp.CONTROL_STEP
    for first in range(0, (source.length + dsp.CONTROL_STEP - 1) // dsp.CONTROL_STEP, per_block):
        chosen = runs[(runs >= first) & (runs < first + per_block)]
        if chosen.size == 0:
            continue
        start = first * dsp.CONTROL_STEP
        stop = min(start + source.block, source.length)
        window = source.read(start - dsp.INTERPOLATOR_REACH, stop + dsp.INTERPOLATOR_REACH + dsp.CONTROL_STEP)
        for batch, points in dsp.points_between_samples(window, chosen - first, stop - start):
            yield batch + first, points


def envelope(
    source: SampleStore,
    rate: int,
    floor: float = 0.0,
    extending: dsp.PeakEnvelope | None = None,
    peaks_of_samples: np.ndarray | None = None,
) -> dsp.PeakEnvelope:
    """:func:`dsp.peak_envelope` over a store (``peaks_of_samples``: its :func:`sample_peaks`,
    when already known)."""
    if extending is None:
        peaks_of_samples = sample_peaks(source) if peaks_of_samples is None else peaks_of_samples
        return dsp.envelope_from(peaks_of_samples, peaks_of_samples, math.inf, floor, rate, source.length,
                                 lambda runs: points_between(source, runs))  # fmt: skip
    return dsp.envelope_from(extending.sample_peaks, extending.peaks, extending.level, floor, rate, source.length,
                             lambda runs: points_between(source, runs))  # fmt: skip


def true_peaks(source: SampleStore, floor: float = 0.0) -> np.ndarray:
    """:func:`dsp.true_peaks` over a store."""
    peaks = sample_peaks(source)
    return dsp.raise_to_points(peaks, floor, lambda runs: points_between(source, runs))


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
