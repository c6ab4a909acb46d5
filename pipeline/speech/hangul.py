"""Hangul letter arithmetic: syllables taken apart into letters and put back together.

Entry points: :func:`is_syllable`, :func:`decompose`, :func:`compose`,
:func:`final_consonant`, :func:`ends_in_consonant` and the letter tables
:data:`INITIALS`, :data:`MEDIALS`, :data:`FINALS`. Every part of the project
that needs a syllable's final consonant (particles after a placeholder, the
normaliser's particle agreement, the pronunciation rules) asks here. Letters
are the compatibility jamo (ㄱ, ㅏ, ㄺ) a reader recognises; a syllable
without a final consonant has the final ``""``.

A precomposed syllable is ``0xAC00 + (initial * 21 + medial) * 28 + final``
(Unicode §3.12).
"""

from __future__ import annotations

SYLLABLE_FIRST = 0xAC00
SYLLABLE_LAST = 0xD7A3
_MEDIAL_COUNT = 21
_FINAL_COUNT = 28

INITIALS = tuple("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
MEDIALS = tuple("ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ")
FINALS = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
_INITIAL_INDEX = {letter: i for i, letter in enumerate(INITIALS)}
_MEDIAL_INDEX = {letter: i for i, letter in enumerate(MEDIALS)}
_FINAL_INDEX = {letter: i for i, letter in enumerate(FINALS)}

# Two-letter finals and the letters they are made of (ㄺ = ㄹ + ㄱ).
CLUSTERS = {
    "ㄳ": ("ㄱ", "ㅅ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄶ": ("ㄴ", "ㅎ"), "ㄺ": ("ㄹ", "ㄱ"), "ㄻ": ("ㄹ", "ㅁ"),
    "ㄼ": ("ㄹ", "ㅂ"), "ㄽ": ("ㄹ", "ㅅ"), "ㄾ": ("ㄹ", "ㅌ"), "ㄿ": ("ㄹ", "ㅍ"), "ㅀ": ("ㄹ", "ㅎ"),
    "ㅄ": ("ㅂ", "ㅅ"),
}  # fmt: skip


def is_syllable(char: str) -> bool:
    """True for one precomposed Hangul syllable (가 … 힣)."""
    return len(char) == 1 and SYLLABLE_FIRST <= ord(char) <= SYLLABLE_LAST


def decompose(syllable: str) -> tuple[str, str, str]:
    """``syllable``'s initial, medial and final letters: 값 → ('ㄱ', 'ㅏ', 'ㅄ'); 가 → ('ㄱ', 'ㅏ', '')."""
    if not is_syllable(syllable):
        raise ValueError(f"not a Hangul syllable: {syllable!r}")
    offset = ord(syllable) - SYLLABLE_FIRST
    initial, rest = divmod(offset, _MEDIAL_COUNT * _FINAL_COUNT)
    medial, final = divmod(rest, _FINAL_COUNT)
    return INITIALS[initial], MEDIALS[medial], FINALS[final]


def compose(initial: str, medial: str, final: str = "") -> str:
    """The syllable of three letters: ('ㄱ', 'ㅏ', 'ㅄ') → 값. Raises ValueError for a letter
    that cannot stand in that place."""
    try:
        code = (_INITIAL_INDEX[initial] * _MEDIAL_COUNT + _MEDIAL_INDEX[medial]) * _FINAL_COUNT + _FINAL_INDEX[final]
    except KeyError as exc:
        raise ValueError(f"no syllable has the letters {initial!r}, {medial!r}, {final!r}") from exc
    return chr(SYLLABLE_FIRST + code)


def final_consonant(syllable: str) -> str:
    """The final consonant of a syllable (``""`` for none or for a character that is not one)."""
    if not is_syllable(syllable):
        return ""
    return FINALS[(ord(syllable) - SYLLABLE_FIRST) % _FINAL_COUNT]


def ends_in_consonant(syllable: str) -> bool:
    """True when ``syllable`` has a final consonant (받침)."""
    return final_consonant(syllable) != ""
