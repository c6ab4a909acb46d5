"""The loudness blocks a segment job keeps, and a whole episode's loudness from them.

Entry points: :func:`store_blocks` (a worker, once it has levelled a segment),
:func:`load_blocks` and :func:`joined_loudness` (the build's own process, when
it joins the segments into the episode file). They are kept in the project's
``.cache/levels`` by the segment's input hash (:func:`pipeline.build.segments.blocks_path`).
Only numpy and the loudness arithmetic of :mod:`pipeline.audio.dsp` are
needed here: the build's process joins episodes without importing the codecs
and the rest of the audio stack (0.04 s of CPU).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.audio import dsp
from pipeline.build.segments import blocks_path
from pipeline.fsutil import atomic_write_bytes


def store_blocks(cache_root: Path, key: str, blocks: np.ndarray) -> None:
    """Keep a segment's loudness blocks so the whole episode's loudness needs no decoding."""
    if not key:
        return
    buffer = io.BytesIO()
    np.save(buffer, blocks.astype(np.float64), allow_pickle=False)
    atomic_write_bytes(blocks_path(cache_root, key), buffer.getvalue())


def load_blocks(cache_root: Path, key: str) -> np.ndarray | None:
    """A segment's stored loudness blocks, or None."""
    try:
        return np.load(blocks_path(cache_root, key), allow_pickle=False)
    except (OSError, ValueError):
        return None


def joined_loudness(parts: Sequence[np.ndarray]) -> float:
    """Integrated loudness of segments played one after another, from their gating blocks."""
    blocks = [part for part in parts if part.size]
    return round(dsp.integrated_loudness(np.concatenate(blocks) if blocks else np.zeros(0)), 2)
