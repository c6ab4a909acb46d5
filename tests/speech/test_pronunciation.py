"""Korean respelled as pronounced: the standard-pronunciation test set, rule by rule.

``tests/data/speech/pronunciation.tsv`` holds the items: each rule's examples
from 표준발음법 and dictionary pronunciations, checked by hand (never a
library's output). The test prints the accuracy per rule (``pytest -s``) and
holds the whole set to at least 97 %; the figures are in the README.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from speech_cases import DATA

from pipeline.speech import hangul
from pipeline.speech.lexicon import load_lexicon
from pipeline.speech.pronounce import respell

TEST_SET = DATA / "pronunciation.tsv"
REQUIRED_ACCURACY = 0.97


@dataclass(frozen=True)
class Item:
    rule: str
    written: str
    accepted: tuple[str, ...]
    source: str
    line: int


def load_items() -> list[Item]:
    items = []
    for number, line in enumerate(TEST_SET.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        rule, written, expected, source = line.split("\t")
        items.append(Item(rule, written, tuple(expected.split("|")), source, number))
    return items


def accuracy_table(items: list[Item]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Right/total per rule, and one line per miss; words go through the built-in lexicon's
    pronunciations, as a build without project entries does."""
    exceptions = load_lexicon(None, "ko").pronunciations
    scores: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    misses = []
    for item in items:
        got = respell(item.written, exceptions)
        scores[item.rule][1] += 1
        if got in item.accepted:
            scores[item.rule][0] += 1
        else:
            misses.append(
                f"{TEST_SET.name}:{item.line}: {item.rule}: {item.written} → {got}, expected {'|'.join(item.accepted)}"
            )
    return {rule: (right, total) for rule, (right, total) in scores.items()}, misses


def test_the_set_is_large_and_grouped_by_rule() -> None:
    items = load_items()
    assert len(items) >= 150
    rules = collections.Counter(item.rule for item in items)
    assert len(rules) >= 15 and min(rules.values()) >= 5


def test_accuracy_per_rule_and_overall() -> None:
    table, misses = accuracy_table(load_items())
    right = sum(r for r, _ in table.values())
    total = sum(t for _, t in table.values())
    print("\n| rule | items | right | accuracy |\n|---|---:|---:|---:|")
    for rule, (r, t) in table.items():
        print(f"| {rule} | {t} | {r} | {100 * r / t:.1f} % |")
    print(f"| **all** | {total} | {right} | {100 * right / total:.1f} % |")
    print("\n".join(misses))
    assert right / total >= REQUIRED_ACCURACY, "\n".join(misses)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("정부는 오늘", "정부는 오늘"),  # a final consonant is not carried into the next word
        ("책을 읽었습니다", "채글 일걷씀니다"),
        ("값 올랐다", "갑 올랃따"),
        ("옷 안에", "옫 아네"),
        ("새 법을 만들었다", "새 버블 만드럳따"),  # a determiner and its noun stay two words
        ("몇 명이 왔다", "면명이 왇따"),  # a number and its counter are one
    ],
)
def test_word_boundaries_are_kept(written: str, said: str) -> None:
    assert respell(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("칠 세 아동", "칠쎄 아동"),  # the analyser reads 세 as 세(three), a determiner
        ("팔 세 어린이", "팔쎄 어리니"),
        ("삼 세 아이", "삼세 아이"),  # joined, but not tensed after ㅁ
        ("세 사람이 왔다", "세 사라미 왇따"),  # 세(three) with no number before it stays a word
        ("이십일 세기", "이시빌쎄기"),  # the analyser splits 이십 + 일 and calls 세기 a noun
        ("일 등급", "일뜽급"),
        ("첫째 안건", "첟째 안건"),  # an ordinal word is not a number written in digits
    ],
)
def test_a_number_and_what_it_counts_are_one_word(written: str, said: str) -> None:
    assert respell(written) == said


def test_text_around_hangul_is_kept() -> None:
    assert respell("국민, 여러분! [en] 좋다?") == "궁민, 여러분! [en] 조타?"
    assert respell("") == ""
    assert respell("no Hangul 123") == "no Hangul 123"


def test_exceptions_replace_whole_words_and_the_rules_still_join_them() -> None:
    assert respell("광한루에 갔다") == "광한누에 갇따"  # the rules alone get this place name wrong
    assert respell("광한루에 갔다", {"광한루": "광할루"}) == "광할루에 갇따"
    assert respell("북광한루", {"광한루": "광할루"}) == "북꽝한누"  # only at the start of a word


def test_sentences_needing_no_morphology_do_not_load_the_analyser() -> None:
    code = (
        "import sys\n"
        "from pipeline.speech.pronounce import respell\n"
        "assert respell('의사가 희어 가져') == '의사가 히어 가저'\n"
        "assert 'mecab' not in sys.modules\n"
        "assert respell('국민') == '궁민'\n"
        "assert 'mecab' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


LETTERS = [*"가각값닭않읽밟흙있없읊넓핥의희져ㄱ ,.!?A1", *"국민신라같이좋다할것"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(LETTERS), max_size=30))
def test_any_text_is_respelled_syllable_for_syllable(text: str) -> None:
    said = respell(text)
    syllables = [char for char in text if hangul.is_syllable(char)]
    assert len([char for char in said if hangul.is_syllable(char)]) == len(syllables)
    assert [char for char in said if not hangul.is_syllable(char) and char != " "] == [
        char for char in text if not hangul.is_syllable(char) and char != " "
    ]


def test_a_missing_analyser_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.errors import ToolMissing
    from pipeline.speech import morphology

    monkeypatch.setitem(sys.modules, "mecab", None)  # import mecab now raises ImportError
    morphology._tagger.cache_clear()
    try:
        with pytest.raises(ToolMissing, match="pip install python-mecab-ko python-mecab-ko-dic"):
            respell("국민")
    finally:
        morphology._tagger.cache_clear()
