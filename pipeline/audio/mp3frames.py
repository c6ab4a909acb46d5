"""MPEG audio frames read straight from bytes: probe, scrub and join MP3 streams.

Entry points:

* :func:`probe` — what a stream is (MPEG version, layer, rate, bitrate,
  channels, frame count, duration, constant bitrate or not);
* :func:`scrub_ancillary` — zero every bit of a Layer III stream that no
  frame's main data claims (LAME writes its name and version there, e.g.
  ``LAME3.100UUUU``) and drop the Xing/Info/VBRI header frame, leaving the
  decoded audio unchanged; :func:`scrub_and_probe` does both, reading the
  frames once;
* :func:`concat` — join tag-less constant-bitrate streams of identical
  parameters frame by frame, so a whole episode is made from its segment
  files without encoding twice;
* :func:`iter_frames` and :func:`audio_span` — the frames themselves, after
  any ID3v2 tag at the start and ID3v1/APE tags at the end.

Layer III keeps part of a frame's audio data (its *main data*) in the
payload of earlier frames: the side information of each frame says where its
main data begins (``main_data_begin``, bytes back from the end of its side
information, across frame boundaries) and how many bits each granule and
channel takes (``part2_3_length``). What lies between one frame's main data
and the next is ancillary data, which decoders ignore.

Malformed data raises :class:`~pipeline.errors.AudioError`.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.errors import AudioError

if TYPE_CHECKING:
    import numpy as np

_VERSIONS = {0b00: "2.5", 0b10: "2", 0b11: "1"}
_LAYERS = {0b01: 3, 0b10: 2, 0b11: 1}
# Sample rates by MPEG version, in header index order; the station's profile checks read them too.
SAMPLE_RATES = {
    "1": (44100, 48000, 32000),
    "2": (22050, 24000, 16000),
    "2.5": (11025, 12000, 8000),
}
_BITRATES = {
    ("1", 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    ("1", 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    ("1", 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    ("2", 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    ("2", 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    ("2", 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
LAYER3_BITRATES = {"1": _BITRATES[("1", 3)], "2": _BITRATES[("2", 3)]}  # MPEG-2.5 shares MPEG-2's
_CHANNEL_MODES = ("stereo", "joint_stereo", "dual_channel", "mono")
_HEADER_FRAME_TAGS = (b"Xing", b"Info")
_ID3V1_SIZE = 128
_APE_FOOTER_SIZE = 32


@dataclass(frozen=True)
class FrameHeader:
    """The fields of one 4-byte MPEG audio frame header."""

    version: str  # "1", "2" or "2.5"
    layer: int  # 1, 2 or 3
    protected: bool  # a 16-bit CRC follows the header
    bitrate_kbps: int
    sample_rate: int
    padding: bool
    channel_mode: str  # stereo, joint_stereo, dual_channel or mono

    @functools.cached_property
    def channels(self) -> int:
        """1 for mono, otherwise 2."""
        return 1 if self.channel_mode == "mono" else 2

    @functools.cached_property
    def samples(self) -> int:
        """PCM samples per channel that one frame decodes to."""
        if self.layer == 1:
            return 384
        if self.layer == 3 and self.version != "1":
            return 576
        return 1152

    @functools.cached_property
    def length(self) -> int:
        """Bytes in the whole frame, header included."""
        if self.layer == 1:
            return (12_000 * self.bitrate_kbps // self.sample_rate + self.padding) * 4
        per_slot = self.samples // 8  # 144 for MPEG-1 Layer II/III, 72 for MPEG-2/2.5 Layer III
        return per_slot * 1000 * self.bitrate_kbps // self.sample_rate + self.padding

    @functools.cached_property
    def header_length(self) -> int:
        """Bytes of header and CRC before the side information."""
        return 6 if self.protected else 4

    @functools.cached_property
    def side_info_length(self) -> int:
        """Bytes of Layer III side information (0 for Layers I and II)."""
        if self.layer != 3:
            return 0
        if self.version == "1":
            return 17 if self.channels == 1 else 32
        return 9 if self.channels == 1 else 17

    @functools.cached_property
    def stream_key(self) -> tuple[str, int, int, int, int]:
        """What must match for two frames to belong to one constant-bitrate stream."""
        return (self.version, self.layer, self.sample_rate, self.bitrate_kbps, self.channels)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame found in a stream: where it is, its header and its side information."""

    offset: int
    header: FrameHeader
    main_data_begin: int = 0  # Layer III: bytes of main data held in earlier frames
    main_data_bits: int = 0  # Layer III: sum of part2_3_length over granules and channels
    is_header_frame: bool = False  # Xing/Info/VBRI: encoder metadata, no audio

    @property
    def end(self) -> int:
        """Offset just after the frame."""
        return self.offset + self.header.length

    @property
    def payload_offset(self) -> int:
        """Offset of the first byte after header, CRC and side information."""
        return self.offset + self.header.header_length + self.header.side_info_length


