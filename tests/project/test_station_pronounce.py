"""The voices' ``pronounce`` setting: defaults, parsing and compiler-style problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ValidationFailed
from pipeline.project.station import PRONOUNCE_AS_WRITTEN, PRONOUNCE_STANDARD, load_station

REPO = Path(__file__).resolve().parents[2]
SAMPLE_STATION = (REPO / "scripts_src" / "station.yaml").read_text(encoding="utf-8")
KO_HOST = "    host:  {backend: espeak-ng, voice: ko, rate: 150, volume: 1.0}"
EN_HOST = "    host:  {backend: espeak-ng, voice: en-us, rate: 155, volume: 1.0}"


def station_with(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The sample station with one line replaced; the project root and that line's number."""
    lines = SAMPLE_STATION.splitlines()
    index = lines.index(old)
    lines[index] = new
    target = tmp_path / "scripts_src" / "station.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path, index + 1


def test_korean_voices_respell_by_default_and_others_do_not() -> None:
    station = load_station(REPO)
    assert station.voice("ko", "host").pronounce == PRONOUNCE_STANDARD
    assert station.voice("en", "host").pronounce == PRONOUNCE_AS_WRITTEN
    assert station.respells("ko") and not station.respells("en")


def test_as_written_is_parsed(tmp_path: Path) -> None:
    root, _ = station_with(tmp_path, KO_HOST, KO_HOST.replace("}", ", pronounce: as-written}"))
    station = load_station(root)
    assert station.voice("ko", "host").pronounce == PRONOUNCE_AS_WRITTEN
    assert station.voice("ko", "guest").pronounce == PRONOUNCE_STANDARD
    assert station.respells("ko")


@pytest.mark.parametrize(
    ("old", "setting", "expected"),
    [
        (KO_HOST, "pronounce: loud", "voices.ko.host.pronounce: expected one of [standard, as-written], got 'loud'"),
        (
            EN_HOST,
            "pronounce: standard",
            "voices.en.host.pronounce: has no effect for 'en': only Korean has pronunciation rules (use as-written)",
        ),
    ],
)
def test_invalid_settings_are_reported_with_file_and_line(
    tmp_path: Path, old: str, setting: str, expected: str
) -> None:
    root, line = station_with(tmp_path, old, old.replace("}", f", {setting}}}"))
    with pytest.raises(ValidationFailed) as caught:
        load_station(root)
    assert str(caught.value) == f"scripts_src/station.yaml:{line}: {expected}"


BETWEEN_VOICES = next(line for line in SAMPLE_STATION.splitlines() if line.startswith("  between_voices:"))


def test_the_pause_between_voices_is_read_and_checked(tmp_path: Path) -> None:
    assert load_station(REPO).pauses.between_voices == 0.12
    root, _ = station_with(tmp_path / "good", BETWEEN_VOICES, "  between_voices: 0.2")
    assert load_station(root).pauses.between_voices == 0.2
    root, line = station_with(tmp_path / "bad", BETWEEN_VOICES, "  between_voices: -1")
    with pytest.raises(ValidationFailed) as caught:
        load_station(root)
    assert str(caught.value).startswith(f"scripts_src/station.yaml:{line}: pauses.between_voices: ")
