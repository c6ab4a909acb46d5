"""The numbers a message says, for the ``numbers`` check of :mod:`pipeline.i18n.checks`.

Entry points: :func:`source_numbers` (what the English says: digits, scale
words, number words), :func:`number_is_said` (does a translation say one of
them, in any way a reader would) and :func:`added_numbers` (digits in a
translation that the source never says).

The two directions are deliberately unequal. A source number counts as
said when the translation has it in digits (``4.50`` and ``4.5`` are one
value), with Korean units (``3만 4천``, ``600만`` for *6 million*), or in words
— Sino-Korean (``이천십구``) or native Korean before a counter (``열네 명`` for
*14 people*), read by :mod:`pipeline.speech.ko_numbers`, the same code that
says them aloud, or ``num2words`` for other languages. A number is *added*
only when the translation writes it in digits: a Korean word such as ``한``
or ``세`` is as often "a" or "world" as it is a numeral.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import get_month_names
from num2words import num2words

from pipeline.speech import ko_numbers
from pipeline.speech.rules import alternation, load_rules

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# In the source, digits right after a Latin letter belong to a name: MP3, H264, G7.
_SOURCE_NUMBER = re.compile(r"(?<![A-Za-z])\d+(?:[.,]\d+)*")
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 10**9, "trillion": 10**12}
_SCALE_AFTER = re.compile(r"\s+(thousand|million|billion|trillion)\b", re.IGNORECASE)
_KOREAN_UNITS = {"십": 10, "백": 100, "천": 1000, "만": 10_000, "억": 10**8, "조": 10**12}
_KOREAN_NUMERAL = re.compile(r"(?:\d+(?:\.\d+)?\s*[십백천만억조]+\s*)+\d*")
# Native numerals standing alone differ from the form before a counter (한 명, but 하나).
_STANDALONE = {"한": "하나", "두": "둘", "세": "셋", "네": "넷", "스무": "스물"}
# Korean counts of days in one word: "two days" is 이틀.
_KOREAN_DAYS = {
    1: "하루",
    2: "이틀",
    3: "사흘",
    4: "나흘",
    5: "닷새",
    6: "엿새",
    7: "이레",
    8: "여드레",
    9: "아흐레",
    10: "열흘",
    15: "보름",
}
# English words that a translation may well write with digits: a quarter is 4분의 1,
# teenage girls are 10대 소녀, twice is 2번.
_IMPLIED = {
    "half": (2, 1), "halves": (2, 1), "quarter": (4, 1), "quarters": (4, 1), "once": (1,), "twice": (2,),
    "double": (2,), "couple": (2,), "pair": (2,), "teen": (10,), "teens": (10,), "teenage": (10,),
    "teenager": (10,), "teenagers": (10,), "decade": (10,), "decades": (10,), "dozens": (12, 10),
    "century": (100,), "centuries": (100,), "hundreds": (100,), "thousands": (1000,), "millions": (10**6,),
    "percent": (100,), "per cent": (100,),
}  # fmt: skip


@dataclass(frozen=True)
class SourceNumber:
    """A number the source says: as written, and the values a translation may give it as."""

    shown: str
    values: tuple[str, ...]


def source_numbers(text: str, lang: str = "en") -> list[SourceNumber]:
    """Numbers of the source in digits (not those of names: MP3) and, in English, in words.

    ``6 million`` may be said as 6000000 or as 6 (a Korean translation says
    600만); a lone ``one`` is left out, being as often a pronoun as a number.
    """
    found = [*_digit_numbers(text)]
    if lang.split("_")[0].split("-")[0] == "en":
        found.extend(number for number in _word_numbers(text) if number.shown.lower() != "one")
    unique: dict[tuple[str, ...], SourceNumber] = {}
    for number in found:
        unique.setdefault(number.values, number)
    return list(unique.values())


def _digit_numbers(text: str) -> Iterator[SourceNumber]:
    for match in _SOURCE_NUMBER.finditer(text):
        number = normalise_number(match.group(0))
        scale = _SCALE_AFTER.match(text, match.end())
        if scale and re.fullmatch(r"\d+(?:\.\d+)?", number):
            value = normalise_number(f"{Decimal(number) * _SCALES[scale.group(1).lower()]:f}")
            yield SourceNumber(match.group(0).rstrip(".,"), (value, number))
        else:
            yield SourceNumber(match.group(0).rstrip(".,"), (number,))


def _word_numbers(text: str) -> Iterator[SourceNumber]:
    words = _english_words()
    for match in _english_run().finditer(text):
        if re.search(r"\d\s*$", text[: match.start()]):
            continue  # the scale word of "6 million", counted with its digits
        total = current = 0
        for word in re.split(r"(?:\s+and\s+|\s+|-(?=[a-z]))", match.group(0).lower()):
            value = words.get(word)
            if value is None:
                continue
            if word == "hundred":
                current = max(current, 1) * 100
            elif value >= 1000:
                total += max(current, 1) * value
                current = 0
            else:
                current += value
        yield SourceNumber(match.group(0), (str(total + current),))


@functools.cache
def _english_words() -> dict[str, int]:
    """English number words and their values, as num2words writes them (``twenty-one``)."""
    words = {num2words(n, lang="en"): n for n in range(100)}
    words.update({"hundred": 100, "dozen": 12, **_SCALES})
    return words


@functools.cache
def _english_run() -> re.Pattern[str]:
    word = alternation(list(_english_words()))
    return re.compile(rf"\b(?:{word})(?:(?:\s+and\s+|\s+|-)(?:{word}))*\b", re.IGNORECASE)


def normalise_number(raw: str) -> str:
    """One spelling per value: ``1,200`` → ``1200``, ``4.50`` → ``4.5``."""
    raw = raw.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        raw = raw.replace(",", "")
    if re.fullmatch(r"\d+\.\d+", raw):
        raw = raw.rstrip("0").rstrip(".")
    return raw


def said_in_digits(translation: str, lang: str) -> list[str]:
    """The values a translation writes with digits; in Korean ``3만 4천`` is one value, 34000."""
    values = []
    if lang.startswith("ko"):
        for match in _KOREAN_NUMERAL.finditer(translation):
            values.append(normalise_number(_korean_value(match.group(0))))
        translation = _KOREAN_NUMERAL.sub(" ", translation)
    values.extend(normalise_number(match.group(0)) for match in _NUMBER.finditer(translation))
    return values


def number_is_said(number: str, translation: str, lang: str) -> bool:
    """True when ``translation`` says ``number`` (a normalised value; ``a|b`` for either)."""
    alternatives = number.split("|")
    if set(said_in_digits(translation, lang)) & set(alternatives):
        return True
    return any(pattern.search(translation) for value in alternatives for pattern in _spelled_patterns(value, lang))


def added_numbers(source: str, translation: str, lang: str, source_lang: str = "en") -> list[str]:
    """Numbers written in digits in the translation that the source does not say in any form."""
    allowed = {value for number in source_numbers(source, source_lang) for value in number.values}
    allowed |= {normalise_number(match.group(0)) for match in _NUMBER.finditer(source)}
    allowed |= {str(month) for month in _months_named(source, source_lang)}
    allowed |= _words_in(source)
    added = [value for value in said_in_digits(translation, lang) if value not in allowed]
    return list(dict.fromkeys(added))


def _words_in(source: str) -> set[str]:
    """Values of every number word of the source, each alone (``one`` and ordinals too)."""
    words = {**_english_words(), **_ordinal_words()}
    values = set()
    for word in re.findall(r"[a-z]+(?:-[a-z]+)?", source.lower()):
        if word in words:
            values.add(str(words[word]))
        values.update(str(value) for value in _IMPLIED.get(word, ()))
    return values


@functools.cache
def _ordinal_words() -> dict[str, int]:
    """``first`` … ``ninety-ninth`` and their plurals (``two thirds``)."""
    words = {}
    for n in range(1, 100):
        ordinal = num2words(n, lang="en", to="ordinal")
        words[ordinal] = words[f"{ordinal}s"] = n
    return words


def _months_named(text: str, lang: str) -> Iterator[int]:
    """Months named in words (``March`` → 3): a translation may write them in digits (3월)."""
    try:
        names = {str(name).lower(): number for number, name in get_month_names("wide", locale=lang).items()}
    except (ValueError, LookupError):
        return
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        if word in names:
            yield names[word]


def _korean_value(written: str) -> str:
    """The value of a number written with Korean units: ``3만 4천`` → 34000, ``1.5만`` → 15000."""
    total = section = Decimal(0)
    for number, units in re.findall(r"(\d+(?:\.\d+)?)?\s*([십백천만억조]*)", written):
        if not number and not units:
            continue
        value = Decimal(number) if number else Decimal(1)
        for unit in units:
            if _KOREAN_UNITS[unit] >= 10_000:
                total += (section + value) * _KOREAN_UNITS[unit]
                section, value = Decimal(0), Decimal(0)
            else:
                value *= _KOREAN_UNITS[unit]
        section += value
    return f"{total + section:f}"


@functools.cache
def _spelled_patterns(number: str, lang: str) -> tuple[re.Pattern[str], ...]:
    """Ways ``number`` can be written in words in ``lang``."""
    base = lang.replace("-", "_").split("_")[0]
    try:
        value: Any = Decimal(number)
    except InvalidOperation:
        return ()
    if base == "ko":
        return tuple(_korean_patterns(number, value))
    try:
        words = num2words(value if "." in number else int(value), lang=base)
    except (NotImplementedError, OverflowError, ValueError, KeyError, TypeError):
        return ()
    return (_word_pattern(words, base),)


def _korean_patterns(number: str, value: Decimal) -> Iterator[re.Pattern[str]]:
    """Sino-Korean words (two syllables or more) and native numerals, as the voice says them."""
    readings = [ko_numbers.decimal(number)] if "." in number else [ko_numbers.sino(int(value))]
    for reading in readings:
        # One Sino-Korean syllable (이, 삼, 사, ...) is also a particle or part of many words.
        if len(reading.replace(" ", "")) >= 2:
            yield _word_pattern(reading, "ko")
    if "." not in number and int(value) in _KOREAN_DAYS:
        yield re.compile(rf"(?<![가-힣]){_KOREAN_DAYS[int(value)]}")
    native = ko_numbers.native(int(value)) if "." not in number else None
    if native is None:
        return
    for word in dict.fromkeys([native, _standalone(native)]):
        yield re.compile(rf"(?<![가-힣]){word}{_native_follow(word)}")


def _standalone(native: str) -> str:
    for counter_form, alone in _STANDALONE.items():
        if native.endswith(counter_form):
            return native[: -len(counter_form)] + alone
    return native


@functools.cache
def _native_follow(word: str) -> str:
    """A one-syllable native numeral counts only before a space, the end or a counter (세 장, not 세계)."""
    if len(word) > 1:
        return ""
    counters = alternation(load_rules("ko_rules")["native_counters"])
    return rf"(?=\s|$|(?:{counters}))"


def _word_pattern(words: str, base: str) -> re.Pattern[str]:
    """A pattern for spelled-out ``words``, with word boundaries as ``base`` writes them."""
    body = r"[\s-]*".join(re.escape(part) for part in re.split(r"[\s-]+", words.strip()))
    if base in ("ja", "zh"):
        return re.compile(body)
    if base == "ko":
        return re.compile(rf"(?<![가-힣\w]){body}")
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
