"""The shape of one line of text: words, capitals, sentence punctuation, dates.

These small measures are the general signals ingest uses to tell headings,
captions, credits and page furniture from article text; see
:mod:`pipeline.ingest.clean`. Entry points: :func:`shape_of`,
:func:`parse_date_line` (a line that is a date), :func:`date_inside` (a
byline or "Published …" line) and :func:`url_date` (a page address).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil import parser as date_parser

CLOSERS = "\"'”’)]»」』"
OPENERS = '"“„«「『'
DASHES = "–—"
BULLETS = "•●▪◦‣*·-"
SENTENCE_END = ".!?…。！？"
# Words that stay lower-case in Title Case headings and in runs of names.
CONNECTORS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "vs",
        "via",
        "with",
        "&",
        "-",
    ]
)
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:['’.-][^\W_]+)*\.?", re.UNICODE)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april"
    "|june|july|august|september|october|november|december"
)
_DATE = (
    rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|\d{{4}}[./]\d{{1,2}}[./]\d{{1,2}}\.?"
    rf"|\d{{4}}년\s*\d{{1,2}}월\s*\d{{1,2}}일)"
)
_DATE_LINE = re.compile(rf"^{_DATE}$", re.IGNORECASE)
_DATE_INSIDE = re.compile(rf"(?<![\w-]){_DATE}(?![\w-])", re.IGNORECASE)
# A date in a page address: /2024/03/05/, /2024-03-05-, /20240305/.
_URL_DATE = re.compile(
    r"(?:https?://|www\.)\S*?/(?P<y>(?:19|20)\d\d)(?P<sep>[/-]?)(?P<m>0[1-9]|1[0-2])(?P=sep)(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"
)
# Small words a dateline may hold besides names: "at 10:32 a.m.", "updated", "on".
_DATELINE_WORDS = CONNECTORS | {"a.m", "p.m", "am", "pm", "updated", "published", "posted", "last", "kst", "utc", "gmt"}
# A byline: "By Name", possibly with a date after a separator.
_BYLINE = re.compile(r"^by\s+[A-Z\w]", re.IGNORECASE)
_LIST_MARK = re.compile(rf"^(?:[{re.escape(BULLETS)}]\s+|\d{{1,2}}[.)]\s+(?=\S))")
_KOREAN_DATE = re.compile(r"(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일")


@dataclass(frozen=True)
class Shape:
    """Measures of one line of text."""

    text: str
    words: tuple[str, ...]
    terminal: str  # the last punctuation mark before closing quotes, or ""
    capitalised: float  # share of non-connector words that start with a capital

    @property
    def word_count(self) -> int:
        """How many words the line holds."""
        return len(self.words)

    @property
    def ends_sentence(self) -> bool:
        """True when the line ends with sentence punctuation (closing quotes allowed)."""
        return bool(self.terminal) and self.terminal in SENTENCE_END

    @property
    def ends_clause(self) -> bool:
        """True when the line ends with sentence punctuation, a colon or a semicolon."""
        return self.ends_sentence or self.terminal in (":", ";")

    @property
    def is_strong(self) -> bool:
        """A full paragraph of prose: sentence punctuation and at least 20 words."""
        return self.ends_sentence and self.word_count >= 20


def shape_of(text: str) -> Shape:
    """Measure ``text``."""
    words = tuple(_WORD.findall(text))
    stripped = text.rstrip().rstrip(CLOSERS + " ")
    terminal = stripped[-1] if stripped and not stripped[-1].isalnum() else ""
    content = [w for w in words if w.lower().rstrip(".") not in CONNECTORS]
    capitals = sum(1 for w in content if w[0].isupper() or w[0].isdigit())
    return Shape(text, words, terminal, capitals / len(content) if content else 0.0)


def list_marker(text: str) -> str | None:
    """The bullet or number that starts a list item (``"• "``, ``"2. "``), if any."""
    found = _LIST_MARK.match(text)
    return found.group(0) if found else None


def parse_date_line(text: str) -> dt.date | None:
    """The date when the whole line is a date ("March 21, 2022", "2022-03-21")."""
    candidate = " ".join(text.split()).strip(" .")
    if len(candidate) > 40 or not _DATE_LINE.match(candidate):
        return None
    korean = _KOREAN_DATE.fullmatch(candidate)
    try:
        if korean:
            year, month, day = (int(part) for part in korean.groups())
            return dt.date(year, month, day)
        return date_parser.parse(candidate, default=dt.datetime(2000, 1, 1)).date()
    except (ValueError, OverflowError):
        return None


def date_inside(text: str, labels: tuple[str, ...] = ()) -> dt.date | None:
    """The date in a byline or a labelled line ("By A. Writer | March 5, 2024", "Published 5 March 2024").

    Only short lines count (at most 25 words) that start with "By" or with
    one of ``labels`` ("published", "updated"), so that a date mentioned in a
    sentence of the article is never taken for the publication date.
    """
    folded = " ".join(text.split())
    if len(folded.split()) > 25:
        return None
    found = _DATE_INSIDE.search(folded)
    if not found:
        return None
    lower = folded.lower()
    labelled = any(lower.startswith(label) and not lower[len(label) : len(label) + 1].isalpha() for label in labels)
    if not (labelled or _BYLINE.match(folded) or _is_dateline(folded, found)):
        return None
    return parse_date_line(found.group(0))


def _is_dateline(text: str, found: re.Match[str]) -> bool:
    """A short line that is a date with a name or a time beside it ("Stars and Stripes • March 3, 2024").

    Every other word is capitalised, a connector, or part of a clock time, so
    a sentence that mentions a date is never one.
    """
    rest = text[: found.start()] + " " + text[found.end() :]
    words = _WORD.findall(rest)
    if len(words) > 10:
        return False
    return all(word[0].isupper() or word[0].isdigit() or word.lower().rstrip(".") in _DATELINE_WORDS for word in words)


def url_date(text: str) -> dt.date | None:
    """The date written in a page address inside ``text`` (".../2024/03/05/slug"), if any."""
    found = _URL_DATE.search(text)
    if not found:
        return None
    try:
        return dt.date(int(found.group("y")), int(found.group("m")), int(found.group("d")))
    except ValueError:
        return None


def parse_date_value(text: str) -> dt.date | None:
    """A date from metadata ("2022-03-21", "2022-03-21T10:00:00Z") or a date line."""
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return parse_date_line(text)
