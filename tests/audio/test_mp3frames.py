"""MP3 frame parsing, scrubbing and joining, proven against ffmpeg's decoder."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio import mp3frames
from pipeline.audio.mp3frames import audio_span, concat, iter_frames, parse_header, probe, scrub_ancillary
from pipeline.errors import AudioError
from tests.audio_fixtures import decode_pcm, encode_mp3, run

SIGNATURES = re.compile(rb"LAME|Lavf|Lavc")
# (sample rate, kbps, channels): MPEG-2 and MPEG-1, mono and stereo.
SETTINGS = [
    (22050, 32, 1),
    (16000, 16, 1),
    (24000, 48, 2),
    (44100, 128, 2),
    (48000, 64, 1),
    (32000, 56, 2),
]


@pytest.fixture(scope="module")
def encodings(tmp_path_factory: pytest.TempPathFactory, speech_wavs: dict[str, Path]) -> dict:
    """Each setting of SETTINGS encoded from the same speech, without an Info frame."""
    folder = tmp_path_factory.mktemp("mp3")
    return {s: encode_mp3(speech_wavs["story"], folder / "{}-{}-{}.mp3".format(*s), *s) for s in SETTINGS}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: f"{s[0]}Hz-{s[1]}k-{s[2]}ch")
def test_scrub_keeps_the_audio_and_removes_the_encoder_name(encodings: dict, setting) -> None:
    original = encodings[setting].read_bytes()
    assert b"LAME3." in original  # LAME signs the unused bits of CBR frames

    scrubbed = scrub_ancillary(original)

    assert SIGNATURES.search(scrubbed) is None
    assert len(scrubbed) == len(original)
    before, _ = decode_pcm(original)
    after, errors = decode_pcm(scrubbed)
    assert errors == b""
    assert len(after) > 0
    assert after == before


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: f"{s[0]}Hz-{s[1]}k-{s[2]}ch")
def test_scrub_keeps_exactly_the_bits_the_frames_claim(encodings: dict, setting) -> None:
    """Checked bit by bit against the side information: a payload bit survives exactly when
    some frame's main data (main_data_begin bytes back, part2_3_length bits long) covers it;
    headers and side information are unchanged but for the private bits."""
    original = encodings[setting].read_bytes()
    frames = list(iter_frames(original))
    scrubbed = scrub_ancillary(original)

    payload_bits = [np.unpackbits(np.frombuffer(original[f.payload_offset : f.end], np.uint8)) for f in frames]
    reservoir = np.concatenate(payload_bits)
    claimed = np.zeros(reservoir.size, dtype=bool)
    position = 0
    for frame, bits in zip(frames, payload_bits, strict=True):
        start = (position - frame.main_data_begin) * 8
        position += bits.size // 8
        claimed[max(start, 0) : min(start + frame.main_data_bits, position * 8)] = True
    expected_payload = np.packbits(reservoir & claimed)
    got = np.frombuffer(scrubbed, np.uint8)
    got_payload = np.concatenate([got[f.payload_offset : f.end] for f in frames])
    assert np.array_equal(got_payload, expected_payload)
    assert claimed.mean() < 1.0  # there were unclaimed bits to clear
    for frame in frames:
        side = frame.header.header_length, frame.payload_offset - frame.offset
        before = np.unpackbits(np.frombuffer(original[frame.offset + side[0] : frame.payload_offset], np.uint8))
        after = np.unpackbits(got[frame.offset + side[0] : frame.payload_offset])
        begin_width, private = (9, 5 if setting[2] == 1 else 3) if setting[0] > 24000 else (8, setting[2])
        assert not after[begin_width : begin_width + private].any()
        keep = np.ones(before.size, dtype=bool)
        keep[begin_width : begin_width + private] = False
        assert np.array_equal(before[keep], after[keep])
        assert scrubbed[frame.offset : frame.offset + side[0]] == original[frame.offset : frame.offset + side[0]]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: f"{s[0]}Hz-{s[1]}k-{s[2]}ch")
def test_a_stream_scrubbed_in_small_batches_is_scrubbed_as_in_one(
    encodings: dict, setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of frames carry the bit reservoir across: main data borrowed from the batch
    before is kept, and the frames and their totals are those of one batch."""
    original = encodings[setting].read_bytes()
    whole, whole_info = mp3frames.scrub_and_probe(original)
    monkeypatch.setattr(mp3frames, "_FRAMES_AT_ONCE", 24)  # 24 frames of any rate reach past 511 bytes
    assert len(list(iter_frames(original))) > 3 * 24
    assert mp3frames.scrub_and_probe(original) == (whole, whole_info)
    assert probe(original) == whole_info


def test_scrub_is_idempotent(encodings: dict) -> None:
    once = scrub_ancillary(encodings[(22050, 32, 1)].read_bytes())
    assert scrub_ancillary(once) == once


