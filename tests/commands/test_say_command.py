"""``pipeline say``: normalised text on stdout, one line per chunk; errors as one line."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A content folder with the sample station and a Korean lexicon."""
    station = tmp_path / "scripts_src" / "station.yaml"
    station.parent.mkdir(parents=True)
    shutil.copy(REPO / "scripts_src" / "station.yaml", station)
    lexicon = tmp_path / "locales" / "ko" / "lexicon.yaml"
    lexicon.parent.mkdir(parents=True)
    lexicon.write_text("# test lexicon\nIve: 아이브\n", encoding="utf-8")
    return tmp_path


def say(project: Path, *args: str) -> int:
    return main(["say", "--project", str(project), *args])


def test_prints_one_line_per_chunk_marking_other_voices(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(project, "--lang", "ko", "드라마 Crash Landing on You를 2022년 3월 21일에 봤다") == 0
    assert capsys.readouterr().out == ("드라마\n[en] Crash Landing on You\n를 이천이십이 년 삼 월 이십일 일에 봤다\n")


def test_words_of_the_text_may_be_separate_arguments(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(project, "--lang", "ko", "4명", "중", "1명") == 0
    assert capsys.readouterr().out == "네 명 중 한 명\n"


def test_uses_the_project_lexicon(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(project, "--lang", "ko", "Ive 걸그룹") == 0
    assert capsys.readouterr().out == "아이브 걸그룹\n"


def test_transliterate_on_request(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(project, "--lang", "ko", "--unknown-latin", "transliterate", "Crash 랜딩") == 0
    assert capsys.readouterr().out == "크래시 랜딩\n"


def test_follows_the_station_policy(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    station = project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    station.write_text(text.replace("english-voice}", "transliterate}"), encoding="utf-8")
    assert say(project, "--lang", "ko", "Crash 랜딩") == 0
    assert capsys.readouterr().out == "크래시 랜딩\n"


def test_english(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(project, "--lang", "en", "Ms. Kim paid $4 on March 21, 2022.") == 0
    assert capsys.readouterr().out == ("Miz Kim paid four dollars on March twenty-first, twenty twenty-two.\n")


def test_reads_lines_from_standard_input(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("UN과 BTS\n\n46%\n"))
    assert say(project, "--lang", "ko") == 0
    assert capsys.readouterr().out == "유엔과 비티에스\n사십육 퍼센트\n"


def test_a_language_the_station_lacks_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(project, "--lang", "ja", "text") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "--lang ja: the station has no such language (known: ko, en)\n"


def test_an_invalid_lexicon_is_reported_with_file_and_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "locales" / "ko" / "lexicon.yaml").write_text("UN: 유엔\nBTS: BTS\n")
    assert say(project, "--lang", "ko", "UN") == 2
    assert capsys.readouterr().err == (
        "locales/ko/lexicon.yaml:2: BTS: the Korean voice cannot read Latin letters in 'BTS': "
        "write it in Hangul, or add 'lang: en' to have the English voice read it\n"
    )


def test_outside_a_content_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert say(tmp_path, "--lang", "ko", "UN") == 2
    assert "not a content folder" in capsys.readouterr().err


def test_the_installed_command_reads_a_pipe(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "say", "--project", str(project), "--lang", "ko"],
        input="약 600만 대, US$6~7\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "약 육백만 대, 미화 육칠 달러\n",
        "",
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_text_or_a_pipe_it_asks_for_text(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal())
    assert say(project, "--lang", "ko") == 2
    assert capsys.readouterr().err == "give the text to say, or pipe it on standard input\n"


def test_pronounced_prints_what_the_voice_is_given_one_line_per_input_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert say(project, "--lang", "ko", "--pronounced", "국민 여러분, 드라마 Crash Landing on You를 봤습니다") == 0
    assert capsys.readouterr().out == "궁민 여러분, 드라마 [en] Crash Landing on You 를 봗씀니다\n"


def test_pronounced_reads_standard_input_line_by_line(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "say", "--project", str(project), "--lang", "ko", "--pronounced"],
        input="신라의 값이\n\n할 것을 합니다\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "실라에 갑씨\n\n할 꺼슬 함니다\n"


def test_pronounced_follows_the_voice_setting_and_the_lexicon(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station = project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    station.write_text(text.replace("rate: 145, volume: 1.0}", "rate: 145, volume: 1.0, pronounce: as-written}"))
    lexicon = project / "locales" / "ko" / "lexicon.yaml"
    lexicon.write_text("pronounce:\n  광한루: 광할루\n", encoding="utf-8")
    assert say(project, "--lang", "ko", "--pronounced", "광한루에 갔습니다") == 0
    assert say(project, "--lang", "ko", "--pronounced", "--role", "guest", "광한루에 갔습니다") == 0
    assert say(project, "--lang", "ko", "광한루에 갔습니다") == 0
    assert capsys.readouterr().out == "광할루에 갇씀니다\n광한루에 갔습니다\n광한루에 갔습니다\n"


def test_a_bad_pronounce_entry_is_one_line_with_file_and_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lexicon = project / "locales" / "ko" / "lexicon.yaml"
    lexicon.write_text("UN: 유엔\npronounce:\n  광한루: 광할\n", encoding="utf-8")
    assert say(project, "--lang", "ko", "--pronounced", "광한루") == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "locales/ko/lexicon.yaml:3: pronounce.광한루: '광할' has 2 syllables, '광한루' has 3: "
        "give the pronunciation syllable for syllable"
    ]
