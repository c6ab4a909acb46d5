"""Output profiles in station.yaml: the shipped ones, legal fixtures and refused ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ValidationFailed
from pipeline.project.station import StationReader, load_station
from pipeline.project.yamlsource import load_located

FIXTURES = Path(__file__).parent.parent / "data" / "media" / "profiles"
BAD = sorted(FIXTURES.glob("bad_*.yaml"))
REPO = Path(__file__).parent.parent.parent


def read(path: Path):
    return StationReader(load_located(path, "station.yaml")).read()


def test_the_station_ships_player_player_long_and_radio() -> None:
    station = load_station(REPO)
    assert station.default_profile == "player"
    player, long, radio = (station.profiles[n] for n in ("player", "player-long", "radio"))
    assert (player.codec, player.bitrate_kbps, player.sample_rate, player.channels) == (
        "mp3",
        32,
        22050,
        1,
    )
    assert player.loudness_lufs == -16
    assert (long.codec, long.bitrate_kbps, long.sample_rate, long.channels) == ("mp3", 16, 16000, 1)
    assert (radio.codec, radio.bitrate_kbps, radio.sample_rate, radio.channels) == (
        "wav",
        None,
        48000,
        1,
    )
    assert radio.loudness_lufs == -23
    kinds = {f.kind: f for f in radio.filters}
    assert kinds["highpass"].get("frequency", 0) == 100
    assert kinds["lowpass"].get("frequency", 0) == 4500
    assert {"compressor", "limiter"} <= set(kinds)


def test_legal_profiles_load() -> None:
    station = read(FIXTURES / "good_profiles.yaml")
    assert sorted(station.profiles) == ["player", "player-hq", "player-long", "radio"]
    assert station.profiles["player-hq"].extension == "mp3"
    assert station.profiles["radio"].true_peak_dbtp == -1.5  # the default when not given


@pytest.mark.parametrize("fixture", BAD, ids=lambda p: p.stem)
def test_illegal_profiles_are_refused_with_the_legal_values(fixture: Path) -> None:
    expected = fixture.read_text(encoding="utf-8").splitlines()[0].removeprefix("# error: ")
    with pytest.raises(ValidationFailed) as caught:
        read(fixture)
    assert str(caught.value) == expected
    assert caught.value.exit_code == 2
