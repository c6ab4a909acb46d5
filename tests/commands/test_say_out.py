"""``pipeline say --out``: a quick listening file in the station's voice."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import tts
from pipeline.audio import mp3frames
from pipeline.tts.espeak import EspeakNgBackend


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


def test_ctrl_c_as_say_out_finishes_leaves_no_staged_file(
    mini_project: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the engines are closed, once the file has been made (closing them waits for
    the engines to leave): the command says it was interrupted, no staged file is left, and the
    engines are let go all the same. The Ctrl-C is the KeyboardInterrupt Python's SIGINT handler
    raises in the main thread, raised right there: a signal sent to the test's own process
    reaches the main thread whenever the interpreter next looks, which depends on what else
    the test session left running."""
    out = tmp_path / "check.mp3"
    real_close = EspeakNgBackend.close
    closed: list[bool] = []

    def close_then_ctrl_c(backend: EspeakNgBackend) -> None:
        real_close(backend)
        closed.append(out.exists())
        if list(tmp_path.glob(".check.mp3.*.part")) or out.exists():
            raise KeyboardInterrupt

    monkeypatch.setattr(EspeakNgBackend, "close", close_then_ctrl_c)
    result = cli("say", "--project", str(mini_project), "--lang", "ko", "--out", str(out), "안녕하세요.")
    assert closed == [True]  # closed once, after the file was put in place
    assert (result.code, result.err.strip()) == (130, "interrupted (SIGINT)")
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".part")] == []
    assert tts._BACKENDS == {}  # an interrupted close still lets every engine go
