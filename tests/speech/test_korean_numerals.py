"""Korean numerals and the num2words output they correct."""

from __future__ import annotations

import pytest
from num2words import num2words

from pipeline.speech import ko_numbers as num


@pytest.mark.parametrize(
    ("number", "said"),
    [
        (0, "영"),
        (1, "일"),
        (10, "십"),
        (1000, "천"),
        (10000, "만"),
        (18000, "만 팔천"),
        (100000000, "일억"),
        (100010000, "일억 일만"),
        (1000010000, "십억 일만"),
        (10**12, "일조"),
        (-5, "마이너스 오"),
    ],
)
def test_sino_korean_cardinals(number: int, said: str) -> None:
    assert num.sino(number) == said


@pytest.mark.parametrize(
    ("number", "said"),
    [
        *[(1, "한"), (2, "두"), (3, "세"), (4, "네"), (10, "열"), (11, "열한"), (12, "열두")],
        *[(20, "스무"), (21, "스물한"), (30, "서른"), (45, "마흔다섯"), (99, "아흔아홉")],
    ],
)
def test_native_numerals_before_a_counter(number: int, said: str) -> None:
    assert num.native(number) == said


@pytest.mark.parametrize("number", [0, 100, -1])
def test_native_numerals_stop_at_ninety_nine(number: int) -> None:
    assert num.native(number) is None


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("0.67", "영 점 육칠"),
        ("1.50", "일 점 오영"),
        ("18,000", "만 팔천"),
        ("12.005", "십이 점 영영오"),
    ],
)
def test_decimals_are_read_digit_by_digit_as_written(written: str, said: str) -> None:
    assert num.decimal(written) == said


def test_num2words_outputs_this_module_corrects() -> None:
    """If num2words changes, these corrections need another look."""
    assert num2words(100010000, lang="ko") == "일억 만"  # corrected: 일억 일만
    assert num2words(0.67, lang="ko") == "영 점 육 칠"  # corrected: 영 점 육칠
    assert num2words(1.50, lang="ko") == "일 점 오"  # written 1.50 is 일 점 오영
    assert num2words(20, lang="ko", to="ordinal") == "스물 번째"  # corrected: 스무 번째
    with pytest.raises(KeyError):
        num2words(100, lang="ko", to="ordinal")


@pytest.mark.parametrize(
    ("number", "counter", "said"),
    [
        (20, "번째", "스무 번째"),
        (100, "번째", "백 번째"),
        (121, "번째", "백스물한 번째"),
        (1, "번째", "첫 번째"),
        (3, "째", "셋째"),
        (12, "째", "열두째"),
        (6, "월", "유 월"),
        (10, "월", "시 월"),
        (12, "시", "열두 시"),
        (13, "시", "십삼 시"),
        (10, "배", "열 배"),
        (30, "대", "삼십 대"),
        (3, "대", "세 대"),
        (150, "명", "백오십 명"),
    ],
)
def test_counted_numbers(number: int, counter: str, said: str) -> None:
    assert num.counted(number, counter) == said


@pytest.mark.parametrize(
    ("low", "high", "counter", "said"),
    [
        (1, 2, "명", "한두"),
        (3, 4, "개", "서너"),
        (6, 7, "명", "예닐곱"),
        (2, 3, "년", "이삼"),
        (5, 6, None, "오륙"),
        (2, 4, "명", None),
        (9, 10, "명", None),
    ],
)
def test_approximate_pairs(low: int, high: int, counter: str | None, said: str | None) -> None:
    assert num.approximate(low, high, counter) == said
