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

from pipeline.errors import AudioError

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
    start, end = audio_span(data)
    offset = start
    while offset < end and data[offset] == 0:
        offset += 1  # zero padding some taggers leave after an ID3v2 tag
    first = True
    while offset < end:
        header = parse_header(data, offset)
        if header is None:
            where = "where the first frame should be" if first else "between frames"
            raise AudioError(f"no MPEG audio frame header at byte {offset} ({where})")
        if offset + header.length > end:
            raise AudioError(
                f"truncated: the frame at byte {offset} needs {header.length} bytes, only {end - offset} are left"
            )
        yield offset, header
        offset += header.length
        first = False


def probe(data: bytes | bytearray) -> StreamInfo:
    """Version, layer, rate, bitrate, channels, frame count and duration of a stream."""
    totals = _Totals()
    for frame in iter_frames(data):
        totals.add(frame)
    return totals.info()


def scrub_and_probe(data: bytes | bytearray) -> tuple[bytes, StreamInfo]:
    """:func:`scrub_ancillary` and :func:`probe` of the scrubbed stream, reading the frames once."""
    totals = _Totals()
    scrubbed = _scrubbed(data, iter_frames(data), totals)
    return scrubbed, totals.info()


class _Totals:
    """What :func:`probe` reports, added up frame by frame (a long stream's frames are not kept)."""

    def __init__(self) -> None:
        self.first: FrameHeader | None = None
        self.last: FrameHeader | None = None
        self.bitrates: set[int] = set()
        self.samples = self.total_bytes = self.audio_frames = self.frames = 0

    def add(self, frame: Frame) -> None:
        self.frames += 1
        if frame.is_header_frame:
            return
        header = frame.header
        if header is not self.last:  # a stream repeats a few headers (parsed once each): new ones are rare
            self.last = header
            self.first = self.first or header
            self.bitrates.add(header.bitrate_kbps)
        self.samples += header.samples
        self.total_bytes += header.length
        self.audio_frames += 1

    def info(self) -> StreamInfo:
        first = self.first
        if first is None:
            raise AudioError("no MPEG audio frames found")
        duration = self.samples / first.sample_rate
        average = round(self.total_bytes * 8 / duration / 1000) if duration else first.bitrate_kbps
        return StreamInfo(
            version=first.version,
            layer=first.layer,
            sample_rate=first.sample_rate,
            bitrate_kbps=first.bitrate_kbps if len(self.bitrates) == 1 else average,
            channels=first.channels,
            frame_count=self.audio_frames,
            duration_seconds=duration,
            constant_bitrate=len(self.bitrates) == 1,
            header_frame=self.audio_frames != self.frames,
        )


def scrub_ancillary(data: bytes | bytearray) -> bytes:
    """The same Layer III stream with every unclaimed bit zeroed and no Xing/Info frame.

    Tags before and after the frames are kept as they are. The side
    information's private bits are zeroed too, except in CRC-protected frames,
    where the checksum covers them.
    """
    return _scrubbed(data, iter_frames(data), _Totals())


# The furthest back a Layer III frame's main data can begin: main_data_begin is 9 bits wide.
_MOST_BORROWED = (1 << 9) - 1
_FORGET_AFTER = 1 << 16  # bytes of written-out reservoir dropped at a time


