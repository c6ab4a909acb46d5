"""Hanja (Chinese characters in Korean text) read in Hangul.

Entry point: :func:`hanja_to_hangul`. espeak-ng says "Chinese letter" for each
hanja, so every run of hanja becomes its Korean reading. Readings come from
the Unicode Han database (``data/hanja.yaml``, see ``tools/make_hanja_table.py``),
with the South Korean initial-sound rule (두음법칙) at the start of a word
(年 → 연, 女 → 여, 樂 → 낙), 렬/률 after a vowel or ㄴ read 열/율 (比率 → 비율),
and 不 read 부 before ㄷ and ㅈ (不動産 → 부동산, 不正 → 부정).
Words whose reading differs from their characters' (六月 → 유월) are lexicon entries.
"""

from __future__ import annotations

import functools
import re

from pipeline.speech import hangul
from pipeline.speech.charsets import HANJA
from pipeline.speech.rules import load_rules

HANJA_RUN = re.compile(f"[{HANJA}]+")

_Y_VOWELS = frozenset("ㅑㅕㅖㅛㅠㅣ")


@functools.cache
def _readings() -> dict[str, str]:
    table = load_rules("hanja")
    return {char: reading for reading, chars in table.items() for char in str(chars)}


def hanja_to_hangul(word: str) -> str:
    """The Hangul reading of a run of hanja (characters without a reading are kept)."""
    readings = _readings()
    syllables = [readings.get(char, char) for char in word]
    if syllables and hangul.is_syllable(syllables[0]):
        syllables[0] = initial_sound_rule(syllables[0])
    for i in range(1, len(syllables)):
        if hangul.is_syllable(syllables[i]) and hangul.is_syllable(syllables[i - 1]):
            syllables[i] = _yeol_yul(syllables[i - 1], syllables[i])
            if word[i - 1] == "不" and hangul.decompose(syllables[i])[0] in ("ㄷ", "ㅈ"):
                syllables[i - 1] = "부"
    return "".join(syllables)


def initial_sound_rule(syllable: str) -> str:
    """두음법칙: word-initial ㄹ/ㄴ before i/y become ㅇ (녀 → 여, 리 → 이), other ㄹ become ㄴ."""
    initial, vowel, final = hangul.decompose(syllable)
    if initial in ("ㄴ", "ㄹ") and vowel in _Y_VOWELS:
        return hangul.compose("ㅇ", vowel, final)
    if initial == "ㄹ":
        return hangul.compose("ㄴ", vowel, final)
    return syllable


def _yeol_yul(previous: str, syllable: str) -> str:
    """렬/률 read 열/율 after a vowel or ㄴ (羅列 → 나열, 比率 → 비율)."""
    if syllable not in ("렬", "률"):
        return syllable
    if hangul.final_consonant(previous) in ("", "ㄴ"):
        return initial_sound_rule(syllable)
    return syllable
