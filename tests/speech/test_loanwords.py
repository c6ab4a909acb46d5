"""Latin words in Hangul: acronyms letter by letter, transliteration of other words."""

from __future__ import annotations

import pytest

from pipeline.speech import normalise
from pipeline.speech.loanwords import letters_in_hangul, transliterate


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("ABC", "에이비씨"),
        ("BTS", "비티에스"),
        ("DPRK", "디피알케이"),
        ("X", "엑스"),
        ("x", "엑스"),
        ("U.S.", "유에스"),
        ("R&D", "알앤디"),
        ("G7", "지칠"),
        ("G20", "지이십"),
        ("A-1", "에이 일"),
        ("DVDs", "디브이디"),
        ("WXYZ", "더블유엑스와이제트"),
    ],
)
def test_acronyms_are_spelled_in_hangul(word: str, said: str) -> None:
    assert letters_in_hangul(word, max_letters=5) == said


@pytest.mark.parametrize("word", ["FRONTLINE", "Netflix", "K-pop", "iPhone", "Ive"])
def test_words_that_are_not_acronyms(word: str) -> None:
    assert letters_in_hangul(word, max_letters=5) is None


# Standard loanword spellings the rules reproduce; words they get wrong belong in a lexicon.
@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("Netflix", "넷플릭스"),
        ("Hollywood", "할리우드"),
        ("crash", "크래시"),
        ("landing", "랜딩"),
        ("film", "필름"),
        ("apple", "애플"),
        ("book", "북"),
        ("cat", "캣"),
        ("time", "타임"),
        ("make", "메이크"),
        ("new", "뉴"),
        ("music", "뮤직"),
        ("twist", "트위스트"),
        ("swing", "스윙"),
        ("singer", "싱어"),
        ("bus", "버스"),
        ("bench", "벤치"),
        ("fish", "피시"),
        ("jazz", "재즈"),
        ("smartphone", "스마트폰"),
        ("internet", "인터넷"),
        ("market", "마켓"),
        ("network", "네트워크"),
        ("bingo", "빙고"),
        ("video", "비디오"),
        ("slide", "슬라이드"),
        ("clip", "클립"),
        ("help", "헬프"),
        ("rose", "로즈"),
        ("trade", "트레이드"),
        ("you", "유"),
    ],
)
def test_transliteration(word: str, said: str) -> None:
    assert transliterate(word) == said


def test_transliterate_policy_keeps_every_word_with_the_korean_voice() -> None:
    chunks = normalise("드라마 Crash Landing을 Netflix에서 봤다", "ko", unknown_latin="transliterate")
    assert [(c.text, c.lang) for c in chunks] == [("드라마 크래시 랜딩을 넷플릭스에서 봤다", "ko")]