def _scrubbed(data: bytes | bytearray, frames: Iterator[Frame], totals: _Totals) -> bytes:
    """The stream with only the claimed bits of the payloads kept (see :func:`scrub_ancillary`),
    frame by frame: a payload is written out once no later frame's main data can reach back
    into it, so only the last stretch of the bit reservoir (the payloads joined) is held
    besides the result."""
    start, end = audio_span(data)
    out = bytearray(data[:start])
    reservoir, kept, base = bytearray(), bytearray(), 0  # the reservoir from offset ``base`` on
    waiting: collections.deque[tuple[bytes, int, int]] = collections.deque()  # side information, payload span
    for frame in frames:
        totals.add(frame)
        if frame.is_header_frame:
            continue
        if frame.header.layer != 3:
            raise AudioError("only MPEG Layer III (MP3) streams can be scrubbed")
        payload_start, payload_end = frame.payload_offset, frame.end
        position = base + len(reservoir)
        top = position + payload_end - payload_start
        reservoir += data[payload_start:payload_end]
        kept += bytes(payload_end - payload_start)
        claimed_start = (position - frame.main_data_begin) * 8
        claimed_end = claimed_start + frame.main_data_bits
        if claimed_end > max(claimed_start, 0):
            _claim(kept, reservoir, max(claimed_start, 0) - base * 8, min(claimed_end, top * 8) - base * 8)
        waiting.append((_side_info_without_private_bits(data, frame, payload_start), position, top))
        while waiting[0][2] <= top - _MOST_BORROWED:  # the frame just added always stays
            side_info, payload_from, payload_to = waiting.popleft()
            out += side_info
            out += kept[payload_from - base : payload_to - base]
        if waiting[0][1] - base > _FORGET_AFTER:
            written = waiting[0][1] - base
            del reservoir[:written], kept[:written]
            base += written
    for side_info, payload_from, payload_to in waiting:
        out += side_info
        out += kept[payload_from - base : payload_to - base]
    out += data[end:]
    return bytes(out)


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
            headers, first = _audio_frame_headers(stream)
        except AudioError as error:
            raise AudioError(f"stream {number}: {error.message}") from error
        if reference is None:
            reference = (number, first.header)
        _check_joinable(number, headers, first, reference)
        last_offset, last_header = headers[-1]
        pieces.append(bytes(stream[first.offset : last_offset + last_header.length]))
    return b"".join(pieces)


def _audio_frame_headers(stream: bytes | bytearray) -> tuple[list[tuple[int, FrameHeader]], Frame]:
    """The offsets and headers of a stream's audio frames (one run of bytes, without any
    Xing/Info frame) and the first of them read in full."""
    headers = list(_frame_headers(stream))
    first = _read_frame(stream, *headers[0], first=True) if headers else None
    if first is not None and first.is_header_frame:
        headers = headers[1:]
        first = _read_frame(stream, *headers[0], first=False) if headers else None
    if first is None:
        raise AudioError("no MPEG audio frames found")
    return headers, first


def describe(header: FrameHeader) -> str:
    """``MPEG-2 Layer III, 22050 Hz, 32 kbps, mono`` — for messages."""
    channels = "mono" if header.channels == 1 else "stereo"
    return (
        f"MPEG-{header.version} Layer {'I' * header.layer}, {header.sample_rate} Hz, "
        f"{header.bitrate_kbps} kbps, {channels}"
    )


def _check_joinable(
    number: int, headers: list[tuple[int, FrameHeader]], first: Frame, reference: tuple[int, FrameHeader]
) -> None:
    ref_number, ref = reference
    for offset, header in headers:
        if header.stream_key != ref.stream_key:
            raise AudioError(
                f"stream {number} cannot be joined to stream {ref_number}: "
                f"frame at byte {offset} is {describe(header)}, "
                f"stream {ref_number} is {describe(ref)}"
            )
    if number != ref_number and first.main_data_begin:
        raise AudioError(
            f"stream {number} does not start cleanly: its first frame uses "
            f"{first.main_data_begin} bytes of data from before the stream"
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


def _claim(kept: bytearray, reservoir: bytes | bytearray, start: int, end: int) -> None:
    """Copy the bits ``start`` to ``end`` of ``reservoir`` into ``kept``."""
    first_full, last_full = -(-start // 8), end // 8
    if first_full <= last_full:
        kept[first_full:last_full] = reservoir[first_full:last_full]
        if start % 8:
            kept[start // 8] |= reservoir[start // 8] & (0xFF >> (start % 8))
        if end % 8:
            kept[end // 8] |= reservoir[end // 8] & (0xFF << (8 - end % 8)) & 0xFF
    else:  # the range starts and ends inside one byte
        mask = (0xFF >> (start % 8)) & (0xFF << (8 - end % 8)) & 0xFF
        kept[start // 8] |= reservoir[start // 8] & mask


def _side_info_without_private_bits(data: bytes | bytearray, frame: Frame, payload_start: int) -> bytes:
    header = frame.header
    if header.protected:
        return bytes(data[frame.offset : payload_start])
    head = bytearray(data[frame.offset : payload_start])
    for index, keep in _private_bit_masks(header.version, header.channels):
        head[index] &= keep
    return bytes(head)


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
