"""The station's ``speech:`` settings: parsed policy and compiler-style problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ValidationFailed
from pipeline.project.station import ENGLISH_VOICE, TRANSLITERATE, load_station

REPO = Path(__file__).resolve().parents[2]
SAMPLE_STATION = (REPO / "scripts_src" / "station.yaml").read_text(encoding="utf-8")


def station_with_speech(tmp_path: Path, speech_block: str) -> Path:
    """A project whose station.yaml is the sample one with ``speech_block`` instead of its own."""
    lines = SAMPLE_STATION.splitlines()
    start = lines.index("speech:")
    kept = [*lines[:start], *speech_block.splitlines(), *lines[start + 2 :]]
    target = tmp_path / "scripts_src" / "station.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return tmp_path


def speech_line() -> int:
    return SAMPLE_STATION.splitlines().index("speech:") + 1


def test_sample_station_routes_unknown_latin_words_to_the_english_voice() -> None:
    station = load_station(REPO)
    assert station.speech_settings("ko").unknown_latin == ENGLISH_VOICE


def test_transliterate_policy_is_parsed(tmp_path: Path) -> None:
    root = station_with_speech(tmp_path, "speech:\n  ko: {unknown_latin: transliterate}")
    assert load_station(root).speech_settings("ko").unknown_latin == TRANSLITERATE


def test_missing_speech_block_means_the_default(tmp_path: Path) -> None:
    root = station_with_speech(tmp_path, "")
    station = load_station(root)
    assert station.speech == {}
    assert station.speech_settings("ko").unknown_latin == ENGLISH_VOICE


@pytest.mark.parametrize(
    ("block", "offset", "expected"),
    [
        (
            "speech:\n  ko: {unknown_latin: spell}",
            1,
            "speech.ko.unknown_latin: expected one of [english-voice, transliterate], got 'spell'",
        ),
        (
            "speech:\n  ja: {unknown_latin: transliterate}",
            1,
            "speech.ja: unknown language 'ja' (known: ko, en)",
        ),
        (
            "speech:\n  ko: {latin: transliterate}",
            1,
            "speech.ko.latin: unknown key 'latin' (known: unknown_latin)",
        ),
        (
            "speech:\n  en: {unknown_latin: transliterate}",
            1,
            "speech.en.unknown_latin: has no effect for 'en': its own voice reads Latin words",
        ),
        ("speech: english-voice", 0, "speech: expected a mapping, got text"),
    ],
)
def test_invalid_speech_settings_are_reported_with_file_and_line(
    tmp_path: Path, block: str, offset: int, expected: str
) -> None:
    root = station_with_speech(tmp_path, block)
    with pytest.raises(ValidationFailed) as caught:
        load_station(root)
    line = speech_line() + offset
    assert str(caught.value) == f"scripts_src/station.yaml:{line}: {expected}"
