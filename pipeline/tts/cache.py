"""Content-addressed store of synthesised speech, kept losslessly compressed.

Entry points: :class:`SpeechCache` and :func:`synthesise_cached`. An
utterance is stored under the hash of everything that changes its sound: the
text the engine is given (normalised and, for a voice with ``pronounce:
standard``, respelled as pronounced, so a change to the pronunciation rules,
their data, the lexicons' ``pronounce:`` lists or the analyser's version
re-synthesises exactly the texts whose respelling it changes), the language,
the backend and its version (including the voice data fingerprint), the voice
id, rate and volume. Each entry has a small JSON record with its format, size,
sha256 and length in seconds, checked before every use: an entry that does
not match is deleted and synthesised again, never used. A FLAC entry is one
file, its record inside it (:mod:`pipeline.tts.flac_record`); an entry kept
as WAV has its record in a ``.json`` file beside it. Entries live in 16
folders by the first hex digit of their key; entries written before, in 256
folders by the first two digits with their record beside them, are still
read where they are.

Speech is kept as FLAC (libFLAC through pyFLAC, level 7 with 1,152-sample
blocks and one window: see :data:`FLAC_BLOCKSIZE` and :data:`FLAC_APODIZATION`):
the engine's 16-bit samples come back exactly (soundfile reads them), so a
build from the cache is byte-identical to one from the engine's WAV, at half
the bytes (plain WAV at 22 050 Hz is 2.65 MB per minute; measured on the
sample station's speech: 1.35 MB per minute of cached speech; lzma of the raw
samples 1.70; the ``flac`` program's and WavPack's strongest settings, 1.33 at
best: ``benchmarks/cache_codecs.py`` and the README's benchmark section).
Another sample format (an engine writing 8-bit, 24-bit or floating-point WAV)
is kept as the engine wrote it. Entries written before
the format was recorded (plain WAV) are misses: they are deleted when a build
meets them, and ``pipeline cache prune`` removes the rest.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import io
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pyflac
import soundfile
from pyflac._encoder import ffi as _flac_ffi
from pyflac._encoder import lib as _flac

from pipeline.errors import SynthesisError
from pipeline.fsutil import PARTIAL_SUFFIX, atomic_write_bytes, atomic_write_text
from pipeline.project.layout import CACHE_SHARD_DIGITS, EARLIER_CACHE_SHARD_DIGITS
from pipeline.tts import Voice, flac_record, get_backend

DEFAULT_TIMEOUT = 60.0
KEY_SCHEMA = 1
# The data file's suffix per stored format; a record names its format.
SUFFIXES = {"flac": ".flac", "wav": ".wav"}
# libFLAC's level and block size. Speech changes faster than the 4,096-sample blocks of libFLAC's
# presets follow (soundfile offers only those): shorter blocks let each frame's predictor fit its
# sound. Measured on the sample station's 232 utterances (24.4 minutes of speech, 27.4 minutes of
# built audio), total bytes and CPU to compress them all (pyFLAC, one process):
#   level 8, 4,096 (soundfile's strongest, kept before)  33.44 MB  0.70 s
#   level 7, 2,048  32.79 MB 0.72 s    level 8, 2,048  32.66 MB 1.01 s
#   level 7, 1,536  32.67 MB 0.76 s    level 8, 1,536  32.56 MB 1.04 s
#   level 7, 1,152  32.55 MB 0.80 s    level 8, 1,152  32.45 MB 1.14 s
#   level 7, 1,024  32.54 MB 0.80 s    level 8, 1,024  32.45 MB 1.21 s
# Level 7 with 1,152 takes 3 % off at about the same CPU (level 8 saves 0.3 % more for 40 % more
# CPU). Both are within FLAC's streamable subset, which every decoder reads.
FLAC_LEVEL = 7
FLAC_BLOCKSIZE = 1152
# Level 7 fits each frame's predictor under three windows (tukey(5e-1);partial_tukey(2)) and keeps
# the best; one window does nearly as well on speech for three quarters of the CPU. Measured as
# above (same machine, medians of 3): three windows 32.55 MB 0.77 s; tukey(5e-1) alone 32.75 MB
# 0.58 s (welch 32.75, hann 32.76, partial_tukey(2) alone 32.60 MB 0.72 s; level 6 with its
# order-8 predictor 32.93 MB 0.70 s; level 5 33.12 MB 0.52 s). A cold build synthesises every
# utterance it meets, so the 0.19 s is paid by every night's new text; the 0.6 % is paid once.
FLAC_APODIZATION = b"tukey(5e-1)"
COMPRESSIBLE_SUBTYPE = "PCM_16"  # what espeak-ng and the system voices write; read back as the same int16
# The samples of entries a SpeechCache stored are kept for the segment being made, up to this
# many bytes (about six minutes of 16-bit speech at 22 050 Hz), so that joining them needs no
# FLAC decoding: decoding the sample station's 24.4 minutes of cached speech took 0.45 s of CPU.
# Beyond it (a long segment) they are read back from the files: memory stays bounded.
FRESH_SAMPLES_BUDGET = 16_000_000


@dataclass(frozen=True)
class CacheEntry:
    """A stored utterance's possible data files and the record that vouches for them."""

    key: str
    base: Path  # the data file without its suffix
    record: Path

    def data(self, fmt: str) -> Path:
        """The data file for a stored format (``flac`` or ``wav``)."""
        return self.base.with_name(self.base.name + SUFFIXES[fmt])


