"""Normalised sentences kept between builds: reused only under the same rules, never when corrupt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import pipeline.speech
from pipeline.build.orchestrator import render_all
from pipeline.project.layout import SPEECH_TEXT_DIR
from pipeline.project.script import load_project
from pipeline.speech import SpeechChunk, normaliser_for
from pipeline.speech import store as speech_store
from pipeline.speech.store import StoredNormaliser, fingerprint, stored_normaliser

TEXTS = ["UN은 2024년에 3.5%를 발표했다.", "라디오는 모든 지방에 닿습니다.", "USB 2개"]


def spoken(project: Path, lang: str = "ko") -> list[tuple[str, ...]]:
    """Every sentence of the mini episode as normalised, in order."""
    loaded = load_project(project)
    localised = render_all(loaded, list(loaded.episodes.values()), [lang])[("mini", lang)]
    return [
        tuple(f"{chunk.lang}:{chunk.text}" for chunk in sentence.chunks)
        for segment in localised.segments
        for part in segment.parts
        for sentence in part.sentences
    ]


def refuse_to_normalise(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a text was normalised again")

    monkeypatch.setattr(pipeline.speech, "normaliser_for", refuse)


def store_files(project: Path) -> list[str]:
    return sorted(path.name for path in (project / SPEECH_TEXT_DIR).glob("*.json"))


def test_a_second_render_normalises_nothing(mini_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = spoken(mini_project)
    assert [name.split(".")[0] for name in store_files(mini_project)] == ["ko"]
    refuse_to_normalise(monkeypatch)
    assert spoken(mini_project) == first


def test_stored_results_are_the_normalisers_own(tmp_path: Path, mini_project: Path) -> None:
    station = load_project(mini_project).station
    fresh = normaliser_for(mini_project, station, "ko")
    writer = stored_normaliser(tmp_path, mini_project, station, "ko")
    for text in TEXTS:
        writer(text)
    writer.save()
    reader = stored_normaliser(tmp_path, mini_project, station, "ko")
    reader._load = lambda: pytest.fail("normalised again")  # type: ignore[method-assign]
    for text in TEXTS:
        assert reader(text) == fresh(text)
        assert reader(text) is not reader(text)  # each caller gets its own list


def test_a_changed_lexicon_starts_a_new_store(mini_project: Path) -> None:
    before = spoken(mini_project)
    old_files = store_files(mini_project)
    lexicon = mini_project / "locales" / "ko" / "lexicon.yaml"
    lexicon.write_text("라디오: 래디오\n", encoding="utf-8")
    after = spoken(mini_project)
    assert any("래디오" in chunk for sentence in after for chunk in sentence)
    assert after != before
    assert len(store_files(mini_project)) == 1
    assert store_files(mini_project) != old_files  # the old rules' file is removed


def test_a_broken_lexicon_is_still_reported(mini_project: Path, cli) -> None:
    spoken(mini_project)
    (mini_project / "locales" / "ko" / "lexicon.yaml").write_text("UN: 유엔\nBTS: BTS\n", encoding="utf-8")
    result = cli("build", "--project", str(mini_project), "--lang", "ko", "--dry-run")
    assert result.code == 2
    assert "locales/ko/lexicon.yaml:2: BTS" in result.err


@pytest.mark.parametrize(
    "content",
    ["not json", '{"format": 1}', '{"format": 1, "texts": {"라디오": [["라디오", 7]]}}', '{"format": 99, "texts": {}}'],
)
def test_an_unreadable_store_is_ignored_and_written_again(tmp_path: Path, mini_project: Path, content: str) -> None:
    station = load_project(mini_project).station
    policy = station.speech_settings("ko").unknown_latin
    path = tmp_path / f"ko.{fingerprint(mini_project, 'ko', policy, station.respells('ko'))}.json"
    path.write_text(content, encoding="utf-8")
    normalise = stored_normaliser(tmp_path, mini_project, station, "ko")
    assert normalise(TEXTS[1]) == normaliser_for(mini_project, station, "ko")(TEXTS[1])
    normalise.save()
    stored = json.loads(path.read_text(encoding="utf-8"))["texts"]
    assert stored == {TEXTS[1]: [["라디오는 모든 지방에 닿습니다.", "ko", "라디오는 모든 지방에 다씀니다."]]}


def test_a_store_keeps_only_the_texts_last_used(tmp_path: Path) -> None:
    path = tmp_path / "ko.abc.json"
    first = StoredNormaliser(path, "ko", lambda: lambda text: [SpeechChunk(text.upper(), "ko")])
    first("old")
    first("kept")
    first.save()
    (tmp_path / "ko.older.json").write_text("{}", encoding="utf-8")
    (tmp_path / "en.abc.json").write_text("{}", encoding="utf-8")
    (tmp_path / "ko-KP.abc.json").write_text("{}", encoding="utf-8")  # another language's, left alone
    second = StoredNormaliser(path, "ko", lambda: pytest.fail("normalised again"))
    assert second("kept") == [SpeechChunk("KEPT", "ko")]
    second.save()
    assert json.loads(path.read_text(encoding="utf-8"))["texts"] == {"kept": [["KEPT", "ko"]]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en.abc.json", "ko-KP.abc.json", "ko.abc.json"]
    os.utime(path, (1_000_000, 1_000_000))
    third = StoredNormaliser(path, "ko", lambda: pytest.fail("normalised again"))
    third("kept")
    third.save()
    assert path.stat().st_mtime > 1_000_000  # unchanged, but its time says when it was last used


def test_a_partial_render_keeps_the_other_stored_texts(tmp_path: Path) -> None:
    path = tmp_path / "ko.abc.json"
    first = StoredNormaliser(path, "ko", lambda: lambda text: [SpeechChunk(text.upper(), "ko")])
    first("other episode")
    first.save()
    second = StoredNormaliser(path, "ko", lambda: lambda text: [SpeechChunk(text.upper(), "ko")])
    second("this episode")
    second.save(prune=False)
    stored = json.loads(path.read_text(encoding="utf-8"))["texts"]
    assert stored == {"other episode": [["OTHER EPISODE", "ko"]], "this episode": [["THIS EPISODE", "ko"]]}


def test_the_fingerprint_covers_rules_policy_and_lexicons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.py"
    rules.write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(speech_store, "_RULE_SOURCES", (rules,))
    base = fingerprint(tmp_path, "ko", "english-voice")
    assert fingerprint(tmp_path, "ko", "english-voice") == base
    assert fingerprint(tmp_path, "ko", "transliterate") != base
    assert fingerprint(tmp_path, "en", "english-voice") != base
    rules.write_text("A = 2\n", encoding="utf-8")
    changed_rules = fingerprint(tmp_path, "ko", "english-voice")
    assert changed_rules != base
    english = tmp_path / "locales" / "en" / "lexicon.yaml"
    english.parent.mkdir(parents=True)
    english.write_text("UN: U N\n", encoding="utf-8")
    assert fingerprint(tmp_path, "ko", "english-voice") != changed_rules  # Korean text hands words to English


def test_the_real_fingerprint_covers_the_normalisers_code_and_num2words() -> None:
    names = {path.name for path in speech_store._RULE_SOURCES}
    assert {"ko.py", "en.py", "pieces.py", "ko_numbers.py", "ko_rules.yaml", "station.py"} <= names
    assert all(path.is_file() for path in speech_store._RULE_SOURCES)  # a moved module must not drop out silently
    assert [path.name for path in speech_store.installed_package_files("num2words")] == ["__init__.py", "METADATA"]


def test_the_fingerprint_covers_the_pronunciation_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = {path.name for path in speech_store._RULE_SOURCES}
    assert {"pronounce.py", "morphology.py", "hangul.py", "ko_pronounce.yaml", "ko_lexicon.yaml"} <= names
    analyser = [path.parent.name for path in speech_store.analyser_files()]
    assert analyser == [
        "mecab",
        "python_mecab_ko-1.3.7.dist-info",
        "mecab_ko_dic",
        "python_mecab_ko_dic-2.1.1.post2.dist-info",
    ]
    rules = tmp_path / "rules.py"
    rules.write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(speech_store, "_RULE_SOURCES", (rules,))
    plain = fingerprint(tmp_path, "ko", "english-voice")
    respelled = fingerprint(tmp_path, "ko", "english-voice", respelled=True)
    assert respelled != plain
    lexicon = tmp_path / "locales" / "ko" / "lexicon.yaml"
    lexicon.parent.mkdir(parents=True)
    lexicon.write_text("pronounce:\n  광한루: 광할루\n", encoding="utf-8")
    assert fingerprint(tmp_path, "ko", "english-voice", respelled=True) != respelled
