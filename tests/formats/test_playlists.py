"""UTF-8 and ASCII playlists."""

from __future__ import annotations

import pytest

from pipeline.formats.playlists import PlaylistEntry, read_playlist_paths, to_ascii_m3u, to_m3u8

ENTRIES = [
    PlaylistEntry("01-opening.mp3", "여는 말", 12.2),
    PlaylistEntry("sub\\02-story.mp3", "작은\n플레이어, 큰 세상", 61.0),
]


def test_m3u8_is_utf8_with_relative_slash_paths() -> None:
    assert to_m3u8(ENTRIES) == (
        "#EXTM3U\n#EXTINF:13,여는 말\n01-opening.mp3\n#EXTINF:61,작은 플레이어, 큰 세상\nsub/02-story.mp3\n"
    )


def test_ascii_twin_has_no_byte_above_127() -> None:
    text = to_ascii_m3u(ENTRIES)
    assert text.encode("ascii")
    assert text == (
        "#EXTM3U\r\n"
        "#EXTINF:13,YeoNeun Mal\r\n"
        "01-opening.mp3\r\n"
        "#EXTINF:61,JagEun PeulLeIEo, Keun SeSang\r\n"
        "sub/02-story.mp3\r\n"
    )
    assert read_playlist_paths(text) == ["01-opening.mp3", "sub/02-story.mp3"]


def test_writers_are_deterministic() -> None:
    assert to_m3u8(ENTRIES) == to_m3u8(list(ENTRIES))
    assert to_ascii_m3u(ENTRIES) == to_ascii_m3u(list(ENTRIES))


def test_unsafe_paths_are_refused() -> None:
    with pytest.raises(ValueError, match="relative"):
        to_m3u8([PlaylistEntry("/abs/x.mp3", "x", 1)])
    with pytest.raises(ValueError, match="relative"):
        to_m3u8([PlaylistEntry("../x.mp3", "x", 1)])
    with pytest.raises(ValueError, match="non-ASCII"):
        to_ascii_m3u([PlaylistEntry("라디오.mp3", "x", 1)])
