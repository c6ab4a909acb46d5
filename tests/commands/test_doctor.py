"""``pipeline doctor``: every program, library and voice a build needs, checked for real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.audio import level as audio
from pipeline.errors import AudioError


def test_doctor_passes_on_a_complete_machine(mini_project: Path, cli) -> None:
    result = cli("doctor", "--project", str(mini_project))
    assert result.code == 0, result.out + result.err
    checks = ("ffmpeg", "mp3 encoder", "in-process mp3", "espeak-ng", "msgfmt", "card images", "voice ko/host")
    for check in checks:
        assert f"ok    {check}:" in result.out
    assert "ok    korean pronunciation: mecab-ko analyser loaded: 합니다 → 함니다" in result.out
    assert "all checks passed" in result.out


def test_in_process_codec_check_fails_clearly_when_decoding_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio, "_decoded_blocks", lambda *arguments: iter([np.zeros(0, dtype=np.float32)]))
    with pytest.raises(AudioError, match="decoded less audio than LAME encoded"):
        audio.check_in_process_codec()