@dataclass(frozen=True)
class StreamInfo:
    """A summary of an MPEG audio stream."""

    version: str
    layer: int
    sample_rate: int
    bitrate_kbps: int  # the first audio frame's; the average when not constant
    channels: int
    frame_count: int  # audio frames (the Xing/Info frame is not counted)
    duration_seconds: float
    constant_bitrate: bool
    header_frame: bool = False  # a Xing/Info/VBRI frame is present


def parse_header(data: bytes | bytearray, offset: int = 0) -> FrameHeader | None:
    """The frame header at ``offset``, or None when the bytes there are not one."""
    if offset + 4 > len(data):
        return None
    return _parse_header_bytes(bytes(data[offset : offset + 4]))


@functools.lru_cache(maxsize=1024)
def _parse_header_bytes(four: bytes) -> FrameHeader | None:
    """One header from its four bytes (a stream repeats a handful of them, so each is parsed once)."""
    b0, b1, b2, b3 = four
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = _VERSIONS.get((b1 >> 3) & 0b11)
    layer = _LAYERS.get((b1 >> 1) & 0b11)
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0b11
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    table = ("1" if version == "1" else "2", layer)
    return FrameHeader(
        version=version,
        layer=layer,
        protected=not (b1 & 1),
        bitrate_kbps=_BITRATES[table][bitrate_index - 1],
        sample_rate=SAMPLE_RATES[version][rate_index],
        padding=bool((b2 >> 1) & 1),
        channel_mode=_CHANNEL_MODES[b3 >> 6],
    )


def audio_span(data: bytes | bytearray) -> tuple[int, int]:
    """Start and end offsets of the audio frames, after leading and before trailing tags."""
    start = 0
    while data[start : start + 3] == b"ID3" and start + 10 <= len(data):
        size = _syncsafe(data[start + 6 : start + 10])
        footer = 10 if data[start + 5] & 0x10 else 0
        start += 10 + size + footer
    end = len(data)
    while end > start:
        if end - _ID3V1_SIZE >= start and data[end - _ID3V1_SIZE : end - _ID3V1_SIZE + 3] == b"TAG":
            end -= _ID3V1_SIZE
        elif data[end - _APE_FOOTER_SIZE : end - _APE_FOOTER_SIZE + 8] == b"APETAGEX":
            ape_footer = data[end - _APE_FOOTER_SIZE : end]
            size = int.from_bytes(ape_footer[12:16], "little")
            has_header = bool(int.from_bytes(ape_footer[20:24], "little") & 0x8000_0000)
            end -= size + (_APE_FOOTER_SIZE if has_header else 0)
        else:
            break
    return min(start, len(data)), max(end, min(start, len(data)))


def iter_frames(data: bytes | bytearray) -> Iterator[Frame]:
    """Every frame between the tags, in order; raises AudioError on a gap or a cut frame."""
    first = True
    for offset, header in _frame_headers(data):
        yield _read_frame(data, offset, header, first)
        first = False


def _frame_headers(data: bytes | bytearray) -> Iterator[tuple[int, FrameHeader]]:
    """The offset and header of every frame between the tags, in order (the frames follow one
    another without a gap); raises AudioError on a gap or a cut frame."""
    for offsets, kind, kinds in _walk(data):
        for offset, number in zip(offsets, kind, strict=True):
            yield offset, kinds[number]


