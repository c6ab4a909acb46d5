"""Sentence splitting for English and Korean text.

Entry point: :func:`split_sentences`. It breaks after ``.``, ``!``, ``?`` (and
their full-width forms) when the next word starts a sentence, and keeps
together abbreviations (``U.S.``, ``Ms.``, ``No. 3``), decimals (``0.67``),
ellipses inside a sentence, and closing quotes or brackets with the sentence
they end. Run-together sentences with no space after the stop
(``the van.It feels``, ``했다.그는``) are split too, a list number at the
start (``1. Sending balloons``) stays with its item, and Chinese and Japanese
text, which runs sentences together after a full-width stop (``。``, ``！``,
``？``), is split there.
"""

from __future__ import annotations

import re

# Words that end with a full stop but rarely end a sentence.
ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "no",
        "nos",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "dept",
        "est",
        "fig",
        "gen",
        "gov",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "col",
        "lt",
        "sgt",
        "capt",
        "rev",
        "vol",
        "ed",
        "p",
        "pp",
    }
)
_CLOSERS = "\"'”’)]»」』"
_TERMINATORS = ".!?。！？…"
_OPENERS = "\"'“‘([«「『"
_HANGUL = "가-힣"
_WIDE_STOPS = "。！？"
# A stop, any closing quotes/brackets, then spaces, a capital letter or Hangul straight after,
# or anything after a full-width stop (Chinese and Japanese put no space between sentences).
_BOUNDARY = re.compile(
    rf"(?P<stop>[{re.escape(_TERMINATORS)}]+)(?P<close>[{re.escape(_CLOSERS)}]*)"
    rf"(?P<space>\s+|(?=[A-Z][a-z])|(?=[{_HANGUL}])|(?<=[{_WIDE_STOPS}」』]))"
)
_LIST_NUMBER = re.compile(r"\d{1,2}|[A-Za-z]")
_STARTER = re.compile(rf"[{re.escape(_OPENERS)}]*[\w\d가-힣]", re.UNICODE)


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of ``text``, stripped, in order; nothing is dropped."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end("close")
        if not _is_boundary(text, match, lang, text[start : match.start()]):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return _merge_fragments(sentences)


def _is_boundary(text: str, match: re.Match[str], lang: str, piece: str) -> bool:
    stop = match.group("stop")
    after = text[match.end() :]
    if not after or not _STARTER.match(after):
        return False
    run_together = not match.group("space")
    if run_together and after[0] >= "가" and not _ends_in_hangul(text, match.start("stop")):
        return False  # "3.오" or "A.가" is not a sentence end
    if run_together and match.group("close") and "가" <= after[0] <= "힣":
        return False  # '"숨겨 두세요."라고': a quotation particle follows the quote
    if stop == "." and _LIST_NUMBER.fullmatch(piece.strip()):
        return False  # "1. Sending balloons": the number of a list item
    if stop == ".":
        word = _word_before(text, match.start("stop"))
        if _is_abbreviation(word, after, run_together):
            return False
        if run_together and (not word or not word[-1].isalpha() or len(word) < 2):
            return False
    # "... the U.S. economy" / "etc. and": in English a lower-case word rarely starts a sentence.
    return not (lang == "en" and not run_together and after[0].islower() and stop[-1] in ".…")


def _ends_in_hangul(text: str, position: int) -> bool:
    return position > 0 and "가" <= text[position - 1] <= "힣"


def _word_before(text: str, position: int) -> str:
    start = position
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPENERS:
        start -= 1
    return text[start:position]


def _is_abbreviation(word: str, after: str, run_together: bool) -> bool:
    lowered = word.lower().rstrip(".")
    if lowered in ABBREVIATIONS:
        return True
    # Initialisms like U.S. or U.N. (single letters separated by stops).
    if re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word):
        return len(word) > 1 or (
            bool(after) and after[0].isupper() and not run_together and len(word) == 1 and word.isupper()
        )
    return False


def _merge_fragments(sentences: list[str]) -> list[str]:
    """Join pieces that are only punctuation onto the sentence before."""
    merged: list[str] = []
    for sentence in sentences:
        if merged and not any(ch.isalnum() for ch in sentence):
            merged[-1] = f"{merged[-1]} {sentence}"
        else:
            merged.append(sentence)
    return merged
