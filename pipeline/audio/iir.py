"""Second-order-section (IIR) filters for the build's workers, without importing scipy.signal.

Entry points: :func:`butterworth` (a profile's Butterworth high- or low-pass
designed for a sample rate) and :func:`sosfilt` (a signal through second-order
sections, the filter's state carried in and out: scipy's compiled kernel, or
for single-precision audio given in chunks :func:`chunked_sosfilt`, the same
cascade as matrix products over rows of samples, twice as fast).

Why not simply ``scipy.signal``: importing it costs 0.24 s of CPU on top of
numpy, and scipy.ndimage 0.16 s more (``python -X importtime``, 2-core EPYC,
scipy 1.15.3), which every build paid once in its worker server before the
first job could start, while the workers use only two things of it: the
Butterworth designs (0.3 ms each) and the compiled section filter.

- :func:`butterworth` is ``scipy.signal.butter(order, cutoff, kind, fs=rate,
  output="sos")`` for even orders: the same analogue prototype, frequency
  transform and bilinear transform, computed with the same numpy operations
  (less those whose result is exact whatever the input: a product over no
  zeros, a gain of one, a zero mapped from 0 to 1),
  and the same sections (conjugate poles paired, the pair nearest the unit
  circle last, the gain in the first), so the same bits; the tests compare
  them over orders, cut-offs and rates. Elliptic designs (a radio profile's
  band limit) still come from scipy.signal, imported by the worker that needs one.
- :func:`sosfilt` runs scipy's compiled kernel (``scipy/signal/_sosfilt``),
  loaded by its file name so that the package's ``__init__`` (and with it
  scipy.stats, scipy.interpolate, scipy.linalg) is not imported; it is
  registered under its own name, so a later ``import scipy.signal`` uses the
  same module. Where a scipy release has moved it, ``scipy.signal.sosfilt``.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray], None]
_KERNEL_MODULE = "scipy.signal._sosfilt"


def butterworth(order: int, cutoff: float, kind: str, rate: float) -> np.ndarray:
    """Second-order sections (rows of b0 b1 b2 a0 a1 a2) of a digital Butterworth ``kind``
    ("lowpass" or "highpass") of even ``order`` with its -3 dB point at ``cutoff`` Hz."""
    if order < 2 or order % 2:
        raise ValueError(f"a Butterworth design here has an even order, not {order}")
    if kind not in ("lowpass", "highpass"):
        raise ValueError(f"not a Butterworth kind: {kind}")
    if not 0 < cutoff < rate / 2:
        raise ValueError(f"cut-off {cutoff} Hz is not between 0 and half of {rate} Hz")
    poles, zero, gain = _digital_zpk(order, cutoff, kind, float(rate))
    return _sections(poles, zero, gain)


def _digital_zpk(order: int, cutoff: float, kind: str, rate: float) -> tuple[np.ndarray, complex, float]:
    """The digital filter's poles, its one zero (of multiplicity ``order``) and its gain."""
    normalised = np.asarray(cutoff) / (rate / 2)  # of the Nyquist frequency
    warped = float(4.0 * np.tan(np.pi * normalised / 2.0))  # pre-warped for the bilinear map (rate 2)
    prototype = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))  # cut-off 1 rad/s
    if kind == "lowpass":  # analogue zeros: none; digital ones at -1
        poles, zero = warped * prototype, -1.0
        gain = warped**order * np.real(1.0 / np.prod(4.0 - poles))
    else:  # analogue zeros at 0; digital ones at +1
        poles, zero = warped / prototype, 1.0
        gain = np.real(1.0 / np.prod(-prototype)) * np.real(4.0**order / np.prod(4.0 - poles))
    return (4.0 + poles) / (4.0 - poles), complex(zero), float(gain)


