"""Adding a language to station.yaml: new lines only, every comment and space kept."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.i18n.station_edit import add_language
from pipeline.project.layout import STATION_FILE
from pipeline.project.station import load_station

SHOWN = "scripts_src/station.yaml"


def _changes(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_a_new_language_is_spliced_in_with_the_layout_of_its_neighbours(project: Path) -> None:
    path = project / STATION_FILE
    before = path.read_text()
    after = add_language(before, SHOWN, "ja")
    assert _changes(before, after) == [
        "-languages: [ko, en]             # languages every episode is built in",
        "+languages: [ko, en, ja]         # languages every episode is built in",
        "+  ja:",
        "+    host:  {backend: espeak-ng, voice: ja, rate: 155, volume: 1.0}",
        "+    guest: {backend: espeak-ng, voice: ja+f3, rate: 150, volume: 1.0}",
        "+  ja: {syllables_per_minute: 300}",
    ]
    path.write_text(after)
    station = load_station(project)
    assert station.languages == ("ko", "en", "ja")
    assert station.voice("ja", "guest").voice == "ja+f3"
    assert station.speaking_rates["ja"].unit == "syllables"


def test_a_chosen_voice_keeps_each_roles_variant(project: Path) -> None:
    before = (project / STATION_FILE).read_text()
    after = add_language(before, SHOWN, "zh", voice="cmn")
    assert "+    host:  {backend: espeak-ng, voice: cmn, rate: 155, volume: 1.0}" in _changes(before, after)
    assert "+    guest: {backend: espeak-ng, voice: cmn+f3, rate: 150, volume: 1.0}" in _changes(before, after)


BLOCK_STATION = """\
name: Open Window Radio
source_language: en
languages:
  - ko   # first
  - en
voices:
  ko:
    host:
      backend: espeak-ng
      voice: ko   # the only Korean voice
  en:
    # American English reads the scripts
    host:
      backend: espeak-ng
      voice: en-us
profiles:
  player: {codec: mp3, bitrate: 32, sample_rate: 22050}
"""


def test_block_style_files_get_block_style_entries(tmp_path: Path) -> None:
    after = add_language(BLOCK_STATION, SHOWN, "fr")
    assert _changes(BLOCK_STATION, after) == [
        "+  - fr",
        "+  fr:",
        "+    host:",
        "+      backend: espeak-ng",
        "+      voice: fr",
        "+",
        "+speaking_rate:",
        "+  fr: {words_per_minute: 150}",
    ]
    (tmp_path / "scripts_src").mkdir()
    (tmp_path / STATION_FILE).write_text(after)
    assert load_station(tmp_path).languages == ("ko", "en", "fr")


@pytest.mark.parametrize(
    ("text", "lang", "message"),
    [
        (BLOCK_STATION, "ko", "scripts_src/station.yaml:4: language 'ko' is already listed"),
        (
            BLOCK_STATION.replace("voices:\n", "voices: {ko: {host: {voice: ko}}}\nold_voices:\n"),
            "fr",
            "scripts_src/station.yaml:6: cannot add a language to a one-line 'voices:' mapping; write it as a block",
        ),
        ("languages: [ko\n", "fr", "scripts_src/station.yaml:2: YAML syntax error"),
    ],
)
def test_impossible_edits_are_refused(text: str, lang: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        add_language(text, SHOWN, lang)
    assert str(caught.value).startswith(message)