# An utterance's 16-bit samples (frames × channels) and its sample rate.
Samples = tuple[np.ndarray, int]


class SpeechCache:
    """Utterances keyed by the hash of what determines their sound.

    ``fresh`` holds the samples of the entries this instance stored (up to
    FRESH_SAMPLES_BUDGET bytes), by data file: what the file decodes to,
    for a caller that would otherwise decode it straight away."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fresh: dict[Path, Samples] = {}
        self._fresh_bytes = 0
        self._scratch: Path | None = None

    @staticmethod
    def key(text: str, voice: Voice, engine_version: str) -> str:
        """The cache key of ``text`` spoken by ``voice`` on an engine of ``engine_version``."""
        fields = {
            "schema": KEY_SCHEMA,
            "text": text,
            "lang": voice.lang,
            "backend": voice.backend,
            "engine": engine_version,
            "voice": voice.voice_id,
            "rate": voice.rate,
            "volume": voice.volume,
        }
        blob = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def entry(self, key: str, shard_digits: int = CACHE_SHARD_DIGITS) -> CacheEntry:
        """Where the entry for ``key`` is written (whether or not it exists), in the folder named
        by its first ``shard_digits`` hex digits (:data:`EARLIER_CACHE_SHARD_DIGITS`: where the
        earlier layout kept it)."""
        base = self.folder / key[:shard_digits] / key
        return CacheEntry(key, base, base.with_suffix(".json"))

    def _layouts(self, key: str) -> tuple[CacheEntry, CacheEntry]:
        """Where ``key``'s entry may be: the present layout first, then the earlier one."""
        return self.entry(key), self.entry(key, EARLIER_CACHE_SHARD_DIGITS)

    def lookup(self, key: str) -> Path | None:
        """The verified audio file for ``key``; a corrupt, incomplete or old-format entry is removed."""
        for entry in self._layouts(key):
            found = self._verified(entry)
            if found is not None:
                return found
        return None

    def _verified(self, entry: CacheEntry) -> Path | None:
        """The entry's audio file when its record vouches for it (the last use is noted, for
        pruning); a FLAC whose own record does not match is removed."""
        flac = entry.data("flac")
        try:
            split = flac_record.split_record(flac.read_bytes())
        except OSError:
            split = None
        if split is None:
            return self._verified_beside(entry)
        if not flac_record.is_intact(*split):
            self._remove(entry)
            return None
        os.utime(flac)
        return flac

    def _verified_beside(self, entry: CacheEntry) -> Path | None:
        """:meth:`_verified` for an entry whose record is a ``.json`` file beside its data."""
        if not entry.record.exists():
            return None
        try:
            record = json.loads(entry.record.read_text(encoding="utf-8"))
            path = entry.data(record["format"])
            data = path.read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            record, path, data = {}, None, b""
        if path is None or not flac_record.is_intact(record, data):
            self._remove(entry)
            return None
        os.utime(entry.record)
        return path

    def discard(self, key: str) -> None:
        """Remove an entry, whatever format and layout it was stored in."""
        for entry in self._layouts(key):
            self._remove(entry)

    @staticmethod
    def _remove(entry: CacheEntry) -> None:
        for fmt in SUFFIXES:
            entry.data(fmt).unlink(missing_ok=True)
        entry.record.unlink(missing_ok=True)

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """Where the engine writes a new WAV: one scratch file for all of this cache object's
        utterances (``.utterance-….part.wav`` in the cache folder, swept like any temporary file
        if a worker is killed), emptied before each one, so that an engine that fails to write
        cannot leave the last utterance's audio there; removed if the block fails, and by
        :meth:`close`. Reusing the file spares creating and deleting one per utterance:
        on an ext4 volume without a journal, creating a file costs more the more files were
        deleted in the last minutes (measured here: 0.02 ms on a quiet volume, 0.2-0.27 ms right
        after a build's worth of files was deleted), and a cold build made three per utterance."""
        if self._scratch is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._scratch = self.folder / f".utterance-{os.getpid()}-{secrets.token_hex(4)}{PARTIAL_SUFFIX}.wav"
        scratch = self._scratch
        with contextlib.suppress(FileNotFoundError):
            os.truncate(scratch, 0)
        try:
            yield scratch
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Remove the scratch file the engine's WAVs were written to (see :meth:`staging`)."""
        if self._scratch is not None:
            self._scratch.unlink(missing_ok=True)
            self._scratch = None

    def __enter__(self) -> SpeechCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def store(self, key: str, wav: Path, text: str, voice: Voice) -> Path:
        """Compress a checked WAV into the cache (or keep it as it is) with its record.

        Neither file is flushed to disk: the record is checked before every use, so what a
        power cut could leave (a short file, a record that does not parse or does not match)
        is found and synthesised again."""
        entry = self.entry(key)
        kept = compressed(wav)
        record = {
            "format": kept.fmt,
            "seconds": round(kept.seconds, 3),
            "text": text,
            "voice": voice.describe(),
            "lang": voice.lang,
        }
        target = entry.data(kept.fmt)
        if kept.fmt == "flac":
            atomic_write_bytes(target, flac_record.with_record(kept.data, record), durable=False)
        else:
            atomic_write_bytes(target, kept.data, durable=False)
            record_text = json.dumps(flac_record.described(record, kept.data), sort_keys=True, ensure_ascii=False)
            atomic_write_text(entry.record, record_text + "\n", durable=False)
        self._keep_fresh(target, kept)
        return target

    def _keep_fresh(self, target: Path, kept: Compressed) -> None:
        if kept.samples is None or self._fresh_bytes + kept.samples.nbytes > FRESH_SAMPLES_BUDGET:
            return
        self.fresh[target] = (kept.samples, kept.rate)
        self._fresh_bytes += kept.samples.nbytes