def test_scrub_drops_the_info_frame(tmp_path: Path, speech_wavs: dict[str, Path]) -> None:
    with_info = encode_mp3(speech_wavs["story"], tmp_path / "info.mp3", info_frame=True)
    without = encode_mp3(speech_wavs["story"], tmp_path / "plain.mp3")
    data = with_info.read_bytes()
    assert probe(data).header_frame
    assert b"Info" in data[:200]

    scrubbed = scrub_ancillary(data)

    assert not probe(scrubbed).header_frame
    assert SIGNATURES.search(scrubbed) is None
    assert scrubbed == scrub_ancillary(without.read_bytes())


def test_scrub_keeps_tags_around_the_frames(encodings: dict) -> None:
    frames = encodings[(22050, 32, 1)].read_bytes()
    head = b"ID3\x03\x00\x00\x00\x00\x00\x05" + b"\x00" * 5
    tail = b"TAG" + b"x" * 125
    scrubbed = scrub_ancillary(head + frames + tail)
    assert scrubbed.startswith(head)
    assert scrubbed.endswith(tail)
    assert scrubbed[len(head) : -len(tail)] == scrub_ancillary(frames)


@pytest.mark.parametrize("setting", SETTINGS[:4], ids=lambda s: f"{s[0]}Hz-{s[1]}k-{s[2]}ch")
def test_probe_agrees_with_ffprobe(encodings: dict, setting) -> None:
    path = encodings[setting]
    info = probe(path.read_bytes())
    fields = run(
        "ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
        "stream=sample_rate,channels,bit_rate,duration", "-of", "default=nw=1", str(path),
    ).decode()  # fmt: skip
    found = dict(line.split("=", 1) for line in fields.split())
    assert info.sample_rate == int(found["sample_rate"]) == setting[0]
    assert info.channels == int(found["channels"]) == setting[2]
    assert info.bitrate_kbps * 1000 == int(found["bit_rate"])
    assert info.constant_bitrate
    assert info.layer == 3
    assert info.version == ("1" if setting[0] >= 32000 else "2")
    assert info.duration_seconds == pytest.approx(float(found["duration"]), abs=0.03)


def test_concat_joins_streams_frame_exactly(tmp_path: Path, speech_wavs: dict[str, Path]) -> None:
    parts = [
        scrub_ancillary(encode_mp3(speech_wavs[name], tmp_path / f"{name}.mp3").read_bytes())
        for name in ("opening", "story", "closing")
    ]
    joined = concat(parts)

    assert joined == b"".join(parts)  # tag-less, Info-less inputs: the frames as they were
    assert probe(joined).frame_count == sum(probe(part).frame_count for part in parts)
    pcm, errors = decode_pcm(joined)
    assert errors == b""
    pieces = [decode_pcm(part)[0] for part in parts]
    assert len(pcm) == sum(len(piece) for piece in pieces)
    assert pcm.startswith(pieces[0])
    # Past the decoder's overlap with the previous stream, every sample is the segment's own.
    settle = 2 * 576 * 2
    second = pcm[len(pieces[0]) : len(pieces[0]) + len(pieces[1])]
    assert second[settle:] == pieces[1][settle:]


def test_concat_leaves_out_tags_and_info_frames(tmp_path: Path, speech_wavs) -> None:
    plain = encode_mp3(speech_wavs["opening"], tmp_path / "a.mp3").read_bytes()
    tagged = encode_mp3(speech_wavs["closing"], tmp_path / "b.mp3", info_frame=True).read_bytes()
    tagged = b"ID3\x03\x00\x00\x00\x00\x00\x00" + tagged
    joined = concat([plain, tagged])
    assert not joined.startswith(b"ID3")
    info = probe(joined)
    assert not info.header_frame
    assert info.frame_count == probe(plain).frame_count + probe(tagged).frame_count


def test_concat_refuses_a_stream_without_audio_frames(tmp_path: Path, speech_wavs) -> None:
    plain = encode_mp3(speech_wavs["opening"], tmp_path / "a.mp3").read_bytes()
    with_info = encode_mp3(speech_wavs["closing"], tmp_path / "b.mp3", info_frame=True).read_bytes()
    info_only = with_info[: next(iter_frames(with_info)).end]
    for empty in (b"", b"ID3\x03\x00\x00\x00\x00\x00\x00", info_only):
        with pytest.raises(AudioError, match="stream 2: no MPEG audio frames found"):
            concat([plain, empty])


def test_concat_refuses_mismatched_streams(encodings: dict) -> None:
    player = encodings[(22050, 32, 1)].read_bytes()
    other = encodings[(16000, 16, 1)].read_bytes()
    with pytest.raises(AudioError) as caught:
        concat([player, other])
    message = str(caught.value)
    assert "stream 2 cannot be joined to stream 1" in message
    assert "MPEG-2 Layer III, 16000 Hz, 16 kbps, mono" in message
    assert "22050 Hz, 32 kbps" in message


