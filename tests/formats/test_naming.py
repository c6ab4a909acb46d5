"""Card-safe names: ASCII slugs, FAT32 rules, distinct ignoring case."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.formats.naming import (
    FAT32_FORBIDDEN,
    MAX_NAME_LENGTH,
    RESERVED_NAMES,
    name_problems,
    slugify,
    unique_names,
)


def test_korean_is_transliterated_and_symbols_dropped() -> None:
    assert slugify("라디오가 닿는 곳") == "ladioga-dahneun-gos"
    assert slugify('Ça va? "naïve" café: <a>|b*') == "ca-va-naive-cafe-a-b"
    assert slugify("SD Cards & USB Sticks") == "sd-cards-usb-sticks"
    assert slugify("?!*") == "item"


def test_reserved_dos_names_are_changed() -> None:
    assert slugify("CON") == "con-item"
    assert slugify("nul") == "nul-item"
    assert slugify("com1") == "com1-item"
    assert slugify("console") == "console"


def test_long_text_is_cut_at_a_word_boundary() -> None:
    slug = slugify("how outside information reaches people " * 4)
    assert len(slug) <= MAX_NAME_LENGTH
    assert slug == "how-outside-information-reaches-people-how-outside-information"
    assert slugify("a" * 100) == "a" * MAX_NAME_LENGTH


def test_unique_names_are_distinct_ignoring_case_and_deterministic() -> None:
    names = ["Radio", "radio", "RADIO", "radio-2", "라디오", "라디오"]
    result = unique_names(names)
    assert result == ["radio", "radio-3", "radio-4", "radio-2", "ladio", "ladio-2"]
    assert unique_names(names) == result


def test_unique_names_stay_within_the_length_limit() -> None:
    result = unique_names(["x" * 80, "x" * 70, "X" * 64])
    assert len(set(result)) == 3
    assert all(len(name) <= MAX_NAME_LENGTH for name in result)


def test_name_problems() -> None:
    assert name_problems("01-opening.mp3") == []
    assert name_problems("playlist.m3u8") == []
    assert "not ASCII" in name_problems("라디오.mp3")
    assert "has a character FAT32 forbids" in name_problems("a:b.mp3")
    assert "'con' is a reserved device name" in name_problems("CON.txt")
    assert "not lower-case" in name_problems("Opening.mp3")
    assert "starts or ends with a space or dot" in name_problems("x.")


@given(st.lists(st.text(max_size=90), max_size=12))
def test_any_text_gives_safe_distinct_names(texts: list[str]) -> None:
    names = unique_names(texts)
    assert len(names) == len(texts)
    assert len({name.lower() for name in names}) == len(names)
    for name in names:
        assert name and name.isascii() and name == name.lower()
        assert len(name) <= MAX_NAME_LENGTH
        assert not set(name) & FAT32_FORBIDDEN
        assert name not in RESERVED_NAMES
        assert not name.endswith((".", " ", "-"))
        assert name_problems(name) == []
