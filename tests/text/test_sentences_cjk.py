"""Sentence splitting of Chinese and Japanese text, which puts no space after a stop."""

from __future__ import annotations

from pipeline.text.sentences import split_sentences


def test_full_width_stops_end_sentences_without_a_space() -> None:
    assert split_sentences("今日は晴れです。明日は雨です！本当？", "ja") == [
        "今日は晴れです。",
        "明日は雨です！",
        "本当？",
    ]


def test_a_closing_corner_bracket_stays_with_its_sentence() -> None:
    assert split_sentences("他说：「我听了广播。」然后他走了。", "zh") == [
        "他说：「我听了广播。」",
        "然后他走了。",
    ]


def test_western_and_korean_splitting_is_unchanged() -> None:
    assert split_sentences("라디오를 들었습니다. 그리고 잤습니다.", "ko") == [
        "라디오를 들었습니다.",
        "그리고 잤습니다.",
    ]
    assert split_sentences("The U.S. economy grew 0.67 percent. It feels good.") == [
        "The U.S. economy grew 0.67 percent.",
        "It feels good.",
    ]