@dataclass(frozen=True)
class Compressed:
    """A WAV as the cache keeps it: its format, bytes and length; for FLAC, also the 16-bit
    samples it holds (frames × channels) and their rate."""

    fmt: str
    data: bytes
    seconds: float
    samples: np.ndarray | None = None
    rate: int = 0


def compress(wav: Path) -> tuple[str, bytes, float]:
    """(format, bytes, seconds) of a WAV as the cache keeps it (see :func:`compressed`)."""
    kept = compressed(wav)
    return kept.fmt, kept.data, kept.seconds


def compressed(wav: Path) -> Compressed:
    """A WAV as the cache keeps it: FLAC when its samples are 16-bit PCM, which FLAC holds
    exactly; the WAV's own bytes otherwise."""
    try:
        info = soundfile.info(str(wav))
        if info.subtype != COMPRESSIBLE_SUBTYPE:
            return Compressed("wav", wav.read_bytes(), info.duration)
        samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
        return Compressed("flac", flac_bytes(samples, rate), len(samples) / rate, samples, rate)
    except (OSError, RuntimeError, soundfile.LibsndfileError, pyflac.EncoderInitException,
            pyflac.EncoderProcessException) as exc:  # fmt: skip
        raise SynthesisError(f"cannot store synthesised audio {wav.name} in the speech cache: {exc}") from exc


