"""A speech-cache entry's record, kept inside its FLAC file.

Entry points: :func:`with_record` (a FLAC stream with the record added) and
:func:`split_record` (the record and the stream as it was before). The record
is a JSON object in an APPLICATION metadata block (FLAC's own place for an
application's data, skipped by every decoder) right after the STREAMINFO
block; its ``bytes`` and ``sha256`` describe the stream without that block,
which is exactly what the encoder wrote. One file per entry instead of a data
file and a record beside it: a cold build creates one file per utterance,
not two (on an ext4 volume without a journal, creating a file costs more the
more files were deleted in the last minutes).

No numpy here: ``pipeline cache stats`` reads records without the audio stack.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

FLAC_MAGIC = b"fLaC"
APPLICATION_ID = b"ppln"  # the block's application id (four bytes, as FLAC requires)
_STREAMINFO, _APPLICATION = 0, 2
_LAST = 0x80
_HEADER = 4  # a metadata block's header: last-block flag and type in one byte, then a 24-bit length
_MAX_LENGTH = (1 << 24) - 1


def with_record(stream: bytes, record: dict[str, Any]) -> bytes:
    """``stream`` (a FLAC stream starting with its STREAMINFO block) with ``record`` added, plus
    the stream's own length and sha256 in it; ValueError when ``stream`` is not FLAC or the
    record does not fit in a metadata block."""
    if not stream.startswith(FLAC_MAGIC) or len(stream) < len(FLAC_MAGIC) + _HEADER or stream[4] & 0x7F != _STREAMINFO:
        raise ValueError("not a FLAC stream that starts with its STREAMINFO block")
    payload = APPLICATION_ID + json.dumps(described(record, stream), sort_keys=True, ensure_ascii=False).encode("utf-8")
    if len(payload) > _MAX_LENGTH:
        raise ValueError("the record is too long for a FLAC metadata block")
    after_info = len(FLAC_MAGIC) + _HEADER + int.from_bytes(stream[5:8], "big")
    info_was_last = stream[4] & _LAST
    header = bytes([_APPLICATION | info_was_last]) + len(payload).to_bytes(3, "big")
    return FLAC_MAGIC + bytes([stream[4] & ~_LAST]) + stream[5:after_info] + header + payload + stream[after_info:]


def split_record(data: bytes) -> tuple[dict[str, Any], bytes] | None:
    """The record in ``data`` (a file :func:`with_record` made) and the stream without it; None
    when there is no record right after the STREAMINFO block or it does not parse. Whether the
    stream matches the record's length and sha256 is the caller's check (:func:`is_intact`)."""
    if not data.startswith(FLAC_MAGIC) or len(data) < len(FLAC_MAGIC) + 2 * _HEADER:
        return None
    after_info = len(FLAC_MAGIC) + _HEADER + int.from_bytes(data[5:8], "big")
    if data[4] & _LAST or len(data) < after_info + _HEADER or data[after_info] & 0x7F != _APPLICATION:
        return None
    start = after_info + _HEADER
    end = start + int.from_bytes(data[after_info + 1 : start], "big")
    if data[start : start + len(APPLICATION_ID)] != APPLICATION_ID or end > len(data):
        return None
    try:
        record = json.loads(data[start + len(APPLICATION_ID) : end].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    info = bytes([data[4] | (data[after_info] & _LAST)]) + data[5:after_info]
    return record, FLAC_MAGIC + info + data[end:]


def described(record: dict[str, Any], data: bytes) -> dict[str, Any]:
    """``record`` with the length and sha256 of ``data``, the bytes it vouches for (a FLAC
    stream here, or the data file a record beside it describes)."""
    return {**record, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def is_intact(record: dict[str, Any], stream: bytes) -> bool:
    """Whether ``stream`` has the length and sha256 its record gives (:func:`described`)."""
    return len(stream) == record.get("bytes") and hashlib.sha256(stream).hexdigest() == record.get("sha256")


def record_of_file(path: Path) -> dict[str, Any] | None:
    """The record of a FLAC file :func:`with_record` made, read from the head of the file (the
    audio is not read, so it is not checked either); None when it has none or cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(FLAC_MAGIC) + _HEADER)
            if len(head) < len(FLAC_MAGIC) + _HEADER or not head.startswith(FLAC_MAGIC):
                return None
            info = handle.read(int.from_bytes(head[5:8], "big"))
            block = handle.read(_HEADER)
            payload = handle.read(int.from_bytes(block[1:4], "big")) if len(block) == _HEADER else b""
    except OSError:
        return None
    split = split_record(head + info + block + payload)
    return split[0] if split is not None else None
