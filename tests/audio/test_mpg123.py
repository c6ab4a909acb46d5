"""libmpg123 through ctypes: the samples libsndfile's decoder gives, a block at a time, and clear errors."""

from __future__ import annotations

from pathlib import Path

import lameenc
import numpy as np
import pytest

from pipeline.audio import dsp, mpg123
from pipeline.audio import level as audio
from pipeline.errors import AudioError
from pipeline.project.station import Profile

RATE = 22050
PLAYER = Profile("player", "mp3", 32, RATE, 1, -16.0, -1.5)


def _encoded(seconds: float, seed: int = 3) -> bytes:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(round(RATE * seconds)).astype(np.float32) * np.float32(0.25)
    tone = np.sin(2 * np.pi * 330 * np.arange(len(noise)) / RATE).astype(np.float32) * np.float32(0.5)
    return audio._lame_encode(dsp.to_pcm(noise + tone), PLAYER)


def _libsndfile(encoded: bytes, tmp_path: Path) -> np.ndarray:
    path = tmp_path / "file.mp3"
    path.write_bytes(encoded)
    return audio._decode_mp3(path)


@pytest.mark.parametrize("size", [100, 576, 5000, RATE * 60])
def test_blocks_of_any_size_join_into_libsndfiles_samples(size: int, tmp_path: Path) -> None:
    encoded = _encoded(4.0)
    blocks = list(mpg123.decoded_blocks(encoded, RATE, size))
    assert all(len(block) == size for block in blocks[:-1]) and 0 < len(blocks[-1]) <= size
    assert all(block.dtype == np.float32 for block in blocks)
    assert np.array_equal(np.concatenate(blocks), _libsndfile(encoded, tmp_path))


def test_a_file_longer_than_one_feed_is_decoded_whole(tmp_path: Path) -> None:
    encoded = _encoded(30.0, seed=8)  # 120 kB: two pieces fed
    assert len(encoded) > 1 << 16
    decoded = np.concatenate(list(mpg123.decoded_blocks(encoded, RATE, 10_000)))
    assert np.array_equal(decoded, _libsndfile(encoded, tmp_path))


def test_peaks_over_full_scale_are_kept() -> None:
    tone = np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE).astype(np.float32) * np.float32(0.999)
    encoded = audio._lame_encode(dsp.to_pcm(tone), PLAYER)
    assert np.concatenate(list(mpg123.decoded_blocks(encoded, RATE, 4096))).max() > 1.0


def test_bytes_that_are_not_mp3_are_a_clear_error() -> None:
    with pytest.raises(AudioError, match=r"^cannot decode junk\.mp3: no MPEG audio frame in it$"):
        list(mpg123.decoded_blocks(b"not audio at all" * 100, RATE, 4096, what="junk.mp3"))


def test_a_stream_at_another_rate_is_a_clear_error() -> None:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(16000)
    encoder.set_channels(1)
    encoded = bytes(encoder.encode(np.zeros(16000, dtype=np.int16).tobytes()) + encoder.flush())
    with pytest.raises(AudioError, match=r"cannot decode the encoded segment: it is 16000 Hz with 1 channel"):
        list(mpg123.decoded_blocks(encoded, RATE, 4096))


def test_the_build_checks_with_libmpg123_where_it_is_installed() -> None:
    assert mpg123.available()
    assert "libmpg123" in audio.check_in_process_codec()
