"""The pauses heard are the pauses configured: the engine's own silence is trimmed from every
synthesised part. Measured with ffmpeg's silencedetect on built audio."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio.level import EDGE_GUARD_SECONDS, PADDING_LEVEL_DBFS, trim_silence
from pipeline.formats.lyrics import parse_srt
from pipeline.project.station import load_station
from tests.audio_fixtures import silences, speak
from tests.conftest import DATA

TOLERANCE = 0.05  # seconds: what the station configures is what is heard, within this
SENTENCES = "첫 번째 문장입니다. 두 번째 문장은 조금 더 깁니다. 마지막 문장입니다."


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("pauses") / "mini"
    shutil.copytree(DATA / "mini", target, ignore=shutil.ignore_patterns("output", ".cache"))
    return target


def inner_silences(path: Path) -> list[float]:
    """Durations of the silences heard between the first and the last sound of a file."""
    found = silences(path, shortest=0.25)  # longer than any pause espeak-ng makes inside a sentence
    return [round(end - start, 3) for start, end in found if start > 0.01][:-1]


def test_sentence_pauses_and_the_segment_end_are_as_configured(project: Path, cli) -> None:
    out = project / "say.mp3"
    assert cli("say", "--project", str(project), "--lang", "ko", "--out", str(out), SENTENCES).code == 0
    pauses = load_station(project).pauses
    heard = inner_silences(out)
    assert len(heard) == 2, heard
    assert all(abs(seconds - pauses.sentence) <= TOLERANCE for seconds in heard), heard
    start, end = silences(out, shortest=0.25)[-1]
    assert abs((end - start) - pauses.segment_end) <= TOLERANCE


def test_every_gap_between_sentences_of_a_built_episode_is_a_configured_pause(project: Path, cli) -> None:
    assert cli("build", "--project", str(project)).code == 0
    configured = {0.35, 0.5, 0.6, 0.8, 1.0}  # pauses.sentence and the templates' part pauses (0.5 + 0.3)
    measured = 0
    for srt in sorted((project / "output" / "mini").glob("*/0*.srt")):
        cues = parse_srt(srt.read_text(encoding="utf-8"))
        heard = silences(srt.with_suffix(".mp3"), shortest=0.2)
        for before, after in itertools.pairwise(cues):
            gap = round(after.start - before.end, 3)
            assert any(abs(gap - pause) <= 0.002 for pause in configured), (srt.name, before.text, gap)
            middle = (before.end + after.start) / 2
            silence = next(((s, e) for s, e in heard if s <= middle <= e), None)
            assert silence is not None, (srt.name, before.text)
            assert abs((silence[1] - silence[0]) - gap) <= TOLERANCE, (srt.name, before.text, silence, gap)
            measured += 1
    assert measured >= 10


def test_trimming_cuts_only_what_is_quieter_than_the_padding_level(tmp_path: Path) -> None:
    import soundfile

    wav = speak("국민 여러분, 안녕하십니까.", tmp_path / "speech.wav", voice="ko")
    samples, rate = soundfile.read(wav, dtype="int16")
    trimmed = np.frombuffer(trim_silence(samples.tobytes(), rate), dtype="<i2")
    start = next(i for i in range(samples.size) if np.array_equal(samples[i : i + trimmed.size], trimmed))
    dropped = np.concatenate([samples[:start], samples[start + trimmed.size :]])
    threshold = 32768 * 10 ** (PADDING_LEVEL_DBFS / 20)
    assert np.abs(dropped.astype(np.int32)).max() <= threshold  # nothing audible was cut
    guard = round(EDGE_GUARD_SECONDS * rate)
    assert np.abs(trimmed[guard : guard + 5].astype(np.int32)).max() > threshold  # speech starts after the guard
    assert len(samples) / rate - trimmed.size / rate > 0.3  # espeak-ng's own padding is gone
    silent = bytes(2000)
    assert trim_silence(silent, rate) == silent