def flac_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit samples (frames × channels) as a FLAC stream at :data:`FLAC_LEVEL`,
    :data:`FLAC_BLOCKSIZE` and :data:`FLAC_APODIZATION`. The encoder seeks back at the end to
    complete the stream's header (length and MD5 of the samples), as it does in a file."""
    buffer = io.BytesIO()

    def write(data: bytes, size: int, samples_in_frame: int, frame: int) -> None:
        buffer.write(data)

    encoder = _OneWindowEncoder(
        sample_rate=rate,
        write_callback=write,
        seek_callback=buffer.seek,
        tell_callback=buffer.tell,
        compression_level=FLAC_LEVEL,
        blocksize=FLAC_BLOCKSIZE,
    )
    encoder.process(samples)
    if not encoder.finish():
        raise pyflac.EncoderProcessException(str(encoder.state))
    return buffer.getvalue()


class _OneWindowEncoder(pyflac.StreamEncoder):
    """pyFLAC's stream encoder with :data:`FLAC_APODIZATION` set before it starts, and without
    the MD5 of the samples in the stream's header. pyFLAC offers no setting for either;
    libFLAC's own ``FLAC__stream_encoder_set_apodization`` is called through pyFLAC's binding of
    libFLAC (its ``_encoder`` module, version pinned), and ``FLAC__stream_encoder_set_do_md5``
    (which that binding leaves out) in the same libFLAC that pyFLAC loaded, on this encoder's
    handle, in the one place pyFLAC configures the encoder (``_init``).

    Why no MD5: every frame of a FLAC stream carries its own CRC, which the decoder checks, and
    the cache checks each entry's bytes against the sha256 of its record before use; the MD5
    of the decoded samples, which no reader here checks, cost a fifth of the encoder's CPU
    (the sample station's 232 utterances: 0.53 s of CPU without it against 0.66 s with it, three
    rounds each, the same 32.73 MB; a zero MD5 is FLAC's "not computed")."""

    def _init(self) -> None:
        if not _flac.FLAC__stream_encoder_set_apodization(self._encoder, FLAC_APODIZATION):
            raise pyflac.EncoderProcessException(f"libFLAC refused the apodization {FLAC_APODIZATION.decode()}")
        set_do_md5 = _libflac_set_do_md5()
        if set_do_md5 is not None:
            set_do_md5(int(_flac_ffi.cast("uintptr_t", self._encoder)), 0)
        super()._init()


@functools.cache
def _libflac_set_do_md5() -> Callable[[int, int], int] | None:
    """``FLAC__stream_encoder_set_do_md5`` of the libFLAC pyFLAC loaded (the one beside its
    modules, for this platform), or None where it cannot be found (the MD5 is then made)."""
    folder = Path(pyflac.__file__).parent / "libraries"
    for library in sorted(folder.glob("*/libFLAC*")) if folder.is_dir() else []:
        if not _loaded(library):
            continue
        try:
            function = ctypes.CDLL(str(library)).FLAC__stream_encoder_set_do_md5
        except (OSError, AttributeError):
            return None
        function.argtypes, function.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_int
        return cast(Callable[[int, int], int], function)
    return None


def _loaded(library: Path) -> bool:
    """Whether ``library`` is mapped into this process (Linux: /proc/self/maps; elsewhere the
    first of pyFLAC's libraries for which loading succeeds is taken to be its own)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return True
    try:
        return str(library.resolve()) in maps.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


@dataclass
class SynthesisCounter:
    """How many texts were synthesised and how many came from the cache."""

    synthesised: int = 0
    cached: int = 0


def synthesise_cached(
    text: str,
    voice: Voice,
    cache: SpeechCache,
    counter: SynthesisCounter | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    refresh: bool = False,
) -> Path:
    """The WAV of ``text`` in ``voice``: from the cache, or synthesised once and stored
    (with ``refresh``, synthesised again and stored in place of any cached one)."""
    backend = get_backend(voice.backend)
    key = cache.key(text, voice, backend.version(voice.lang))
    found = None if refresh else cache.lookup(key)
    if found is not None:
        if counter:
            counter.cached += 1
        return found
    with cache.staging() as temporary:
        backend.synthesise(text, voice, temporary, timeout)
        stored = cache.store(key, temporary, text, voice)
    if counter:
        counter.synthesised += 1
    return stored