# Frames walked and scrubbed at a time: a long stream's frames are never all held (an hour at
# 32 kbps is 138,000), and each batch's payloads (at least 51 kB, however low the bitrate) reach
# back further than any later frame's main data can (511 bytes).
_FRAMES_AT_ONCE = 1024


def _walk(data: bytes | bytearray) -> Iterator[tuple[list[int], list[int], list[FrameHeader]]]:
    """The frames between the tags, _FRAMES_AT_ONCE at a time: the offset of each and which of
    the stream's distinct headers it has (its number in the list given last, which grows as
    new headers are met); raises AudioError on a gap or a cut frame. A stream repeats a
    handful of headers: each is parsed once."""
    start, end = audio_span(data)
    offset = start
    while offset < end and data[offset] == 0:
        offset += 1  # zero padding some taggers leave after an ID3v2 tag
    if not isinstance(data, bytes):
        data = bytes(data)  # its slices are then hashable
    numbers: dict[bytes, int] = {}
    kinds: list[FrameHeader] = []
    lengths: list[int] = []
    offsets: list[int] = []
    kind: list[int] = []
    seen = False
    # The loop runs once per frame (138,000 for an hour at 32 kbps): lookups are kept local.
    number_of, add_offset, add_kind = numbers.get, offsets.append, kind.append
    while offset < end:
        four = data[offset : offset + 4]
        number = number_of(four)
        if number is None:
            header = _parse_header_bytes(four) if len(four) == 4 else None
            if header is None:
                where = "between frames" if seen or offsets else "where the first frame should be"
                raise AudioError(f"no MPEG audio frame header at byte {offset} ({where})")
            number = numbers[four] = len(kinds)
            kinds.append(header)
            lengths.append(header.length)
        length = lengths[number]
        if offset + length > end:
            raise AudioError(
                f"truncated: the frame at byte {offset} needs {length} bytes, only {end - offset} are left"
            )
        add_offset(offset)
        add_kind(number)
        offset += length
        if len(offsets) == _FRAMES_AT_ONCE:
            yield offsets, kind, kinds
            offsets, kind, seen = [], [], True
            add_offset, add_kind = offsets.append, kind.append
    if offsets:
        yield offsets, kind, kinds


def probe(data: bytes | bytearray) -> StreamInfo:
    """Version, layer, rate, bitrate, channels, frame count and duration of a stream."""
    totals = _Totals()
    for frames in _audio_frames(data):
        totals.add(frames)
    return totals.info()


def scrub_and_probe(data: bytes | bytearray) -> tuple[bytes, StreamInfo]:
    """:func:`scrub_ancillary` and :func:`probe` of the scrubbed stream, reading the frames once."""
    totals = _Totals()
    scrubbed = _scrubbed(data, _audio_frames(data), totals)
    return scrubbed, totals.info()


def scrub_ancillary(data: bytes | bytearray) -> bytes:
    """The same Layer III stream with every unclaimed bit zeroed and no Xing/Info frame.

    Tags before and after the frames are kept as they are. The side
    information's private bits are zeroed too, except in CRC-protected frames,
    where the checksum covers them.
    """
    return _scrubbed(data, _audio_frames(data), _Totals())


