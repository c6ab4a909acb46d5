"""Hanja read in Hangul, with the initial-sound rule and the word exceptions it needs."""

from __future__ import annotations

import pytest

from pipeline.speech.hanja import hanja_to_hangul, initial_sound_rule


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("大韓民國", "대한민국"),
        ("北韓", "북한"),
        ("年末", "연말"),
        ("每年", "매년"),
        ("女子", "여자"),
        ("男女", "남녀"),
        ("勞動", "노동"),
        ("來日", "내일"),
        ("比率", "비율"),
        ("確率", "확률"),
        ("羅列", "나열"),
        ("不動産", "부동산"),
        ("不安", "불안"),
        ("\uf914", "낙"),  # a compatibility ideograph keeps its own reading
    ],
)
def test_hanja_words(written: str, said: str) -> None:
    assert hanja_to_hangul(written) == said


@pytest.mark.parametrize(
    ("syllable", "said"),
    [
        ("녀", "여"),
        ("리", "이"),
        ("력", "역"),
        ("로", "노"),
        ("뢰", "뇌"),
        ("락", "낙"),
        ("남", "남"),
    ],
)
def test_initial_sound_rule(syllable: str, said: str) -> None:
    assert initial_sound_rule(syllable) == said


def test_every_common_hanja_has_a_reading() -> None:
    text = "北南美中日韓英民主主義人民共和國自由放送音樂映畫電話"
    assert all("가" <= ch <= "힣" for ch in hanja_to_hangul(text))
