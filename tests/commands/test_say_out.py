"""``pipeline say --out``: a quick listening file in the station's voice."""

from __future__ import annotations

from pathlib import Path

from pipeline.audio import mp3frames


def test_say_out_writes_a_levelled_player_mp3(mini_project: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "check.mp3"
    result = cli(
        "say", "--project", str(mini_project), "--lang", "ko", "--out", str(out), "4명 중 1명이 라디오를 듣습니다."
    )
    assert result.code == 0, result.err
    assert result.out.strip() == "네 명 중 한 명이 라디오를 듣습니다."
    info = mp3frames.probe(out.read_bytes())
    assert (info.sample_rate, info.bitrate_kbps, info.channels) == (22050, 32, 1)
    assert 1.5 < info.duration_seconds < 10
    assert b"LAME" not in out.read_bytes()


def test_say_out_refuses_a_wrong_extension(mini_project: Path, tmp_path: Path, cli) -> None:
    result = cli("say", "--project", str(mini_project), "--lang", "ko", "--out", str(tmp_path / "x.wav"), "안녕")
    assert result.code == 2
    assert "profile 'player' writes .mp3 files" in result.err
