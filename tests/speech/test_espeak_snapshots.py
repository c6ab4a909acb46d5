"""Golden espeak-ng phoneme snapshots of normalised Korean sentences, as written and as respelled.

A change in the normaliser or the pronunciation rules that changes how a
sentence is pronounced shows up here, in review, as a diff of
``tests/data/speech/espeak_ko.yaml``. Each chunk is rendered with
``espeak-ng -q -x`` and the voice of its language (``ko`` or ``en-us``); a
Korean chunk also as the voice is given it, respelled as pronounced. After an
intended change, refresh the file and review the diff::

    UPDATE_ESPEAK_SNAPSHOTS=1 .venv/bin/pytest tests/speech/test_espeak_snapshots.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml
from speech_cases import DATA

from pipeline.fsutil import atomic_write_text
from pipeline.speech import normalise
from pipeline.speech.pronounce import respell

SNAPSHOT_FILE = DATA / "espeak_ko.yaml"
UPDATE = os.environ.get("UPDATE_ESPEAK_SNAPSHOTS") == "1"
VOICES = {"ko": "ko", "en": "en-us"}
SENTENCES = [
    "2022년 3월 21일, 이천이십이 년의 봄.",
    "2014년 유엔 조사위원회는 결론을 내렸다.",
    "북한에는 약 600만 대의 휴대전화가 있어 4명 중 1명꼴로 가지고 있다.",
    "2023년 유엔 보고서는 인구의 46%가 식량 불안을 겪는다고 추산했다.",
    "새 울타리는 743km에 이르고 완충지대는 1~2킬로미터다.",
    "외국 영상물을 보면 15년 형을 받을 수 있다.",
    "1달러, US$6~7, 18,000원.",
    "6월과 10월 오후 3시에 20살 학생 2~3명이 모였다.",
    "영하 -5℃, 성장률 0.67%, 제1차 회의의 첫째 안건.",
    "USB와 SD 카드, COVID-19, K-pop, ABC.",
    "北韓의 不動産 比率",
    "드라마 Crash Landing on You를 Netflix에서 봤다.",
    "정부는 오늘 국민에게 감사하다고 발표했습니다.",
    "신라의 옛이야기를 같이 읽고 값이 좋다고 합니다.",
    "할 것이 많지만 의견란에 콧물과 희망을 적고 솜이불을 덮었습니다.",
]
# What espeak-ng says for the respelled standard forms (issue 15's table): [hamnida], not [hapnida].
RESPELLED_PHONEMES = {
    "합니다": "h'amnid,a",
    "국민": "g'uNmin",
    "같이": "g'atShi",
    "신라": "s'ila",
    "좋다": "tS;'otha",
    "값이": "g'aps-i",  # espeak-ng gets this one right as written too
}


def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True, timeout=10).stdout
    return out.split(":")[1].split()[0]


def phonemes(text: str, lang: str) -> str:
    result = subprocess.run(
        ["espeak-ng", "-q", "-x", "-v", VOICES[lang], text],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return " / ".join(line.strip() for line in result.stdout.splitlines() if line.strip())


def render(sentence: str) -> dict[str, object]:
    chunks = normalise(sentence, "ko")
    respelled = [respell(c.text) if c.lang == "ko" else c.text for c in chunks]
    return {
        "written": sentence,
        "spoken": [f"{c.lang}: {c.text}" for c in chunks],
        "phonemes": [phonemes(c.text, c.lang) for c in chunks],
        "pronounced": [f"{c.lang}: {text}" for c, text in zip(chunks, respelled, strict=True)],
        "pronounced_phonemes": [phonemes(text, c.lang) for c, text in zip(chunks, respelled, strict=True)],
    }


@pytest.fixture(scope="module")
def snapshots() -> dict[str, object]:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (make system-deps installs it)")
    if UPDATE:
        data = {"espeak_ng": espeak_version(), "snapshots": [render(s) for s in SENTENCES]}
        header = (
            "# espeak-ng -q -x phonemes of normalised Korean sentences; see\n"
            "# tests/speech/test_espeak_snapshots.py. Regenerate, do not edit:\n"
            "#   UPDATE_ESPEAK_SNAPSHOTS=1 .venv/bin/pytest tests/speech/test_espeak_snapshots.py\n"
        )
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        atomic_write_text(SNAPSHOT_FILE, header + text)
    return yaml.safe_load(SNAPSHOT_FILE.read_text(encoding="utf-8"))


def test_snapshots_were_made_with_this_espeak_ng(snapshots: dict) -> None:
    assert snapshots["espeak_ng"] == espeak_version(), (
        "espeak-ng changed: refresh with UPDATE_ESPEAK_SNAPSHOTS=1 and review the diff"
    )


def test_there_is_a_snapshot_for_every_sentence(snapshots: dict) -> None:
    assert [s["written"] for s in snapshots["snapshots"]] == SENTENCES


@pytest.mark.parametrize("sentence", SENTENCES)
def test_pronunciation_matches_the_snapshot(snapshots: dict, sentence: str) -> None:
    stored = next(s for s in snapshots["snapshots"] if s["written"] == sentence)
    assert render(sentence) == stored


def test_no_korean_chunk_switches_espeak_to_another_language(snapshots: dict) -> None:
    for snapshot in snapshots["snapshots"]:
        for key in ("phonemes", "pronounced_phonemes"):
            for spoken, phoneme_text in zip(snapshot["spoken"], snapshot[key], strict=True):
                if spoken.startswith("ko: "):
                    assert "(en)" not in phoneme_text and "(zh" not in phoneme_text, spoken


@pytest.mark.parametrize(("written", "expected"), RESPELLED_PHONEMES.items())
def test_respelled_words_are_said_as_the_standard_says_them(written: str, expected: str) -> None:
    assert phonemes(respell(written), "ko") == expected
    if written != "값이":
        assert phonemes(written, "ko") != expected  # espeak-ng alone reads the letters


def test_respelled_sentence_endings_say_m_before_nida(snapshots: dict) -> None:
    endings = [
        phoneme_text
        for snapshot in snapshots["snapshots"]
        for spoken, phoneme_text in zip(snapshot["pronounced"], snapshot["pronounced_phonemes"], strict=True)
        if spoken.endswith("니다.")
    ]
    assert len(endings) == 3
    assert all(re.search("mn,?id", text) and not re.search("pn,?id", text) for text in endings), endings