def _sections(poles: np.ndarray, zero: complex, gain: float) -> np.ndarray:
    """One section per conjugate pair of poles (with two of the zeros), filled from the last:
    each takes the remaining pair nearest the unit circle; the gain goes into the first."""
    remaining = poles[poles.imag > 0]
    sections = np.zeros((len(remaining), 6))
    numerator = np.poly(np.array([zero, zero]))
    for index in range(len(sections) - 1, -1, -1):
        nearest = int(np.argmin(np.abs(1 - np.abs(remaining))))
        pole = remaining[nearest]
        remaining = np.delete(remaining, nearest)
        sections[index, :3] = numerator
        sections[index, 3:] = np.poly(np.array([pole, pole.conj()]))
    sections[0][:3] *= gain
    return sections


def sosfilt(
    sos: np.ndarray,
    samples: np.ndarray,
    state: np.ndarray | None = None,
    *,
    in_place: bool = False,
    chunk: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` (1-D, float32 or float64) through ``sos`` in their precision, from ``state``
    (sections × 2; None: at rest): the output and the state after the last sample, as
    ``scipy.signal.sosfilt(sos, samples, zi=state)`` gives them. ``samples`` is left as it
    was, unless ``in_place`` (a contiguous array of the caller's own): then it is the output,
    which spares a copy of the signal.

    With ``chunk`` (a multiple of :data:`ROW`), float32 samples go through
    :func:`chunked_sosfilt` instead where it serves the cascade (see there): the same filter,
    twice as fast, its state carried in float64."""
    if chunk is not None and samples.dtype == np.float32 and samples.ndim == 1:
        design = _chunked_design(np.ascontiguousarray(sos, dtype=np.float64))
        if design is not None:
            return chunked_sosfilt(design, samples, state, chunk)
    dtype = samples.dtype
    zi = np.zeros((1, len(sos), 2), dtype=dtype)
    if state is not None:
        zi[0] = state
    kernel = _kernel()
    if kernel is None:
        filtered, zi_out = _scipy_signal().sosfilt(sos.astype(dtype), samples, zi=zi[0])
        return filtered, zi_out
    rows = (
        samples.reshape(1, -1)
        if in_place and samples.flags.c_contiguous
        else np.array(samples, order="C").reshape(1, -1)
    )
    kernel(np.ascontiguousarray(sos, dtype=dtype), rows, zi)
    return rows[0], zi[0]


def load_kernel() -> None:
    """Load scipy's section filter now (a worker server does, before it forks its workers)."""
    _kernel()


@functools.cache
def _kernel() -> Kernel | None:
    """scipy's compiled section filter, ``kernel(sos, x, zi)`` filtering the rows of ``x`` in
    place (``zi``: rows × sections × 2, updated), or None where it cannot be found."""
    module = sys.modules.get(_KERNEL_MODULE) or _load_kernel_module()
    kernel = getattr(module, "_sosfilt", None) if module is not None else None
    return kernel if callable(kernel) else None


def _load_kernel_module() -> Any:
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "signal"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"_sosfilt{suffix}"
        if path.is_file():
            return _load_extension(path)
    return None


def _load_extension(path: Path) -> Any:
    kernel_spec = importlib.util.spec_from_file_location(_KERNEL_MODULE, path)
    if kernel_spec is None or kernel_spec.loader is None:
        return None
    module = importlib.util.module_from_spec(kernel_spec)
    sys.modules[_KERNEL_MODULE] = module
    try:
        kernel_spec.loader.exec_module(module)
    except ImportError:
        del sys.modules[_KERNEL_MODULE]
        return None
    return module


def _scipy_signal() -> Any:
    import scipy.signal

    return scipy.signal


# The chunked section filter (see chunked_sosfilt).
ROW = 64  # samples per row: each row's output is a product of its samples, and of its start state
_CARRIED_COLUMNS = 8  # a carried state: scipy's zi, the row recurrence's zi (two components), its last input
MAX_CHUNKED_SECTIONS = 3  # beyond, the row-state recurrences cost more than scipy's kernel saves
CHUNKED_TOLERANCE = 2e-5  # a design is used only when its error, against a float64 filter, is this small


@dataclass(frozen=True)
class ChunkedDesign:
    """A cascade of second-order sections as matrices over rows of :data:`ROW` samples.

    The cascade is a state-space filter whose state is every section's scipy ``zi`` in turn.
    A row's output is its zero-state response (its samples times ``impulse``, a triangular
    Toeplitz matrix of the impulse response) plus the response to the state at the row's start
    (that state times ``from_state``). The states
    at the rows' starts follow s[k+1] = M s[k] + u[k], with u = the row's samples times
    ``inflow`` and M the cascade's matrix to the power ROW, which is block lower-triangular (one
    2 × 2 block a section, fed by the sections before it: ``feeds``). Each section's 2-state
    recurrence is, by Cayley-Hamilton, a second-order recurrence per component (denominator
    ``row_sections``: the section's poles to the power ROW) of its input mixed by ``mixing``
    (M's block less its trace), run by scipy's kernel over the rows, in float64."""

    sos: np.ndarray  # the cascade (float64, a0 = 1), for the last samples of a signal
    impulse: np.ndarray  # float32, ROW × ROW: the zero-state response, transposed
    from_state: np.ndarray  # float32, states × ROW: the response to the state at the row's start
    inflow: np.ndarray  # float32, ROW × states
    feeds: tuple[np.ndarray, ...]  # per section: 2 × (states of the sections before it)
    mixing: tuple[np.ndarray, ...]  # per section: 2 × 2
    row_sections: tuple[np.ndarray, ...]  # per section: one row b0 b1 b2 a0 a1 a2 over rows

    @property
    def states(self) -> int:
        return self.inflow.shape[1]


def chunked_sosfilt(
    design: ChunkedDesign, samples: np.ndarray, state: np.ndarray | None, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` (float32) through the cascade of ``design``, from ``state`` (None: at rest;
    sections × 2: scipy's ``zi``; or what an earlier call returned): the float32 output and the
    float64 state after the last sample, scipy's ``zi`` in its first two columns (a signal that
    ends mid-row: only those), then what carries the row recurrences on.

    Why: scipy's kernel runs a sample at a time, each section waiting on its own previous
    output (6.7-7.1 ns a sample for one to four sections on a 2-core EPYC, whatever their
    number); a build runs three such passes over every sample it makes (the profile's filters,
    the K-weighting of the levelled audio and of the decoded file). Here the rows' states come
    from recurrences over rows (a 64th of the samples) and every output from BLAS products:
    3.5-3.7 ns a sample for the K-weighting, a high-pass or a high- and low-pass (2.1 M samples
    of noise, best of 5), with an error against a float64 filter of about 2e-6 where scipy's
    float32 kernel errs by 1e-5 to 1e-4 (its state is single precision); rows of 32 samples
    took 3.8 ns, of 128 samples 4.4 ns.

    The products are made ``chunk`` samples at a time, each of the same shape, so that a
    sample's output never depends on how many others were computed with it (a BLAS product's
    rounding can change with its shape); a longer signal given in blocks that are multiples of
    ``chunk`` therefore gets the bits it gets at once. The last few samples (fewer than a row)
    go through scipy's kernel in float64. The bits may differ from processor to processor, as
    BLAS kernels do; never from run to run on one.
    """
    rows, tail = divmod(len(samples), ROW)
    per_chunk = chunk // ROW
    start = np.zeros((design.states // 2, 2)) if state is None else np.asarray(state, dtype=np.float64)
    if rows == 0:
        return _kernel_tail(design, samples, start[:, :2])
    by_row = np.ascontiguousarray(samples[: rows * ROW], dtype=np.float32).reshape(rows, ROW)
    inflow = np.empty((rows, design.states), dtype=np.float32)
    for first in range(0, rows, per_chunk):
        np.matmul(by_row[first : first + per_chunk], design.inflow, out=inflow[first : first + per_chunk])
    row_states, end = _row_states(design, np.ascontiguousarray(inflow.T, dtype=np.float64), start)
    starts = np.ascontiguousarray(row_states.T, dtype=np.float32)
    output = np.empty(len(samples), dtype=np.float32)
    out_rows = output[: rows * ROW].reshape(rows, ROW)
    for first in range(0, rows, per_chunk):
        chunk_rows = slice(first, first + per_chunk)
        np.matmul(by_row[chunk_rows], design.impulse, out=out_rows[chunk_rows])
        out_rows[chunk_rows] += starts[chunk_rows] @ design.from_state
    if tail:
        output[rows * ROW :], end = _kernel_tail(design, samples[rows * ROW :], end[:, :2])
    return output, end


def _row_states(design: ChunkedDesign, inflow: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The state at the start of every row (states × rows) and what carries the recurrences on
    (sections × 8: see :func:`chunked_sosfilt`), section by section.

    x[k+1] = R x[k] + v[k] (v: the row's inflow plus what the sections before feed in) is the
    recurrence 1 / (1 - tr R z^-1 + det R z^-2) run on e + (R - tr R) e delayed a row, where
    e is v; from a bare state x[0] (scipy's ``zi``: two columns), e is x[0] followed by v, and
    the recurrence starts at rest; a carried one (eight columns) holds x, the recurrence's own
    state and the last e, so that it goes on exactly as if it had never stopped."""
    kernel = _kernel()
    assert kernel is not None  # a chunked design is only made where the kernel is found
    count = inflow.shape[1]
    carried = start.shape[1] == _CARRIED_COLUMNS
    states = np.empty((design.states, count))
    carry = np.empty((len(design.row_sections), _CARRIED_COLUMNS))
    for section, (feeds, mixing, row_section) in enumerate(
        zip(design.feeds, design.mixing, design.row_sections, strict=True)
    ):
        low = 2 * section
        driven = inflow[low : low + 2].copy()
        for row, weights in enumerate(feeds):
            for earlier, weight in enumerate(weights):
                if weight:
                    driven[row] += weight * states[earlier]
        if carried:
            zi, before = start[section, 2:6].reshape(2, 1, 2).copy(), start[section, 6:]
            sequence = driven
        else:
            zi, before = np.zeros((2, 1, 2)), np.zeros(2)
            sequence = np.concatenate([start[section, :2, None], driven], axis=1)
        mixed = sequence.copy()
        for row in range(2):
            mixed[row, 0] += mixing[row, 0] * before[0] + mixing[row, 1] * before[1]
            for column in range(2):
                mixed[row, 1:] += mixing[row, column] * sequence[column, :-1]
        kernel(row_section, mixed, zi)
        if carried:  # the first row starts from the carried state; the recurrence gives the rest
            states[low : low + 2, 0] = start[section, :2]
            states[low : low + 2, 1:] = mixed[:, :-1]
        else:
            states[low : low + 2] = mixed[:, :-1]
        carry[section] = np.concatenate([mixed[:, -1], zi.ravel(), sequence[:, -1]])
    return states, carry


