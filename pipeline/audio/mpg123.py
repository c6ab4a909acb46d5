"""MP3 decoding through libmpg123 itself (ctypes): the check's decoder where the library is installed.

Entry points: :func:`available` (whether libmpg123 can be loaded here) and
:func:`decoded_blocks` (a mono MP3's bytes → float32 samples, the decoder's
own output before any 16-bit conversion, a block at a time).

libsndfile decodes MP3 with this same library (soundfile's ``SoundFile``),
and gives the same samples (``tests/audio/test_mpg123.py``), but reading
through it cost a third more CPU: the sample station's 42 files (segments and
episodes) decoded in 0.72 s of CPU here against 0.96 s through libsndfile
(one process, second of two rounds each, 2-core EPYC, mpg123 1.31). The
check decodes every file a build makes, so that is about 0.1 s of a cold
build of the sample station. Where libmpg123 cannot be loaded (Windows and
macOS, whose soundfile wheels carry their own libsndfile with mpg123 built
in), the caller decodes through soundfile instead.

The bytes are fed to the decoder in pieces (feed mode: no file, no Python
callback per read), so the decoder holds little more than one piece
whatever the length of the file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Iterator

import numpy as np

from pipeline.errors import AudioError

# libmpg123's constants (mpg123.h, API version 45 and later).
_OK, _NEED_MORE, _NEW_FORMAT, _DONE = 0, -10, -11, -12
_ADD_FLAGS, _REMOVE_FLAGS = 2, 13
_QUIET, _FORCE_FLOAT, _AUTO_RESAMPLE = 0x20, 0x400, 0x8000
_MONO = 1
_ENCODING_FLOAT_32 = 0x200
_FEED_BYTES = 1 << 16  # the encoded bytes handed to the decoder at a time


@functools.cache
def _library() -> ctypes.CDLL | None:
    """libmpg123 with the signatures used here, or None where it cannot be loaded."""
    name = ctypes.util.find_library("mpg123") or "libmpg123.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    handle, size_p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)
    signatures: dict[str, tuple[object, list[object]]] = {
        "mpg123_init": (ctypes.c_int, []),
        "mpg123_new": (handle, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        "mpg123_delete": (None, [handle]),
        "mpg123_param": (ctypes.c_int, [handle, ctypes.c_int, ctypes.c_long, ctypes.c_double]),
        "mpg123_getformat": (
            ctypes.c_int,
            [handle, ctypes.POINTER(ctypes.c_long), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)],
        ),
        "mpg123_open_feed": (ctypes.c_int, [handle]),
        "mpg123_feed": (ctypes.c_int, [handle, ctypes.c_void_p, ctypes.c_size_t]),
        "mpg123_read": (ctypes.c_int, [handle, ctypes.c_void_p, ctypes.c_size_t, size_p]),
        "mpg123_strerror": (ctypes.c_char_p, [handle]),
        "mpg123_plain_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    }
    try:
        for function, (result, arguments) in signatures.items():
            getattr(lib, function).restype = result
            getattr(lib, function).argtypes = arguments
    except AttributeError:  # too old a library
        return None
    if lib.mpg123_init() != _OK:
        return None
    return lib


def available() -> bool:
    """Whether libmpg123 can be loaded in this process."""
    return _library() is not None


def decoded_blocks(data: bytes, sample_rate: int, size: int, what: str = "the encoded segment") -> Iterator[np.ndarray]:
    """A mono MP3 stream at ``sample_rate`` (its bytes) decoded to float32, ``size`` samples a
    block (the last may be shorter). Raises AudioError ("cannot decode ``what``: ...") when the
    bytes cannot be decoded or are not such a stream; RuntimeError when libmpg123 is not
    :func:`available`."""
    lib = _library()
    if lib is None:
        raise RuntimeError("libmpg123 cannot be loaded")
    decoder = _open(lib)
    try:
        yield from _blocks(lib, decoder, bytes(data), sample_rate, size)
    except _Undecodable as exc:
        raise AudioError(f"cannot decode {what}: {exc}") from None
    finally:
        lib.mpg123_delete(decoder)


def _open(lib: ctypes.CDLL) -> int:
    """A feed-mode decoder that gives float32 at the stream's own rate and channels (the
    stream's format is checked when the decoder announces it: see :func:`_check_format`)."""
    error = ctypes.c_int(0)
    decoder = lib.mpg123_new(None, ctypes.byref(error))
    if not decoder:
        raise AudioError(f"cannot start the MP3 decoder: {_plain_error(lib, error.value)}")
    for parameter, flags in ((_ADD_FLAGS, _QUIET | _FORCE_FLOAT), (_REMOVE_FLAGS, _AUTO_RESAMPLE)):
        lib.mpg123_param(decoder, parameter, flags, 0.0)
    if lib.mpg123_open_feed(decoder) != _OK:
        message = _error(lib, decoder)
        lib.mpg123_delete(decoder)
        raise AudioError(f"cannot start the MP3 decoder: {message}")
    return int(decoder)


def _blocks(lib: ctypes.CDLL, decoder: int, data: bytes, sample_rate: int, size: int) -> Iterator[np.ndarray]:
    """The decoded samples in blocks of ``size``, feeding ``data`` a piece at a time (the
    decoder copies each piece it is given)."""
    block = np.empty(size, dtype=np.float32)
    filled, fed, formatted = 0, 0, False
    done = ctypes.c_size_t(0)
    source = ctypes.c_char_p(data)  # points into ``data`` itself: no copy
    start = ctypes.cast(source, ctypes.c_void_p).value or 0
    while True:
        status = lib.mpg123_read(decoder, block.ctypes.data + filled * 4, (size - filled) * 4, ctypes.byref(done))
        filled += done.value // 4
        if filled == size:
            yield block
            block, filled = np.empty(size, dtype=np.float32), 0
        if status == _NEW_FORMAT:
            _check_format(lib, decoder, sample_rate)
            formatted = True
        elif status == _NEED_MORE:
            if fed == len(data):
                break
            piece = min(_FEED_BYTES, len(data) - fed)
            if lib.mpg123_feed(decoder, start + fed, piece) != _OK:
                raise _Undecodable(_error(lib, decoder))
            fed += piece
        elif status == _DONE:
            break
        elif status != _OK:
            raise _Undecodable(_error(lib, decoder))
    if not formatted:
        raise _Undecodable("no MPEG audio frame in it")
    if filled:
        yield block[:filled]


class _Undecodable(Exception):
    """Why the bytes cannot be decoded (said with what they are by :func:`decoded_blocks`)."""


def _check_format(lib: ctypes.CDLL, decoder: int, sample_rate: int) -> None:
    """Raise _Undecodable unless the stream decodes to mono float32 at ``sample_rate``."""
    rate, channels, encoding = ctypes.c_long(0), ctypes.c_int(0), ctypes.c_int(0)
    lib.mpg123_getformat(decoder, ctypes.byref(rate), ctypes.byref(channels), ctypes.byref(encoding))
    if (rate.value, channels.value, encoding.value) != (sample_rate, _MONO, _ENCODING_FLOAT_32):
        raise _Undecodable(f"it is {rate.value} Hz with {channels.value} channel(s), not mono at {sample_rate} Hz")


def _error(lib: ctypes.CDLL, decoder: int) -> str:
    message: bytes | None = lib.mpg123_strerror(decoder)
    return message.decode(errors="replace") if message else "unknown error"


def _plain_error(lib: ctypes.CDLL, code: int) -> str:
    message: bytes | None = lib.mpg123_plain_strerror(code)
    return message.decode(errors="replace") if message else f"error {code}"
