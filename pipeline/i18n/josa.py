"""Korean particles after filled-in placeholders: ``{station}을(를)`` → 라디오를 / 방송을.

Entry point: :func:`resolve_particles`. A Korean particle depends on whether
the word before it ends in a consonant (받침), which a translator cannot
know when the word is a placeholder. Translators write both forms in the
usual way — ``은(는)``, ``이(가)``, ``을(를)``, ``과(와)``, ``(으)로``,
``(이)었``/``(이)다``/``(이)라``… — and the right one is chosen once the
placeholder is filled. Digits and Latin letters count as they are read
(``3`` 삼 ends in ㅁ; ``BBC`` 비비씨 ends in a vowel).
"""

from __future__ import annotations

import re

from pipeline.speech import hangul

# Last sound of each digit as read in Sino-Korean: True when it ends in a consonant.
_DIGIT_FINAL = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False, "6": True,
                "7": True, "8": True, "9": False}  # fmt: skip
_DIGIT_RIEUL = {"1", "7", "8"}
# Korean names of Latin letters: which end in a consonant, and which in ㄹ.
_LETTER_FINAL = set("lmnr")
_LETTER_RIEUL = set("lr")

_PAIRS = {
    "은(는)": ("은", "는"), "는(은)": ("은", "는"),
    "이(가)": ("이", "가"), "가(이)": ("이", "가"),
    "을(를)": ("을", "를"), "를(을)": ("을", "를"),
    "과(와)": ("과", "와"), "와(과)": ("과", "와"),
    "아(야)": ("아", "야"), "야(아)": ("아", "야"),
}  # fmt: skip
_PAIR_ALTERNATIVES = "|".join(re.escape(pair) for pair in _PAIRS)
_PATTERN = re.compile(rf"(?P<pair>{_PAIR_ALTERNATIVES})|\(으\)로|\(이\)(?P<copula>[가-힣])")


def final_consonant(text: str) -> tuple[bool, bool]:
    """Whether ``text`` ends, as read aloud, in a consonant, and whether that consonant is ㄹ."""
    stripped = text.rstrip(" \"'”’)]»」』")
    if not stripped:
        return False, False
    last = stripped[-1]
    if hangul.is_syllable(last):
        final = hangul.final_consonant(last)
        return final != "", final == "ㄹ"
    if last.isdigit():
        return _DIGIT_FINAL.get(last, False), last in _DIGIT_RIEUL
    lowered = last.lower()
    return lowered in _LETTER_FINAL, lowered in _LETTER_RIEUL


def resolve_particles(text: str) -> str:
    """``text`` with every two-form particle replaced by the form its preceding word takes."""

    def choose(match: re.Match[str]) -> str:
        has_final, is_rieul = final_consonant(text[: match.start()])
        if match.group("pair"):
            with_final, without = _PAIRS[match.group("pair")]
            return with_final if has_final else without
        copula = match.group("copula")
        if copula is not None:
            if has_final:
                return "이" + copula
            return "였" if copula == "었" else copula
        return "으로" if has_final and not is_rieul else "로"

    return _PATTERN.sub(choose, text)
