"""Headlines: a headline glued to the body split off, a headline in capitals put in title case.

Entry points: :func:`unglue_headlines` and :func:`headline_case`.

* Text copied out of a page often loses the break between the headline and
  the first paragraph: ``NEWS FROM OUTSIDEThe report said …`` or ``Radios
  Reach the NorthThe report said …``. :func:`unglue_headlines` splits such a
  line into a headline (marked as the title) and a paragraph, both keeping
  the line's number, when the part before the join is headline-shaped and
  the part after it is a sentence.
* A headline written in capitals is put in title case so that its words are
  written, and read, as words; the true acronyms of the English reading data
  (``acronyms`` in ``pipeline/speech/data/en_rules.yaml``: BBC, USB, DVD…) stay
  in capitals, to be spelled.
"""

from __future__ import annotations

import re

from pipeline.ingest.lines import CONNECTORS, SENTENCE_END, shape_of
from pipeline.ingest.read import SourceLine
from pipeline.speech.en import ACRONYMS

MIN_HEADLINE_WORDS = 2
MIN_BODY_WORDS = 6
# "…OUTSIDEThe report", "…OUTSIDEA report", "…the NorthThe report": where a sentence starts glued on.
_CAPITALS_JOIN = re.compile(r"(?<=[A-Z0-9'’!?])(?=[A-Z][a-z]|[AI]\s)")
_TITLE_JOIN = re.compile(r"(?<=[a-z0-9'’])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def unglue_headlines(lines: list[SourceLine]) -> tuple[list[SourceLine], list[int]]:
    """``lines`` with each headline glued to a sentence split into two lines; the numbers of those split."""
    out: list[SourceLine] = []
    split: list[int] = []
    seen_prose = False
    for line in lines:
        parts = split_glued(line.text, title_case_too=not seen_prose) if line.hint in ("", "title") else None
        if parts is None:
            out.append(line)
        else:
            headline, body = parts
            out += [
                SourceLine(line.number, headline, "title"),
                SourceLine(line.number, ""),
                SourceLine(line.number, body),
            ]
            split.append(line.number)
        seen_prose = seen_prose or shape_of(line.text).is_strong
    return out, split


def split_glued(text: str, title_case_too: bool = True) -> tuple[str, str] | None:
    """(headline, sentence) when ``text`` is a headline with a sentence glued on, else None.

    A headline in capitals may be glued anywhere; one in title case only
    before the article's first paragraph (``title_case_too``), because a
    brand name in a sentence ("on YouTube") has the same shape.
    """
    first_lower = next((i for i, ch in enumerate(text) if ch.islower()), None)
    if first_lower is None:
        return None
    for join in _CAPITALS_JOIN.finditer(text, 0, first_lower + 1):
        parts = _parts(text, join.start())
        if parts and not any(ch.islower() for ch in parts[0]):
            return parts
    if not title_case_too:
        return None
    for join in _TITLE_JOIN.finditer(text):
        parts = _parts(text, join.start())
        if parts and _title_shaped(parts[0]):
            return parts
    return None


def _title_shaped(headline: str) -> bool:
    """Three words or more, nearly all capitalised, the last one a whole word (not "You" of "YouTube")."""
    words = headline.split()
    return len(words) >= 3 and shape_of(headline).capitalised >= 0.8 and len(_WORD.findall(words[-1])[-1]) >= 4


def _parts(text: str, at: int) -> tuple[str, str] | None:
    headline, body = text[:at].strip(), text[at:].strip()
    head_shape, body_shape = shape_of(headline), shape_of(body)
    if len(_WORD.findall(headline)) < MIN_HEADLINE_WORDS or (
        head_shape.terminal and head_shape.terminal in SENTENCE_END + ",;:"
    ):
        return None
    if body_shape.word_count < MIN_BODY_WORDS or not body_shape.ends_sentence:
        return None
    return headline, body


def is_in_capitals(text: str) -> bool:
    """True when ``text`` has two words or more and no small letter."""
    words = _WORD.findall(text)
    return len(words) >= 2 and not any(ch.islower() for ch in text) and sum(len(w) > 1 for w in words) >= 2


def headline_case(text: str) -> str:
    """A headline in capitals in title case, true acronyms kept ("A USB Stick in a Sack of Flour")."""
    if not is_in_capitals(text):
        return text
    words = list(_WORD.finditer(text))
    out: list[str] = []
    done = 0
    for index, match in enumerate(words):
        word = match.group()
        out.append(text[done : match.start()])
        out.append(_title_word(word, first=index == 0, after_colon=text[: match.start()].rstrip().endswith(":")))
        done = match.end()
    out.append(text[done:])
    return "".join(out)


def _title_word(word: str, first: bool, after_colon: bool) -> str:
    if word in ACRONYMS:
        return word
    lower = word.lower()
    if lower in CONNECTORS and not (first or after_colon):
        return lower
    return lower[0].upper() + lower[1:]
