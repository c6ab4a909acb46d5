"""Number words found by a pattern factored by first letter, against the plain alternation."""

from __future__ import annotations

import re
from random import Random

import pytest

from pipeline.i18n.numbers import _english_words, by_first_letter, source_numbers
from pipeline.speech.rules import alternation


def runs_of(word: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{word})(?:(?:\s+and\s+|\s+|-)(?:{word}))*\b", re.IGNORECASE)


def test_number_words_are_found_as_the_plain_alternation_finds_them() -> None:
    """Number words in any case, run together with spaces, hyphens and 'and', inside other
    words, beside digits and letters that lower-case to ASCII (the Kelvin sign, the long s):
    the same runs, at the same places."""
    words = list(_english_words())
    plain, factored = runs_of(alternation(words)), runs_of(by_first_letter(words))
    random = Random(22)
    joins = [" ", "-", " and ", "  ", "", ", ", "x", "1"]
    oddities = ["\u212a", "\u017f", "é", "ß", "seventy", "eight", "eighteenth"]
    for _ in range(3000):
        text = random.choice(["", "a ", "The "])
        for _ in range(random.randint(1, 6)):
            word = random.choice(words + oddities)
            word = random.choice([word, word.upper(), word.title()])
            text += word + random.choice(joins)
        assert [m.span() for m in factored.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_words_not_starting_with_a_lower_case_letter_are_refused() -> None:
    with pytest.raises(ValueError, match="'One' does not start"):
        by_first_letter(["one", "One"])


def test_source_numbers_in_words() -> None:
    found = source_numbers("Twenty-one people and six hundred and five radios; one of them", "en")
    assert [(number.shown, number.values) for number in found] == [
        ("Twenty-one", ("21",)),
        ("six hundred and five", ("605",)),
    ]
