"""Hangul letter arithmetic: every syllable comes apart and goes back together."""

from __future__ import annotations

import pytest

from pipeline.speech import hangul


def test_every_syllable_round_trips() -> None:
    for code in range(hangul.SYLLABLE_FIRST, hangul.SYLLABLE_LAST + 1):
        syllable = chr(code)
        assert hangul.compose(*hangul.decompose(syllable)) == syllable


@pytest.mark.parametrize(
    ("syllable", "letters"),
    [("값", ("ㄱ", "ㅏ", "ㅄ")), ("가", ("ㄱ", "ㅏ", "")), ("힣", ("ㅎ", "ㅣ", "ㅎ")), ("읊", ("ㅇ", "ㅡ", "ㄿ"))],
)
def test_decompose(syllable: str, letters: tuple[str, str, str]) -> None:
    assert hangul.decompose(syllable) == letters


def test_final_consonant() -> None:
    assert hangul.final_consonant("닭") == "ㄺ"
    assert hangul.final_consonant("나") == ""
    assert hangul.final_consonant("A") == ""
    assert hangul.ends_in_consonant("물")
    assert not hangul.ends_in_consonant("바")


def test_bad_letters_are_refused() -> None:
    with pytest.raises(ValueError):
        hangul.compose("ㄳ", "ㅏ")
    with pytest.raises(ValueError):
        hangul.decompose("A")