def test_concat_names_a_mismatched_frame_inside_a_stream(encodings: dict) -> None:
    player = encodings[(22050, 32, 1)].read_bytes()
    other = encodings[(16000, 16, 1)].read_bytes()
    stray = next(frame for frame in iter_frames(other) if not frame.is_header_frame)
    mixed = player + other[stray.offset : stray.end]
    with pytest.raises(AudioError, match=f"stream 2 cannot be joined to stream 1: frame at byte {len(player)} is"):
        concat([player, mixed])


def test_concat_refuses_a_stream_cut_from_the_middle(encodings: dict) -> None:
    data = encodings[(22050, 32, 1)].read_bytes()
    frames = list(iter_frames(data))
    borrowing = next(f for f in frames if f.main_data_begin > 0)
    with pytest.raises(AudioError, match="stream 2 does not start cleanly"):
        concat([data, data[borrowing.offset :]])


def test_truncated_stream_is_reported(encodings: dict) -> None:
    data = encodings[(22050, 32, 1)].read_bytes()
    with pytest.raises(AudioError, match=r"truncated: the frame at byte \d+ needs 10[45] bytes"):
        probe(data[:-50])


def test_garbage_is_not_mistaken_for_frames() -> None:
    with pytest.raises(AudioError, match="no MPEG audio frame header at byte 0"):
        probe(b"RIFF" + b"\x01" * 400)
    with pytest.raises(AudioError, match="no MPEG audio frames found"):
        probe(b"")


def test_header_fields_and_frame_length() -> None:
    header = parse_header(bytes.fromhex("fff340c4"))
    assert header is not None
    assert (header.version, header.layer, header.bitrate_kbps, header.sample_rate) == (
        "2",
        3,
        32,
        22050,
    )
    assert (header.channel_mode, header.protected, header.padding) == ("mono", False, False)
    assert header.length == 104  # 72 * 32000 / 22050, rounded down
    assert header.samples == 576
    assert header.side_info_length == 9
    stereo = parse_header(bytes.fromhex("fffb9264"))  # MPEG-1, 128 kbps, 44.1 kHz, padded
    assert stereo is not None
    assert (stereo.version, stereo.bitrate_kbps, stereo.sample_rate) == ("1", 128, 44100)
    assert stereo.padding and stereo.channel_mode == "joint_stereo"
    assert stereo.length == 418
    assert stereo.side_info_length == 32
    assert parse_header(bytes.fromhex("ffe80000")) is None  # reserved version
    assert parse_header(bytes.fromhex("fff3f0c4")) is None  # bad bitrate index


def test_audio_span_skips_id3v2_id3v1_and_ape() -> None:
    frames = b"\xff\xf3\x40\xc4" + b"\x00" * 100
    id3v2 = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10
    ape_items = b"i" * 20
    ape_footer = b"APETAGEX" + (2000).to_bytes(4, "little") + (20 + 32).to_bytes(4, "little")
    ape_footer += b"\x00" * 16
    id3v1 = b"TAG" + b" " * 125
    data = id3v2 + frames + ape_items + ape_footer + id3v1
    assert audio_span(data) == (len(id3v2), len(id3v2) + len(frames))


def test_concat_names_the_first_mismatched_frame_of_a_long_stream(encodings: dict) -> None:
    """Frames of two foreign kinds far into a stream (past the frames walked at a time): the
    first of them is the one named, and the frames after it do not change that."""
    player = encodings[(22050, 32, 1)].read_bytes()
    frames = [frame for frame in iter_frames(player) if not frame.is_header_frame]
    body = b"".join(player[frame.offset : frame.end] for frame in frames)
    long_stream = body * (mp3frames._FRAMES_AT_ONCE // len(frames) + 2)
    strays = []
    for setting in ((16000, 16, 1), (24000, 48, 2)):
        other = encodings[setting].read_bytes()
        stray = next(frame for frame in iter_frames(other) if not frame.is_header_frame)
        strays.append(other[stray.offset : stray.end])
    mixed = long_stream + strays[1] + body + strays[0] + strays[1]
    named = f"frame at byte {len(long_stream)} is MPEG-2 Layer III, 24000 Hz, 48 kbps, stereo"
    with pytest.raises(AudioError, match=named):
        concat([player, mixed])


def test_concat_of_streams_whose_info_frame_alone_has_its_header(tmp_path: Path, speech_wavs) -> None:
    """An Info frame written at another bitrate than the audio (as VBR encoders do) is left out
    and not held against the stream."""
    plain = encode_mp3(speech_wavs["opening"], tmp_path / "a.mp3").read_bytes()
    with_info = encode_mp3(speech_wavs["closing"], tmp_path / "b.mp3", info_frame=True).read_bytes()
    info = next(iter_frames(with_info))
    assert info.is_header_frame
    other = encode_mp3(speech_wavs["closing"], tmp_path / "c.mp3", info_frame=True, bitrate=64).read_bytes()
    foreign_info = next(iter_frames(other))
    assert foreign_info.is_header_frame and foreign_info.header.bitrate_kbps != info.header.bitrate_kbps
    stream = other[foreign_info.offset : foreign_info.end] + with_info[info.end :]
    assert concat([plain, stream]) == concat([plain, with_info])
