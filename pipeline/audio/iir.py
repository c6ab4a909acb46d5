"""Second-order-section (IIR) filters for the build's workers, without importing scipy.signal.

Entry points: :func:`butterworth` (a profile's Butterworth high- or low-pass
designed for a sample rate) and :func:`sosfilt` (a signal through second-order
sections, the filter's state carried in and out).

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
    sos: np.ndarray, samples: np.ndarray, state: np.ndarray | None = None, *, in_place: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` (1-D, float32 or float64) through ``sos`` in their precision, from ``state``
    (sections × 2; None: at rest): the output and the state after the last sample, as
    ``scipy.signal.sosfilt(sos, samples, zi=state)`` gives them. ``samples`` is left as it
    was, unless ``in_place`` (a contiguous array of the caller's own): then it is the output,
    which spares a copy of the signal."""
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
