"""Lyrics, playlists and transcript: not made again when nothing they come from changed."""

from __future__ import annotations

from pathlib import Path

COMPANIONS = ("*.lrc", "*.srt", "playlist.m3u8", "playlist.m3u", "transcript.txt")


def companions(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Content and modification time of every companion file of an output folder."""
    found = sorted({path for pattern in COMPANIONS for path in folder.glob(pattern)})
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in found}


def test_a_no_op_build_leaves_companions_alone_and_a_damaged_one_is_made_again(mini_project: Path, cli) -> None:
    build = ("build", "--lang", "en", "--jobs", "1", "--project", str(mini_project))
    assert cli(*build).code == 0
    folder = mini_project / "output" / "mini" / "en"
    before = companions(folder)
    assert len(before) == 11  # LRC and SRT for 3 segments and the episode, 2 playlists, the transcript
    assert cli(*build).code == 0
    assert companions(folder) == before  # same bytes, not even rewritten
    lyrics = sorted(folder.glob("*.lrc"))[0]
    lyrics.unlink()
    (folder / "transcript.txt").write_text("edited by hand\n", encoding="utf-8")
    assert cli(*build).code == 0
    after = companions(folder)
    assert {name: data for name, (data, _) in after.items()} == {name: data for name, (data, _) in before.items()}
    assert after["playlist.m3u8"] == before["playlist.m3u8"]  # intact ones are compared, not rewritten