def _kernel_tail(design: ChunkedDesign, samples: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The last samples (fewer than a row) through the cascade with scipy's kernel, in float64,
    from ``state`` (scipy's zi); the output and the state after them."""
    output, after = sosfilt(design.sos, samples.astype(np.float64), state)
    return output.astype(np.float32), after


def _chunked_design(sos: np.ndarray) -> ChunkedDesign | None:
    """The chunked design of ``sos`` (made once per cascade), or None where it does not serve:
    more than MAX_CHUNKED_SECTIONS sections, no compiled kernel, or an error over
    CHUNKED_TOLERANCE on a test signal."""
    return _design_of(sos.tobytes(), sos.shape)


@functools.lru_cache(maxsize=64)
def _design_of(sos_bytes: bytes, shape: tuple[int, ...]) -> ChunkedDesign | None:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(shape)
    if not 0 < len(sos) <= MAX_CHUNKED_SECTIONS or _kernel() is None or not np.all(sos[:, 3]):
        return None
    sos = sos / sos[:, 3:4]
    design = _design(sos)
    return design if design is not None and _accurate(design) else None


def _design(sos: np.ndarray) -> ChunkedDesign | None:
    """The matrices of :class:`ChunkedDesign` for normalised sections (None if not finite)."""
    transition, inflow, outflow, through = _state_space(sos)
    size = len(transition)
    powers = [np.eye(size)]
    for _ in range(ROW):
        powers.append(transition @ powers[-1])
    impulse = np.array([through] + [outflow @ powers[j - 1] @ inflow for j in range(1, ROW)])
    toeplitz = np.zeros((ROW, ROW))
    for row in range(ROW):
        toeplitz[row, : row + 1] = impulse[row::-1]
    from_state = np.stack([outflow @ powers[j] for j in range(ROW)])  # ROW × states
    row_inflow = np.stack([powers[ROW - 1 - j] @ inflow for j in range(ROW)])  # ROW × states
    step = powers[ROW]
    blocks = [step[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] for i in range(size // 2)]
    matrices = [toeplitz, from_state, row_inflow, step]
    if not all(np.all(np.isfinite(matrix)) for matrix in matrices):
        return None
    return ChunkedDesign(
        sos=sos,
        impulse=np.ascontiguousarray(toeplitz.T, dtype=np.float32),
        from_state=np.ascontiguousarray(from_state.T, dtype=np.float32),
        inflow=row_inflow.astype(np.float32),
        feeds=tuple(step[2 * i : 2 * i + 2, : 2 * i] for i in range(size // 2)),
        mixing=tuple(block - np.trace(block) * np.eye(2) for block in blocks),
        row_sections=tuple(
            np.array([[1.0, 0.0, 0.0, 1.0, -np.trace(block), np.linalg.det(block)]]) for block in blocks
        ),
    )


def _state_space(sos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The cascade as x' = A x + B u, y = C x + D u, its state every section's scipy ``zi``
    (transposed direct form II: y = b0 u + z0, z0' = b1 u - a1 y + z1, z1' = b2 u - a2 y)."""
    transition, inflow, outflow, through = np.zeros((0, 0)), np.zeros(0), np.zeros(0), 1.0
    for b0, b1, b2, _, a1, a2 in sos:
        section = np.array([[-a1, 1.0], [-a2, 0.0]])
        section_inflow = np.array([b1 - a1 * b0, b2 - a2 * b0])
        size = len(transition)
        grown = np.zeros((size + 2, size + 2))
        grown[:size, :size] = transition
        grown[size:, :size] = np.outer(section_inflow, outflow)
        grown[size:, size:] = section
        transition = grown
        inflow = np.concatenate([inflow, section_inflow * through])
        outflow = np.concatenate([b0 * outflow, [1.0, 0.0]])
        through = b0 * through
    return transition, inflow, outflow, float(through)


def _accurate(design: ChunkedDesign) -> bool:
    """Whether the design filters a test signal (noise, then silence, from a random state)
    within CHUNKED_TOLERANCE of scipy's kernel in float64."""
    generator = np.random.default_rng(1770)
    signal = np.concatenate([generator.standard_normal(4 * 4096), np.zeros(4096)]).astype(np.float32)
    state = generator.standard_normal((design.states // 2, 2))
    output, end = chunked_sosfilt(design, signal, state, 4096)
    reference, reference_end = sosfilt(design.sos, signal.astype(np.float64), state)
    scale = max(float(np.abs(reference).max()), 1.0)
    return bool(
        np.abs(output - reference).max() <= CHUNKED_TOLERANCE * scale
        and np.abs(end[:, :2] - reference_end).max() <= CHUNKED_TOLERANCE * scale
    )