@dataclass(frozen=True)
class _FrameTable:
    """A batch of up to _FRAMES_AT_ONCE of a stream's audio frames: their offsets, and which of
    the stream's distinct headers (``kinds``) each has (``kind``). Scrubbing works on them as
    arrays (numpy), a batch at a time: frame by frame in Python it took 0.25 s of CPU for the
    sample station's 26.6 minutes of 32 kbps speech (61,000 frames), with arrays 0.05 s (the
    frame walk is what remains). numpy is imported only to scrub: every process loads this
    module for its rate tables."""

    offsets: list[int]
    kind: list[int]
    kinds: list[FrameHeader]
    header_frame: bool  # a Xing/Info/VBRI frame came first in the stream (left out here)

    def counts(self) -> collections.Counter[FrameHeader]:
        """How many frames have each header (headers differing only in bits not read, such as
        a joint-stereo frame's mode extension, count as one)."""
        counts: collections.Counter[FrameHeader] = collections.Counter()
        for number, count in collections.Counter(self.kind).items():
            counts[self.kinds[number]] += count
        return counts

    def column(self, attribute: str) -> np.ndarray:
        """An attribute of every frame's header, as an array of integers."""
        import numpy as np

        values = np.array([getattr(header, attribute) for header in self.kinds], dtype=np.int64)
        column: np.ndarray = values[np.array(self.kind, dtype=np.int64)]
        return column

    def layouts(self) -> dict[tuple[str, int, bool], np.ndarray]:
        """The rows of the frames of each side-information layout (version, channels, CRC);
        a stream almost always has one."""
        import numpy as np

        numbers: dict[tuple[str, int, bool], list[int]] = {}
        for number, header in enumerate(self.kinds):
            numbers.setdefault((header.version, header.channels, header.protected), []).append(number)
        kind = np.array(self.kind, dtype=np.int64)
        rows = {layout: np.flatnonzero(np.isin(kind, chosen)) for layout, chosen in numbers.items()}
        return {layout: chosen for layout, chosen in rows.items() if chosen.size}


class _Totals:
    """What :func:`probe` reports, added up a batch of frames at a time (a long stream's frames
    are not kept)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[FrameHeader] = collections.Counter()
        self.first: FrameHeader | None = None
        self.frames = 0
        self.header_frame = False

    def add(self, frames: _FrameTable) -> None:
        self.counts.update(frames.counts())
        if self.first is None and frames.kind:
            self.first = frames.kinds[frames.kind[0]]
        self.frames += len(frames.offsets)
        self.header_frame = self.header_frame or frames.header_frame

    def info(self) -> StreamInfo:
        first, counts = self.first, self.counts
        if first is None:
            raise AudioError("no MPEG audio frames found")
        bitrates = {header.bitrate_kbps for header in counts}
        samples = sum(header.samples * count for header, count in counts.items())
        duration = samples / first.sample_rate
        total_bytes = sum(header.length * count for header, count in counts.items())
        average = round(total_bytes * 8 / duration / 1000) if duration else first.bitrate_kbps
        return StreamInfo(
            version=first.version,
            layer=first.layer,
            sample_rate=first.sample_rate,
            bitrate_kbps=first.bitrate_kbps if len(bitrates) == 1 else average,
            channels=first.channels,
            frame_count=self.frames,
            duration_seconds=duration,
            constant_bitrate=len(bitrates) == 1,
            header_frame=self.header_frame,
        )


def _audio_frames(data: bytes | bytearray) -> Iterator[_FrameTable]:
    """The stream's frames in batches, without a leading Xing/Info/VBRI frame."""
    first_batch = True
    for offsets, kind, kinds in _walk(data):
        header_frame = first_batch and _read_frame(data, offsets[0], kinds[kind[0]], first=True).is_header_frame
        first = 1 if header_frame else 0
        first_batch = False
        yield _FrameTable(offsets[first:], kind[first:], kinds, header_frame)


@dataclass
class _Batch:
    """A batch of frames being scrubbed: its bytes (private bits already cleared), where its
    payloads lie in them, and their bytes joined (its stretch of the bit reservoir) with the
    bits claimed so far (a later batch's frames may still claim more)."""

    frames: np.ndarray
    payload: np.ndarray
    reservoir: np.ndarray
    kept: np.ndarray

    def scrubbed(self) -> bytes:
        self.frames[self.payload] = self.kept
        return self.frames.tobytes()


