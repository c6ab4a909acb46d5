"""The normalise() contract: chunks, merging, empty input, policies, and robustness."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.speech import Lexicon, SpeechChunk, normalise, speakable_text

KOREAN_TTS_FORBIDDEN = re.compile(r"[0-9A-Za-z$%&@#*+=/~\\^_|<>]")


@pytest.mark.parametrize("lang", ["ko", "en", "fr"])
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_input_gives_no_chunks(lang: str, text: str) -> None:
    assert normalise(text, lang) == []


def test_other_languages_only_have_their_spaces_tidied() -> None:
    assert normalise("  Bonjour   à  tous ", "fr") == [SpeechChunk("Bonjour à tous", "fr")]


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown_latin"):
        normalise("Netflix", "ko", unknown_latin="ignore")


def test_english_words_in_korean_become_english_chunks() -> None:
    chunks = normalise("Ive 걸그룹의 Seoul 공연", "ko")
    assert chunks == [
        SpeechChunk("Ive", "en"),
        SpeechChunk("걸그룹의 서울 공연", "ko"),
    ]


def test_neighbouring_unknown_words_are_one_english_chunk() -> None:
    chunks = normalise("영화 Crash Landing on You를", "ko")
    assert SpeechChunk("Crash Landing on You", "en") in chunks


def test_speakable_text_marks_other_voices() -> None:
    chunks = normalise("드라마 Crash Landing on You를 봤다", "ko")
    assert speakable_text(chunks, "ko") == "드라마 [en] Crash Landing on You 를 봤다"


KOREAN_PIECES = st.sampled_from(
    [
        *["북한", "주민", "은", "를", "의", " ", "  ", ".", ",", "명", "시", "년", "월", "살"],
        *["개", "만", "억", "원", "달러", "퍼센트", "번째", "제", "약", "北", "韓"],
    ]
)
NUMBERS = st.from_regex(r"-?[0-9]{1,7}(,[0-9]{3})?(\.[0-9]{1,3})?", fullmatch=True)
LATIN = st.sampled_from(["UN", "USB", "K-pop", "Netflix", "BTS", "Ive", "G7", "x", "US$", "$"])
SYMBOLS = st.sampled_from([*"~-–—/%&+=@#*()[]“”‘’'\"·…:;!?№℃°", "km", "kg", "%p"])
KOREAN_TEXT = st.lists(st.one_of(KOREAN_PIECES, NUMBERS, LATIN, SYMBOLS), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(KOREAN_TEXT, st.sampled_from(["english-voice", "transliterate"]))
def test_any_korean_text_gives_speakable_chunks(text: str, policy: str) -> None:
    chunks = normalise(text, "ko", unknown_latin=policy)
    for chunk in chunks:
        assert chunk.text == chunk.text.strip() and chunk.text
        if chunk.lang == "ko":
            assert not KOREAN_TTS_FORBIDDEN.search(chunk.text), chunk
        else:
            assert chunk.lang == "en" and policy == "english-voice"
    assert all(a.lang != b.lang for a, b in itertools.pairwise(chunks))
    assert normalise(text, "ko", unknown_latin=policy) == chunks  # deterministic


ENGLISH_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["the", "report", " ", ", ", ". ", "BTS", "Ms.", "COVID-19", "March"]),
        NUMBERS,
        SYMBOLS,
        st.sampled_from(["$", "US$", "st", "s", "’90s", "10:30", "p.m."]),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(ENGLISH_TEXT)
def test_any_english_text_gives_words_without_digits(text: str) -> None:
    chunks = normalise(text, "en")
    assert len(chunks) <= 1
    for chunk in chunks:
        assert chunk.lang == "en"
        assert not re.search(r"[0-9]", chunk.text), chunk


def test_english_parts_of_korean_text_use_the_english_lexicon_given() -> None:
    english = Lexicon("en", {"Labs": "Laboratories"})
    chunks = normalise("Jangmadang Labs 소식", "ko", Lexicon("ko"), english_lexicon=english)
    assert chunks == [SpeechChunk("Jangmadang Laboratories", "en"), SpeechChunk("소식", "ko")]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["ko", "en"]))
def test_any_unicode_text_is_normalised_without_error(text: str, lang: str) -> None:
    chunks = normalise(text, lang)
    for chunk in chunks:
        assert chunk.text == chunk.text.strip() and chunk.text
        if chunk.lang == "ko":
            assert not re.search("[0-9A-Za-z]", chunk.text), chunk


def test_a_builds_normaliser_works_out_each_distinct_text_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pipeline.speech
    from pipeline.project.script import load_project
    from pipeline.speech.store import stored_normaliser

    station = load_project(Path(__file__).resolve().parents[2]).station
    texts: list[str] = []
    real = pipeline.speech.normalise
    monkeypatch.setattr(pipeline.speech, "normalise", lambda text, **kwargs: texts.append(text) or real(text, **kwargs))
    read = stored_normaliser(tmp_path / "store", tmp_path, station, "ko")
    first = read("라디오 3대가 국경을 넘었습니다.")
    first.append(SpeechChunk("changed by the caller", "ko"))
    again = read("라디오 3대가 국경을 넘었습니다.")
    assert [chunk.text for chunk in again] == [
        chunk.text for chunk in normalise("라디오 3대가 국경을 넘었습니다.", "ko")
    ]
    assert again[0].pronounced == "라디오 세대가 국꼉을 너먿씀니다."  # the sample station's voices respell
    assert [chunk.text for chunk in read("USB 2개")] == [chunk.text for chunk in normalise("USB 2개", "ko")]
    assert texts == ["라디오 3대가 국경을 넘었습니다.", "USB 2개"]
