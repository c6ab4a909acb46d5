"""Latin words in Hangul: acronyms letter by letter, other words transliterated.

Entry points: :func:`letters_in_hangul` (ABC → 에이비씨, G7 → 지칠, R&D → 알앤디;
None for a word that is not an acronym) and :func:`transliterate` (Netflix →
넷플릭스). Transliteration runs English letter-to-sound rules and then the
loanword spelling rules of the National Institute of Korean Language; both
are tables in ``data/loanwords.yaml``. It is an approximation for words nobody
put in a lexicon, used only when the station asks for it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipeline.speech import hangul, ko_numbers
from pipeline.speech.rules import load_rules

_VOWEL_LETTERS = "[aeiouy]"
_CONSONANT_LETTERS = "[bcdfghjklmnpqrstvwxz]"
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+")
_LETTERS_AND_DIGITS = re.compile(r"[A-Za-z]+|[0-9]+")

# (left context, letters, right context, sounds) — see data/loanwords.yaml
SpellingRule = tuple[re.Pattern[str] | None, str, re.Pattern[str] | None, list[str]]


def letters_in_hangul(word: str, max_letters: int) -> str | None:
    """An acronym read letter by letter in Hangul; None when ``word`` is not one.

    Acronyms are capitals (at most ``max_letters`` of them, optionally with a
    plural s), single letters, dotted initials (U.S.), and such parts joined by
    ``&`` or ``-`` or followed by digits (R&D, G7, 5G).
    """
    if _DOTTED.fullmatch(word):
        return _spell(word.replace(".", ""))
    for joiner, spoken in (("&", "앤"), ("-", " ")):
        if joiner in word:
            parts = [letters_in_hangul(part, max_letters) for part in word.split(joiner)]
            return None if None in parts or "" in word.split(joiner) else spoken.join(parts)  # type: ignore[arg-type]
    pieces = _LETTERS_AND_DIGITS.findall(word)
    if "".join(pieces) != word:
        return None
    readings = [_acronym_piece(piece, max_letters) for piece in pieces]
    return None if None in readings else "".join(readings)  # type: ignore[arg-type]


def _acronym_piece(piece: str, max_letters: int) -> str | None:
    if piece.isdigit():
        return _digits(piece)
    if len(piece) == 1:
        return _spell(piece)
    capitals = piece[:-1] if piece.endswith("s") and piece[:-1].isupper() else piece
    if capitals.isupper() and len(capitals) <= max_letters:
        return _spell(capitals)
    return None


def _digits(written: str) -> str:
    """Digits inside a Latin word (G20 → 지이십, B007 → 비공공칠)."""
    if written.startswith("0"):
        return ko_numbers.code_digits(written)
    return ko_numbers.decimal(written)


def _spell(letters: str) -> str:
    names = load_rules("ko_rules")["letters"]
    return "".join(names[letter.upper()] for letter in letters)


def transliterate(word: str) -> str:
    """Hangul spelling of a Latin word (hyphenated parts and digits included)."""
    parts = re.findall(r"[A-Za-z]+|[0-9]+", word)
    spoken = []
    for part in parts:
        if part.isdigit():
            spoken.append(_digits(part))
        else:
            spoken.append(sounds_to_hangul(letter_to_sound(part.lower())))
    return " ".join(spoken)


@functools.cache
def _spelling_rules() -> dict[str, list[SpellingRule]]:
    rules: dict[str, list[SpellingRule]] = {}
    for letter, items in load_rules("loanwords")["spelling"].items():
        rules[letter] = [
            (
                re.compile(f"(?:{_expand(left)})\\Z") if left else None,
                letters,
                re.compile(_expand(right)) if right else None,
                str(sounds).split(),
            )
            for left, letters, right, sounds in items
        ]
    return rules


def _expand(context: str) -> str:
    return context.replace("V", _VOWEL_LETTERS).replace("C", _CONSONANT_LETTERS)


def letter_to_sound(word: str) -> list[str]:
    """ARPAbet phonemes for a lower-case English word, by the spelling rules."""
    rules = _spelling_rules()
    sounds: list[str] = []
    position = 0
    while position < len(word):
        for left, letters, right, out in rules.get(word[position], []):
            end = position + len(letters)
            if (
                word.startswith(letters, position)
                and (left is None or left.search(word[:position]))
                and (right is None or right.match(word[end:]))
            ):
                sounds.extend(out)
                position = end
                break
        else:
            position += 1  # a letter without rules (none for a-z)
    return sounds


@dataclass
class _Syllable:
    onset: str
    vowel: str
    coda: str = ""
    sound: str = ""  # the vowel sound it was made for ("" for an added ㅡ or ㅣ)

    def hangul(self) -> str:
        return hangul.compose(self.onset, self.vowel, self.coda)


class _HangulSpeller:
    """Turns a phoneme list into Hangul syllables, one sound at a time."""

    def __init__(self, sounds: list[str]) -> None:
        self.sounds = sounds
        self.table = load_rules("loanwords")
        self.syllables: list[_Syllable] = []

    def spell(self) -> str:
        position = 0
        while position < len(self.sounds):
            position = self._step(position)
        return "".join(s.hangul() for s in self.syllables)

    def _is_vowel(self, index: int) -> bool:
        return index < len(self.sounds) and (
            self.sounds[index] in self.table["vowels"] or self.sounds[index] in self.table["diphthongs"]
        )

    def _step(self, i: int) -> int:
        sound = self.sounds[i]
        if self._is_vowel(i):
            self._vowel("ㅇ", sound, None)
            return i + 1
        if sound in ("Y", "W"):
            if self._is_vowel(i + 1):
                self._vowel("ㅇ", self.sounds[i + 1], sound)
                return i + 2
            self.syllables.append(_Syllable("ㅇ", "ㅜ" if sound == "W" else "ㅣ"))
            return i + 1
        onset = self.table["onsets"][sound]
        following = self.sounds[i + 1] if i + 1 < len(self.sounds) else None
        if self._is_vowel(i + 1):
            self._consonant_before_vowel(sound)
            self._vowel(onset, self.sounds[i + 1], "Y" if sound == "SH" else None)
            return i + 2
        if self._joins_glide(sound, following) and self._is_vowel(i + 2):
            self._vowel(onset, self.sounds[i + 2], following)
            return i + 3
        self._lone_consonant(sound, following)
        return i + 1

    def _joins_glide(self, sound: str, following: str | None) -> bool:
        """y joins the consonant before it (new → 뉴); w only joins k, g, h (quarter → 쿼터)."""
        return following == "Y" or (following == "W" and sound in self.table["joins_w"])

    def _consonant_before_vowel(self, sound: str) -> None:
        """l between vowels doubles (Hollywood → 할리우드); ng keeps its ㅇ (singer → 싱어)."""
        last = self.syllables[-1] if self.syllables else None
        if last is None or last.coda:
            return
        if sound == "L":
            last.coda = "ㄹ"
        elif sound == "NG":
            last.coda = "ㅇ"

    def _vowel(self, onset: str, sound: str, glide: str | None) -> None:
        table = self.table
        first, second = table["diphthongs"].get(sound, [table["vowels"].get(sound), None])
        if glide == "Y":
            first = table["y_vowels"].get(first, first)
        elif glide == "W":
            first = table["w_vowels"].get(first, first)
        self.syllables.append(_Syllable(onset, first, sound=sound))
        if second:
            self.syllables.append(_Syllable("ㅇ", second, sound=sound))

    def _lone_consonant(self, sound: str, following: str | None) -> None:
        """A consonant no vowel follows: it closes the syllable before, or takes ㅡ."""
        table = self.table
        last = self.syllables[-1] if self.syllables else None
        if last is not None and self._may_close(sound, last, following):
            last.coda = table["codas"][sound]
            return
        if sound == "R" and last is not None:
            last.sound = ""  # r after a vowel is not written but makes it long (smart → 스마트)
        if sound in ("R", "HH"):
            return  # r after a vowel and a lone h are not written
        if sound in ("M", "N") and last is not None and last.coda == "ㄹ":
            self.syllables.append(_Syllable("ㄹ", table["lone_vowel"], table["codas"][sound]))
            return  # film → 필름
        if following is None:
            vowel = table["lone_vowel_final"].get(sound, table["lone_vowel"])
        else:
            vowel = table["lone_vowel_before_consonant"].get(sound, table["lone_vowel"])
        self.syllables.append(_Syllable(table["onsets"][sound], vowel))

    def _may_close(self, sound: str, last: _Syllable, following: str | None) -> bool:
        """Whether ``sound`` closes ``last`` (p, t, k: after a short vowel, not before l r m n)."""
        if last.coda or sound not in self.table["codas"]:
            return False
        if sound not in ("P", "T", "K"):
            return True
        short = last.sound in self.table["short_vowels"]
        return short and following not in ("L", "R", "M", "N", "W", "Y")


def sounds_to_hangul(sounds: list[str]) -> str:
    """Hangul for a list of ARPAbet phonemes, by the loanword spelling rules."""
    return _HangulSpeller(sounds).spell()