def _scrubbed(data: bytes | bytearray, batches: Iterator[_FrameTable], totals: _Totals) -> bytes:
    """The stream rebuilt from its tags and its audio frames, each frame's unclaimed payload
    bits and private bits zeroed, a batch of frames at a time: a batch is written out once the
    next one's frames have claimed what they borrow from it, so only two batches are held
    besides the result."""
    import numpy as np

    start, end = audio_span(data)
    stream = np.frombuffer(data, dtype=np.uint8)
    out = bytearray(data[:start])
    held: _Batch | None = None
    before = 0  # reservoir bytes before the batch
    for frames in batches:
        totals.add(frames)
        if any(header.layer != 3 for header in frames.counts()):
            raise AudioError("only MPEG Layer III (MP3) streams can be scrubbed")
        if not frames.offsets:
            continue
        batch, ranges = _batch(stream, frames, before)
        base = before - (len(held.reservoir) if held else 0)  # where the joined reservoir starts
        if ranges[0].size and int(ranges[0].min()) < base * 8:  # cannot happen with _FRAMES_AT_ONCE frames
            raise AudioError("a frame's main data reaches back further than the frames before it")
        reservoir = np.concatenate([held.reservoir, batch.reservoir]) if held else batch.reservoir
        kept = _claimed_bits_only(reservoir, (ranges[0] - base * 8, ranges[1] - base * 8))
        if held:
            held.kept = kept[: len(held.reservoir)] | held.kept
            out += held.scrubbed()
        before += len(batch.reservoir)
        batch.kept = kept[len(kept) - len(batch.reservoir) :]
        held = batch
    if held:
        out += held.scrubbed()
    out += data[end:]
    return bytes(out)


def _batch(stream: np.ndarray, frames: _FrameTable, before: int) -> tuple[_Batch, tuple[np.ndarray, np.ndarray]]:
    """A batch's bytes with their private bits cleared, and the start and end bits of its
    frames' main data in the whole reservoir (``before``: its bytes before the batch)."""
    import numpy as np

    first = frames.offsets[0]
    last = frames.offsets[-1] + frames.kinds[frames.kind[-1]].length
    offsets = np.array(frames.offsets, dtype=np.int64)
    side_starts = offsets + frames.column("header_length")
    payload_starts = side_starts + frames.column("side_info_length")
    payload_ends = offsets + frames.column("length")
    begin = np.zeros(len(offsets), dtype=np.int64)
    bits = np.zeros(len(offsets), dtype=np.int64)
    layouts = frames.layouts()
    for (version, channels, _), rows in layouts.items():
        begin[rows], bits[rows] = _side_info_fields(stream, side_starts[rows], version, channels)
    out = stream[first:last].copy()
    for (version, channels, protected), rows in layouts.items():
        if protected:
            continue  # the CRC covers the private bits
        for index, keep in _private_bit_masks(version, channels):
            out[offsets[rows] - first + index] &= keep
    payload = _between(payload_starts - first, payload_ends - first, last - first)
    reservoir = out[payload]
    ranges = _claimed_bit_ranges(payload_ends - payload_starts, begin, bits, before)
    return _Batch(out, payload, reservoir, np.zeros(0, dtype=np.uint8)), ranges


