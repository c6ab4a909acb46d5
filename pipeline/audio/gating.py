"""The gate of BS.1770 integrated loudness, in plain Python: the loudness of blocks already measured.

Entry point: :func:`gated_loudness`. :mod:`pipeline.audio.dsp` measures the
gating blocks with numpy and gates them with the same constants; the build's
own process, which only adds up the stored blocks of the segments it joins
into an episode file, uses this module so that it never imports numpy (0.06 s
of CPU, more than a whole episode's gating: a few thousand numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
SILENT_LUFS = -70.0
LOUDNESS_OFFSET = -0.691  # BS.1770: LUFS = -0.691 + 10 log10(mean square of the K-weighted signal)


def gated_loudness(blocks: Sequence[float]) -> float:
    """Gated integrated loudness in LUFS of the blocks' mean squares (silence: -70), as
    :func:`pipeline.audio.dsp.integrated_loudness` gives it. The means are summed exactly
    (``math.fsum``) where numpy sums pairwise: the two differ by a few parts in 10^16."""
    loud = _above(blocks, ABSOLUTE_GATE_LUFS)
    if not loud:
        return SILENT_LUFS
    relative_gate = _lufs(math.fsum(loud) / len(loud)) + RELATIVE_GATE_LU
    gated = loud if relative_gate <= ABSOLUTE_GATE_LUFS else _above(loud, relative_gate)
    return _lufs(math.fsum(gated) / len(gated))


def _above(blocks: Sequence[float], gate: float) -> list[float]:
    """The blocks louder than ``gate`` LUFS (a silent block, mean square 0, never is)."""
    return [block for block in blocks if block > 0 and _lufs(block) > gate]


def _lufs(mean_square: float) -> float:
    return LOUDNESS_OFFSET + 10 * math.log10(mean_square)
