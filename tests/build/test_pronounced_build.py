"""Builds give the Korean voices text respelled as pronounced, and a pronunciation change
remakes only what it changes."""

from __future__ import annotations

from pathlib import Path

from pipeline.build.orchestrator import BuildRequest, build
from pipeline.project.script import load_project
from pipeline.tts import flac_record


def outcome(report, episode: str, lang: str):
    return next(o for o in report.outcomes if o.episode == episode and o.lang == lang)


def engine_inputs(project: Path) -> set[str]:
    """Every text the speech cache holds audio for, as the engine was given it."""
    entries = (project / ".cache" / "tts").rglob("*.flac")
    return {flac_record.record_of_file(entry)["text"] for entry in entries}


def test_voices_are_given_respelled_korean_and_a_pronunciation_change_remakes_one_part(mini_project: Path) -> None:
    out = mini_project / "output"
    first = build(load_project(mini_project), BuildRequest(languages=("ko",), out=out, jobs=1))
    assert first.exit_code == 0
    given = engine_inputs(mini_project)
    assert "라디오는 모든 지방에 다씀니다." in given
    assert not any("습니다" in text or "닿" in text for text in given)

    lexicon = mini_project / "locales" / "ko" / "lexicon.yaml"
    lexicon.write_text("pronounce:\n  지방: 지빵\n", encoding="utf-8")
    second = build(load_project(mini_project), BuildRequest(languages=("ko",), out=out, jobs=1))
    korean = outcome(second, "mini", "ko")
    assert (korean.made, korean.synthesised) == (1, 1)  # one sentence changed; the rest came from the cache
    assert "라디오는 모든 지빵에 다씀니다." in engine_inputs(mini_project)
    transcript = (out / "mini" / "ko" / "transcript.txt").read_text(encoding="utf-8")
    assert "라디오는 모든 지방에 닿습니다." in transcript  # listeners read what was written


def test_an_as_written_voice_is_given_the_written_text(mini_project: Path) -> None:
    station = mini_project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    as_written = text.replace(
        "voice: ko, rate: 150, volume: 1.0}", "voice: ko, rate: 150, volume: 1.0, pronounce: as-written}"
    )
    station.write_text(as_written, encoding="utf-8")
    report = build(load_project(mini_project), BuildRequest(languages=("ko",), out=mini_project / "output", jobs=1))
    assert report.exit_code == 0
    given = engine_inputs(mini_project)
    assert "라디오는 모든 지방에 닿습니다." in given  # the host reads as written
    assert "외국 방송을 차즌 뒤로 저는 매일 밤 드럳씀니다." in given  # the guest still respelled
