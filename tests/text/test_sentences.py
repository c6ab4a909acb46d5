"""Sentence splitting shared by ingest and rendering: English and Korean."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.text.sentences import split_sentences

CASES = [
    ("It was parked by the van.It feels odd.", ["It was parked by the van.", "It feels odd."]),
    (
        "Ms. Kim left the U.S. in 2011. She came back.",
        ["Ms. Kim left the U.S. in 2011.", "She came back."],
    ),
    ("The U.S. State Department paid.", ["The U.S. State Department paid."]),
    ("It fell 0.67 points. Then 3.5 more.", ["It fell 0.67 points.", "Then 3.5 more."]),
    ("“It is a set.” Then he left.", ["“It is a set.”", "Then he left."]),
    ("He said “stop.” She did not!", ["He said “stop.”", "She did not!"]),
    ("Wait... and then more. Yes? No!", ["Wait... and then more.", "Yes?", "No!"]),
    ("At 10 p.m. EST, the show airs. Watch it.", ["At 10 p.m. EST, the show airs.", "Watch it."]),
    ("See No. 3 on the list. Done.", ["See No. 3 on the list.", "Done."]),
    ("1. Sending balloons full of cash.", ["1. Sending balloons full of cash."]),
    (
        "Dr. Lee met Mr. Park (the trader.) They left.",
        ["Dr. Lee met Mr. Park (the trader.)", "They left."],
    ),
    ("", []),
]
KOREAN = [
    ("그는 떠났다. 그리고 돌아왔다.", ["그는 떠났다.", "그리고 돌아왔다."]),
    ("그는 떠났다.그리고 돌아왔다!", ["그는 떠났다.", "그리고 돌아왔다!"]),
    ("3.5퍼센트였다. 정말?", ["3.5퍼센트였다.", "정말?"]),
    ("“라디오를 들었다.” 그녀가 말했다.", ["“라디오를 들었다.”", "그녀가 말했다."]),
    ("미국(U.S.)에서 왔다. 끝.", ["미국(U.S.)에서 왔다.", "끝."]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize(("text", "expected"), KOREAN)
def test_korean(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "ko") == expected


@given(st.text(max_size=300), st.sampled_from(["en", "ko"]))
def test_nothing_is_dropped_or_added(text: str, lang: str) -> None:
    pieces = split_sentences(text, lang)
    assert "".join(" ".join(pieces).split()) == "".join(text.split())
    assert all(piece == piece.strip() and piece for piece in pieces)


def test_a_quotation_particle_stays_with_its_quote() -> None:
    assert split_sentences('그는 "숨겨 두세요."라고 말했습니다. 모두 조용했습니다.', "ko") == [
        '그는 "숨겨 두세요."라고 말했습니다.',
        "모두 조용했습니다.",
    ]
