"""The loudness blocks a segment job keeps, and a whole episode's loudness from them.

Entry points: :func:`store_blocks` (a worker, once it has levelled a segment),
:func:`load_blocks` and :func:`joined_loudness` (the build's own process, when
it joins the segments into the episode file). They are kept in the project's
``.cache/levels`` by the segment's input hash (:func:`pipeline.build.segments.blocks_path`),
as numpy's ``.npy`` files of float64. The build's process reads and gates them
without numpy (:mod:`pipeline.audio.gating`): importing numpy cost it 0.06 s of
CPU (0.15 s with OpenBLAS's threads), for a few thousand numbers per episode.
"""

from __future__ import annotations

import ast
import io
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.audio.gating import gated_loudness
from pipeline.build.segments import blocks_path
from pipeline.fsutil import atomic_write_bytes
from pipeline.project.layout import EARLIER_CACHE_SHARD_DIGITS

if TYPE_CHECKING:
    import numpy as np

# numpy's .npy format, version 1.0 (what np.save writes for a small header): the magic string,
# the version, the header's length (2 bytes, little-endian), then the header, a Python literal.
_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER_AT = len(_NPY_MAGIC) + 2
_FLOAT64 = "<f8"


def store_blocks(cache_root: Path, key: str, blocks: np.ndarray) -> None:
    """Keep a segment's loudness blocks so the whole episode's loudness needs no decoding."""
    import numpy as np  # a worker's: it has numpy loaded already

    if not key:
        return
    buffer = io.BytesIO()
    np.save(buffer, blocks.astype(np.float64), allow_pickle=False)
    atomic_write_bytes(blocks_path(cache_root, key), buffer.getvalue())


def load_blocks(cache_root: Path, key: str) -> array[float] | None:
    """A segment's stored loudness blocks, or None (none kept, or not a one-dimensional
    little-endian float64 array as :func:`store_blocks` writes)."""
    for path in (blocks_path(cache_root, key), blocks_path(cache_root, key, shard_digits=EARLIER_CACHE_SHARD_DIGITS)):
        try:
            return _float64_values(path.read_bytes())
        except OSError:
            continue
    return None


def _float64_values(data: bytes) -> array[float] | None:
    """The values of a .npy file holding a one-dimensional little-endian float64 array."""
    if not data.startswith(_NPY_MAGIC) or len(data) < _NPY_HEADER_AT:
        return None
    end = _NPY_HEADER_AT + int.from_bytes(data[len(_NPY_MAGIC) : _NPY_HEADER_AT], "little")
    try:
        header = ast.literal_eval(data[_NPY_HEADER_AT:end].decode("latin-1"))
    except (ValueError, SyntaxError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or header.get("descr") != _FLOAT64 or header.get("fortran_order"):
        return None
    shape = header.get("shape")
    payload = data[end:]
    if not isinstance(shape, tuple) or len(shape) != 1 or len(payload) != 8 * shape[0]:
        return None
    values = array("d", payload)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def joined_loudness(parts: Sequence[Sequence[float]]) -> float:
    """Integrated loudness of segments played one after another, from their gating blocks."""
    return round(gated_loudness([block for part in parts for block in part]), 2)
