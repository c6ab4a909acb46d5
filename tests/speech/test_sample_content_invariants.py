"""Invariants over all sample content: what reaches a voice is speakable by that voice.

Korean: after normalisation no Korean TTS input contains an ASCII digit, a Latin
letter (unless the word is routed to the English voice as its own chunk, by the
station's policy or a lexicon entry with ``lang: en``), hanja, or a symbol
espeak-ng would read in English, and no formal ending spelled as written
(-습니다, -ㅂ니다: the voices are given 씀니다, ㅁ니다). English: no digits.

The Korean inputs are every translation in ``locales/ko/LC_MESSAGES/*.po`` plus
every written input of the Korean case table; the English inputs are every
source string of the project (station, templates, episodes) plus the English
case table. When there are no Korean catalogs yet, a warning says so and the
table inputs are still checked.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from speech_cases import DATA, load_cases

from pipeline.i18n.messages import episode_messages, shared_messages
from pipeline.project.script import literal_text, load_project
from pipeline.speech import hangul, load_lexicon, normalise, normaliser_for, voice_text

REPO = Path(__file__).resolve().parents[2]
KOREAN_CATALOGS = sorted((REPO / "locales" / "ko" / "LC_MESSAGES").glob("*.po"))
NOT_FOR_THE_KOREAN_VOICE = re.compile("[0-9A-Za-z$%&@#*+=/~\\\\^_|<>\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def catalog_texts(paths: list[Path]) -> list[tuple[str, str]]:
    """(where, text) for every translation in the Korean catalogs ``paths``, placeholders out."""
    texts = []
    for path in paths:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="ko")
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                if string:
                    where = f"{path.name}:{message.lineno}"
                    texts.append((where, literal_text(string)))
    return texts


def korean_texts() -> list[tuple[str, str]]:
    table = [(f"ko_cases.yaml:{c.line}", c.written) for c in load_cases("ko_cases")]
    found = catalog_texts(KOREAN_CATALOGS)
    if not found:
        warnings.warn(
            "no Korean catalogs in locales/ko/LC_MESSAGES: checked the case table only",
            stacklevel=1,
        )
    return found + table


def english_texts() -> list[tuple[str, str]]:
    project = load_project(REPO)
    messages = shared_messages(project)
    for episode in project.episodes.values():
        messages.extend(episode_messages(project, episode))
    source = [(str(m.location), literal_text(m.text)) for m in messages]
    table = [(f"en_cases.yaml:{c.line}", c.written) for c in load_cases("en_cases")]
    return source + table


KOREAN = korean_texts()
ENGLISH = english_texts()
KOREAN_LEXICON = load_lexicon(REPO, "ko")
ENGLISH_LEXICON = load_lexicon(REPO, "en")
# Words the Korean lexicon sends to the English voice whatever the policy.
ROUTED = {e.spoken for e in KOREAN_LEXICON.entries.values() if e.lang == "en"}


@pytest.mark.parametrize("policy", ["english-voice", "transliterate"])
def test_korean_tts_input_holds_nothing_the_korean_voice_cannot_read(policy: str) -> None:
    failures = []
    for where, text in KOREAN:
        for chunk in normalise(text, "ko", KOREAN_LEXICON, unknown_latin=policy):
            routed = chunk.lang == "en" and (policy == "english-voice" or chunk.text in ROUTED)
            if not routed and (chunk.lang != "ko" or NOT_FOR_THE_KOREAN_VOICE.search(chunk.text)):
                failures.append(f"{where}: {text!r} → [{chunk.lang}] {chunk.text!r}")
    assert not failures, "\n".join(failures)


def test_english_tts_input_has_no_digits() -> None:
    failures = []
    for where, text in ENGLISH:
        for chunk in normalise(text, "en", ENGLISH_LEXICON):
            if chunk.lang != "en" or re.search("[0-9]", chunk.text):
                failures.append(f"{where}: {text!r} → [{chunk.lang}] {chunk.text!r}")
    assert not failures, "\n".join(failures)


def test_catalog_reader_takes_every_translation_without_placeholders() -> None:
    texts = catalog_texts([DATA / "sample_ko.po"])
    assert [text for _, text in texts] == [
        "입니다.",
        "휴대전화는 약 600만 대로, 4명 중 1명꼴입니다.",
        "BTS 같은 K-pop 그룹.",
    ]
    assert texts[0][0] == "sample_ko.po:9"


def test_the_korean_check_catches_unnormalised_text() -> None:
    for _, text in catalog_texts([DATA / "sample_ko.po"])[1:]:
        assert NOT_FOR_THE_KOREAN_VOICE.search(text)
        for chunk in normalise(text, "ko"):
            assert chunk.lang == "en" or not NOT_FOR_THE_KOREAN_VOICE.search(chunk.text)


def unrespelled_endings(text: str) -> list[str]:
    """-ㅂ니다 / -습니다 (and -ㅂ니까) still spelled as written: a syllable with final ㅂ before 니."""
    return [
        text[i : i + 3] for i in range(len(text) - 1) if text[i + 1] == "니" and hangul.final_consonant(text[i]) == "ㅂ"
    ]


def test_no_korean_voice_is_given_an_unrespelled_formal_ending() -> None:
    station = load_project(REPO).station
    assert all(spec.pronounce == "standard" for spec in station.voices["ko"].values())
    normalise_for_voice = normaliser_for(REPO, station, "ko")
    failures = []
    endings = 0
    for where, text in KOREAN:
        for chunk in normalise_for_voice(text):
            if chunk.lang != "ko":
                continue
            given = voice_text(chunk, "standard")
            endings += given.count("니다")
            if unrespelled_endings(given):
                failures.append(f"{where}: {text!r} → {given!r}")
    assert endings > 50  # the sample catalogs end most sentences so
    assert not failures, "\n".join(failures)