def _side_info_fields(
    stream: np.ndarray, side_starts: np.ndarray, version: str, channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """main_data_begin and the sum of part2_3_length over granules and channels of frames of
    one layout, read from their side information (its bits unpacked, most significant first)."""
    import numpy as np

    length, begin_width, length_shifts = _side_info_layout(version, channels)
    side = stream[side_starts[:, None] + np.arange(length // 8)]
    bits = np.unpackbits(side, axis=1)

    def field(first_bit: int, width: int) -> np.ndarray:
        weights = np.left_shift(1, np.arange(width - 1, -1, -1, dtype=np.int64))
        value: np.ndarray = bits[:, first_bit : first_bit + width] @ weights
        return value

    main_data_bits = np.zeros(len(side), dtype=np.int64)
    for shift in length_shifts:
        main_data_bits += field(length - shift - 12, 12)
    return field(0, begin_width), main_data_bits


def _between(starts: np.ndarray, ends: np.ndarray, size: int) -> np.ndarray:
    """A mask of ``size`` that is True from each start up to its end."""
    import numpy as np

    change = np.zeros(size + 1, dtype=np.int64)
    np.add.at(change, starts, 1)
    np.add.at(change, ends, -1)
    mask: np.ndarray = np.cumsum(change[:-1]) > 0
    return mask


def _claimed_bit_ranges(
    payload_sizes: np.ndarray, main_data_begin: np.ndarray, main_data_bits: np.ndarray, before: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end bits of the main data of each frame that has any, in the reservoir (every
    payload joined, ``before`` bytes of it ahead of these frames'): it starts main_data_begin
    bytes before the frame's own payload and cannot run past it."""
    import numpy as np

    after = before + np.cumsum(payload_sizes)
    starts = (after - payload_sizes - main_data_begin) * 8
    ends = starts + main_data_bits
    claimed = ends > np.maximum(starts, 0)
    return np.maximum(starts, 0)[claimed], np.minimum(ends, after * 8)[claimed]


def concat(streams: Sequence[bytes | bytearray]) -> bytes:
    """Join constant-bitrate streams of identical parameters frame by frame.

    Tags and Xing/Info frames of the inputs are left out; the result has
    neither. Every stream after the first must start cleanly (its first frame
    borrows nothing from before it), as every encoder's first frame does.
    """
    if not streams:
        raise AudioError("nothing to join: no MP3 streams given")
    reference: tuple[int, FrameHeader] | None = None
    pieces: list[bytes] = []
    for number, stream in enumerate(streams, start=1):
        try:
            run = _audio_run(stream)
        except AudioError as error:
            raise AudioError(f"stream {number}: {error.message}") from error
        if reference is None:
            reference = (number, run.first.header)
        _check_joinable(number, run, reference)
        pieces.append(bytes(stream[run.first.offset : run.end]))
    return b"".join(pieces)


@dataclass(frozen=True)
class _AudioRun:
    """A stream's audio frames (without any Xing/Info frame), as joining needs them: the first
    read in full, where the last ends, and each distinct header with the offset of the first
    audio frame that has it (every other frame repeats one of them)."""

    first: Frame
    end: int
    headers: dict[int, FrameHeader]  # offset of its first audio frame → header


def _audio_run(stream: bytes | bytearray) -> _AudioRun:
    """The stream's audio frames, walked once; the frames are not listed one by one (a
    segment's thousands of frames repeat a handful of headers)."""
    first_at: dict[int, int] = {}  # a header's number in the walk's list → its first offset after frame 0
    frames: list[tuple[int, int]] = []  # the stream's first two frames: (offset, header number)
    kinds: list[FrameHeader] = []
    end = 0
    for offsets, kind, kinds in _walk(stream):
        skip = 0
        if len(frames) < 2:
            skip = 0 if frames else 1  # frame 0 may be a Xing/Info frame: it is looked at below
            frames += list(zip(offsets[: 2 - len(frames)], kind, strict=False))
        for header_number in set(kind[skip:]):
            first_at.setdefault(header_number, offsets[kind.index(header_number, skip)])
        end = offsets[-1] + kinds[kind[-1]].length
    if not frames:
        raise AudioError("no MPEG audio frames found")
    first = _read_frame(stream, frames[0][0], kinds[frames[0][1]], first=True)
    if first.is_header_frame:
        if len(frames) < 2:
            raise AudioError("no MPEG audio frames found")
        first = _read_frame(stream, frames[1][0], kinds[frames[1][1]], first=False)
    else:
        first_at[frames[0][1]] = first.offset
    return _AudioRun(first, end, {offset: kinds[number] for number, offset in first_at.items()})


def describe(header: FrameHeader) -> str:
    """``MPEG-2 Layer III, 22050 Hz, 32 kbps, mono`` — for messages."""
    channels = "mono" if header.channels == 1 else "stereo"
    return (
        f"MPEG-{header.version} Layer {'I' * header.layer}, {header.sample_rate} Hz, "
        f"{header.bitrate_kbps} kbps, {channels}"
    )


def _check_joinable(number: int, run: _AudioRun, reference: tuple[int, FrameHeader]) -> None:
    ref_number, ref = reference
    for offset in sorted(run.headers):  # the first frame that differs is the one named
        header = run.headers[offset]
        if header.stream_key != ref.stream_key:
            raise AudioError(
                f"stream {number} cannot be joined to stream {ref_number}: "
                f"frame at byte {offset} is {describe(header)}, "
                f"stream {ref_number} is {describe(ref)}"
            )
    if number != ref_number and run.first.main_data_begin:
        raise AudioError(
            f"stream {number} does not start cleanly: its first frame uses "
            f"{run.first.main_data_begin} bytes of data from before the stream"
        )


def _read_frame(data: bytes | bytearray, offset: int, header: FrameHeader, first: bool) -> Frame:
    if header.layer != 3:
        return Frame(offset, header)
    length, begin_width, length_shifts = _side_info_layout(header.version, header.channels)
    start = offset + header.header_length
    side = int.from_bytes(data[start : start + length // 8], "big")
    main_data_begin = side >> (length - begin_width)
    bits = 0
    for shift in length_shifts:
        bits += (side >> shift) & 0xFFF
    is_header_frame = False
    if first:
        payload = start + header.side_info_length
        tag = bytes(data[payload : payload + 4])
        is_header_frame = tag in _HEADER_FRAME_TAGS or data[offset + 36 : offset + 40] == b"VBRI"
    return Frame(offset, header, main_data_begin, bits, is_header_frame)


@functools.cache
def _side_info_layout(version: str, channels: int) -> tuple[int, int, tuple[int, ...]]:
    """Layer III side information as one big-endian number: its length in bits, the width of
    main_data_begin (its top bits), and how far right each granule and channel's 12-bit
    part2_3_length sits."""
    mpeg1 = version == "1"
    length = 8 * ((17 if channels == 1 else 32) if mpeg1 else (9 if channels == 1 else 17))
    begin_width, private_count = _private_bits(version, channels)
    position = begin_width + private_count + (4 * channels if mpeg1 else 0)  # MPEG-1: then scfsi, 4 bits a channel
    shifts = []
    for _ in range((2 if mpeg1 else 1) * channels):
        shifts.append(length - position - 12)
        position += 12 + (47 if mpeg1 else 51)  # part2_3_length, then the rest of the granule's fields
    return length, begin_width, tuple(shifts)


def _claimed_bits_only(reservoir: np.ndarray, ranges: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The reservoir's bytes with every bit outside the given (start, end) bit ranges zeroed:
    whole bytes inside a range are kept, and the bytes a range starts or ends in keep only its bits."""
    import numpy as np

    starts, ends = ranges
    first_full, last_full = -(-starts // 8), ends // 8
    spans_bytes = first_full <= last_full
    whole_bytes = _between(first_full[spans_bytes], last_full[spans_bytes], len(reservoir))
    masks = np.where(whole_bytes, 0xFF, 0).astype(np.uint8)
    head, tail = starts % 8 != 0, ends % 8 != 0
    single = ~spans_bytes  # a range that starts and ends inside one byte
    head_bits = (0xFF >> (starts % 8)).astype(np.uint8)
    tail_bits = ((0xFF << (8 - ends % 8)) & 0xFF).astype(np.uint8)
    np.bitwise_or.at(masks, (starts // 8)[spans_bytes & head], head_bits[spans_bytes & head])
    np.bitwise_or.at(masks, (ends // 8)[spans_bytes & tail], tail_bits[spans_bytes & tail])
    np.bitwise_or.at(masks, (starts // 8)[single], head_bits[single] & tail_bits[single])
    return reservoir & masks


@functools.cache
def _private_bit_masks(version: str, channels: int) -> tuple[tuple[int, int], ...]:
    """(byte index from the frame's start, mask that clears the private bits in it) for the
    private bits of the side information, which follow main_data_begin."""
    first, count = _private_bits(version, channels)
    masks: dict[int, int] = {}
    for bit in range(first, first + count):
        index = 4 + bit // 8
        masks[index] = masks.get(index, 0xFF) & ~(0x80 >> (bit % 8)) & 0xFF
    return tuple(masks.items())


def _private_bits(version: str, channels: int) -> tuple[int, int]:
    """Where the side information's private bits start (right after main_data_begin, whose
    width this is) and how many there are."""
    if version == "1":
        return 9, 5 if channels == 1 else 3
    return 8, 1 if channels == 1 else 2


def _syncsafe(four: bytes | bytearray) -> int:
    return (four[0] << 21) | (four[1] << 14) | (four[2] << 7) | four[3]
