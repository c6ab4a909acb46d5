"""LRC and SRT writing, reading and timing checks."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import OutputError
from pipeline.formats.lyrics import Cue, parse_lrc, parse_srt, timing_problems, to_lrc, to_srt

CUES = [
    Cue(0.0, 2.345, "북한 주민들은 라디오를 듣습니다."),
    Cue(2.345, 5.1, "작은 플레이어가 손에서 손으로 건너갑니다."),
    Cue(6.0, 8.999, "감사합니다."),
]


def test_lrc_has_tags_cues_and_closing_lines_only() -> None:
    text = to_lrc(CUES, title="여는 말", artist="Open Window Radio", album="라디오")
    assert text == (
        "[ti:여는 말]\n"
        "[ar:Open Window Radio]\n"
        "[al:라디오]\n"
        "[00:00.00]북한 주민들은 라디오를 듣습니다.\n"
        "[00:02.34]작은 플레이어가 손에서 손으로 건너갑니다.\n"
        "[00:05.10]\n"
        "[00:06.00]감사합니다.\n"
        "[00:08.99]\n"
    )
    assert "[re:" not in text and "[ve:" not in text and "[by:" not in text


def test_srt_blocks() -> None:
    assert to_srt(CUES[:2]) == (
        "1\n00:00:00,000 --> 00:00:02,345\n북한 주민들은 라디오를 듣습니다.\n\n"
        "2\n00:00:02,345 --> 00:00:05,100\n작은 플레이어가 손에서 손으로 건너갑니다.\n"
    )


def test_lrc_round_trip_keeps_text_and_times_to_the_hundredth() -> None:
    parsed = parse_lrc(to_lrc(CUES, title="t"))
    assert [c.text for c in parsed] == [c.text for c in CUES]
    for got, want in zip(parsed, CUES, strict=True):
        assert got.start == pytest.approx(want.start, abs=0.01)
        assert got.end == pytest.approx(want.end, abs=0.01)


def test_srt_round_trip_is_exact_to_the_millisecond() -> None:
    assert parse_srt(to_srt(CUES)) == CUES


def test_long_times_and_line_breaks_in_text() -> None:
    cue = Cue(3725.5, 3726.25, "two\nlines")
    assert to_lrc([cue]).startswith("[62:05.50]two lines\n")
    assert "01:02:05,500 --> 01:02:06,250\ntwo lines" in to_srt([cue])


def test_parse_lrc_accepts_several_stamps_and_closes_on_next_later_stamp() -> None:
    cues = parse_lrc("[ar:x]\n[00:01.00][00:05.00]chorus\n[00:03.5]verse\n")
    assert cues == [Cue(1.0, 3.5, "chorus"), Cue(5.0, 5.0, "chorus"), Cue(3.5, 5.0, "verse")]
    assert timing_problems(cues, 6.0) == ["cue 3 (00:00:03,500): starts before cue 2 (not in time order)"]


def test_parse_errors_name_the_line() -> None:
    with pytest.raises(OutputError, match=r"^a\.lrc:2: not an LRC line"):
        parse_lrc("[00:01.00]ok\nno stamp here\n", "a.lrc")
    with pytest.raises(OutputError, match=r"^a\.srt:2: expected 'HH:MM:SS,mmm"):
        parse_srt("1\n00:00:01 --> 00:00:02\nx\n", "a.srt")
    with pytest.raises(OutputError, match=r"^a\.srt:1: expected a cue number"):
        parse_srt("one\n", "a.srt")


def test_good_timing_has_no_problems() -> None:
    assert timing_problems(CUES, duration=9.0) == []
    assert timing_problems(parse_lrc(to_lrc(CUES)), duration=9.0) == []


def test_timing_problems_are_each_named() -> None:
    cues = [
        Cue(1.0, 3.0, "a"),
        Cue(2.0, 4.0, "b"),  # overlaps a
        Cue(1.5, 1.8, "c"),  # out of order
        Cue(5.0, 4.5, "d"),  # ends before it starts
        Cue(9.0, 12.0, " "),  # past the end, no text
    ]
    assert timing_problems(cues, duration=10.0) == [
        "cue 2 (00:00:02,000): overlaps cue 1, which ends later",
        "cue 3 (00:00:01,500): starts before cue 2 (not in time order)",
        "cue 4 (00:00:05,000): ends before it starts (00:00:04,500)",
        "cue 5 (00:00:09,000): no text",
        "cue 5 (00:00:09,000): runs to 00:00:12,000, past the end of the audio (00:00:10,000)",
    ]
    assert timing_problems([], 3.0) == ["no cues"]


times = st.lists(st.floats(0, 4000, allow_nan=False), min_size=2, max_size=30)


@given(times)
def test_written_times_stay_ordered_and_within_the_audio(points: list[float]) -> None:
    points.sort()
    cues = [Cue(a, b, f"line {i}") for i, (a, b) in enumerate(itertools.pairwise(points))]
    duration = points[-1]
    assert timing_problems(parse_srt(to_srt(cues)), duration) == []
    assert timing_problems(parse_lrc(to_lrc(cues)), duration) == []
