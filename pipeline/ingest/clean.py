"""Cleaning: label every line of a document as article text or page furniture.

Entry point: :func:`label_document`. It finds where each article starts (a
title line followed by a date line, or the headline just above the first
paragraph), then labels each line of each article with general signals:

* line shape: short lines without sentence punctuation are headings,
  labels or captions and are not spoken;
* captions and picture credits ("Photo: …", "… Name/Agency"), and the image
  description written right beside such a caption;
* the kinds of page furniture named in ``ingest.yaml`` (paywall and
  membership pitches, newsletter and donation appeals, copyright lines, share
  and related links), each dropped line reported with its kind;
* call-to-action vocabulary, runs of proper nouns (bylines, brand lists),
  rows of run-together link texts, link-dense blocks, lines and blocks of
  lines repeated in the file;
* the block of links under a heading such as "Most read", up to the next
  full paragraph;
* the page footer after an article's last full paragraph, and everything
  after an end-of-article marker ("More stories");
* the small stop-lists of ``scripts_src/ingest.yaml``.

Every line that is not spoken gets a :class:`Label` with the reason, which is
what ``pipeline ingest --report`` prints.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from pipeline.ingest.lines import (
    CLOSERS,
    DASHES,
    OPENERS,
    Shape,
    date_inside,
    list_marker,
    parse_date_line,
    shape_of,
)
from pipeline.ingest.read import SourceDocument, SourceLine
from pipeline.ingest.settings import IngestSettings, comparable

# What a labelled line is; only BODY, ITEM and ATTRIBUTION lines are spoken.
BLANK, TITLE, DATE, DECK, HEADING, BODY, ITEM, ATTRIBUTION, DROP = [
    "blank",
    "title",
    "date",
    "deck",
    "heading",
    "body",
    "item",
    "attribution",
    "drop",
]
HEADER = "page header before the article"
FOOTER = "page footer after the article"
TEASER = "headline without an article body (teaser or link)"
HEADING_REASON = "heading or label without sentence punctuation (not spoken)"
CAPTION_REASON = "caption-like line without sentence punctuation"
_CREDIT_PREFIX = re.compile(
    r"(?:^|[.!?]\s+|\s)(?:photo(?:graph)?s?(?: credit)?|photographer|image(?: credit)?|credit"
    r"|picture|illustration|courtesy(?: of)?)\s*:",
    re.IGNORECASE,
)
# "… in Pyongyang, 2012. Chintung Lee/Shutterstock" or "… 2022. KCNA / EPA": a trailing credit.
_CREDIT_TAIL = re.compile(
    r"(?:^|[.!?]\s+)(?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*\s*/\s*[A-Z][\w.'’&-]*"
    r"(?:\s+[A-Z][\w.'’&-]*){0,3}\s*$"
)
# Reasons that belong to the page around an article rather than to the article's pictures.
FURNITURE_KIND = "page furniture"
PAGE_FURNITURE = (
    FURNITURE_KIND,
    "link-dense",
    "heading of a block of links",
    "in a block of links",
    "call to action",
    "stop-list line",
    "repeated line",
    "row of run-together",
    "run of names",
    "end-of-article marker",
    "after an end-of-article marker",
)
_GLUED = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[A-Z]{2})(?=[A-Z][a-z])")


@dataclass(frozen=True)
class Label:
    """What one source line is, and why it is not spoken when it is not."""

    line: SourceLine
    kind: str
    reason: str = ""

    @property
    def text(self) -> str:
        """The line's text."""
        return self.line.text


@dataclass
class ArticleLabels:
    """The labelled lines of one article, title and date lines included."""

    labels: list[Label]
    title_line: int | None  # index into labels
    date_line: int | None
    date: dt.date | None = None  # the date that line gives

    def body_words(self) -> int:
        """Words in the lines that will be spoken."""
        return sum(len(label.text.split()) for label in self.labels if label.kind in (BODY, ITEM))


@dataclass
class LabelledDocument:
    """Every line of a document labelled, grouped into articles."""

    document: SourceDocument
    header: list[Label]
    articles: list[ArticleLabels]

    def dropped(self) -> list[Label]:
        """Every line that is not spoken and is not a title or date, in line order."""
        every = [*self.header, *(label for a in self.articles for label in a.labels)]
        return sorted(
            (label for label in every if label.kind in (DROP, HEADING, DECK)),
            key=lambda label: label.line.number,
        )


def label_document(document: SourceDocument, settings: IngestSettings, script: str) -> LabelledDocument:
    """Label every line of ``document``; ``script`` is the expected writing system."""
    lines = document.lines
    classifier = _LineClassifier(settings, lines, script)
    starts = _article_starts(document, classifier)
    header = [
        _furniture(line, HEADER) if line.text else Label(line, BLANK)
        for line in lines[: starts[0][0] if starts else len(lines)]
    ]
    articles: list[ArticleLabels] = []
    for n, (start, date_index) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        articles.append(_label_article(lines, start, end, date_index, classifier, document))
    if len(articles) > 1:
        articles = [_drop_teaser(a) if a.body_words() < 40 else a for a in articles]
    return LabelledDocument(document, header, articles)


def _furniture(line: SourceLine, reason: str) -> Label:
    return Label(line, DROP, reason)


class _LineClassifier:
    """Context-free signals for one line: furniture reasons and title shape."""

    def __init__(self, settings: IngestSettings, lines: list[SourceLine], script: str) -> None:
        self.settings = settings
        self.script = script
        counts = Counter(comparable(line.text) for line in lines if line.text)
        self.repeated = {text for text, count in counts.items() if count > 1 and text}
        self.in_repeated_block = _repeated_blocks(lines, self.repeated, settings.furniture_max_words)

    def furniture_reason(self, line: SourceLine) -> str | None:
        """Why ``line`` is page furniture whatever surrounds it, or None."""
        text = line.text
        shape = shape_of(text)
        settings = self.settings
        if line.hint == "image":
            return "picture description"
        if line.hint == "links":
            return "link-dense block (navigation, share or related links)"
        if settings.is_whole_line("stop_lines", text):
            return "stop-list line"
        foreign = _foreign_script(text, self.script)
        if foreign:
            return f"line in another script ({foreign})"
        found = settings.furniture_in(text)
        if found and shape.word_count <= settings.furniture_max_words:
            return f"{FURNITURE_KIND}, {found[0]} ('{found[1]}')"
        phrase = settings.phrase_in("call_to_action", text)
        if phrase and (shape.word_count <= 15 or not shape.ends_sentence):
            return f"call to action ('{phrase}')"
        if _is_credit(text, settings):
            return "caption or picture credit"
        if len(_GLUED.findall(text)) >= 3 and not shape.ends_sentence:
            return "row of run-together link or logo texts"
        if shape.word_count <= 12 and comparable(text) in self.repeated and not _is_dash_led(text):
            return "repeated line"
        if line.number in self.in_repeated_block:
            return "repeated block (the same lines stand elsewhere in the page)"
        if _is_name_run(shape):
            return "run of names (byline, caption or brand list)"
        return None

    def date_of(self, text: str) -> dt.date | None:
        """The date of a date line, a byline or a "Published …" line; None for other lines."""
        return parse_date_line(text) or date_inside(text, self.settings.date_labels)

    def is_title_shaped(self, line: SourceLine, min_words: int = 2) -> bool:
        """A headline: a few words, no full stop at the end, not a list item or quote."""
        shape = shape_of(line.text)
        return (
            line.hint in ("", "title", "heading")
            and min_words <= shape.word_count <= 30
            and sum(1 for word in shape.words if not word[0].isdigit()) >= 2
            and shape.terminal not in (".", ",", ";", ":", "…")
            and not list_marker(line.text)
            and not _is_dash_led(line.text)
            and line.text[0] not in OPENERS
            and parse_date_line(line.text) is None
            and self.furniture_reason(line) is None
        )


def _repeated_blocks(lines: list[SourceLine], repeated: set[str], max_words: int) -> set[int]:
    """Numbers of lines in a run of two or more lines that all stand elsewhere in the page too.

    Newsletter boxes and link lists repeat as a block; a full paragraph of
    prose (a page holding the same article twice) is never counted.
    """
    texts = [line for line in lines if line.text]

    def candidate(line: SourceLine) -> bool:
        shape = shape_of(line.text)
        return comparable(line.text) in repeated and shape.word_count <= max_words and not shape.is_strong

    found: set[int] = set()
    for before, after in itertools.pairwise(texts):
        if candidate(before) and candidate(after):
            found.update((before.number, after.number))
    return found


def _is_credit(text: str, settings: IngestSettings) -> bool:
    if _CREDIT_PREFIX.search(text) or _CREDIT_TAIL.search(text):
        return True
    shape = shape_of(text)
    if shape.word_count > 20 or sum(text.count(mark) for mark in ".!?") > 1:
        return False
    first_words = comparable(text).split()[:3]
    starts_with_article = bool(first_words) and first_words[0] in ("a", "an", "the")
    noun = first_words[1] if starts_with_article and len(first_words) > 1 else ""
    return bool(noun) and settings.is_whole_line("caption_words", noun)


def _is_name_run(shape: Shape) -> bool:
    """Bylines and brand lists: every word capitalised, ending at most with a full stop."""
    return (
        2 <= shape.word_count <= 8
        and shape.capitalised >= 0.99
        and shape.terminal == "."
        and not any(ch.isdigit() for ch in shape.text)
    )


def _is_dash_led(text: str) -> bool:
    return bool(text) and text[0] in DASHES


def _foreign_script(text: str, script: str) -> str | None:
    letters = Counter(script_of(ch) for ch in text if ch.isalpha())
    total = sum(letters.values())
    if total < 3:
        return None
    expected = letters.get(script, 0) + (letters.get("LATIN", 0) if script == "HANGUL" else 0)
    if expected * 2 >= total:
        return None
    other, _ = max(((name, n) for name, n in letters.items() if name != script), key=_by_count)
    return other.title()


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (item[1], item[0])


def script_of(ch: str) -> str:
    """The writing system of one letter: LATIN, HANGUL, CJK, CYRILLIC, …"""
    try:
        return unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"


def _article_starts(document: SourceDocument, classifier: _LineClassifier) -> list[tuple[int, int | None]]:
    """(title line index, date line index) of each article, in order."""
    lines = document.lines
    starts: list[tuple[int, int | None]] = []
    for i, line in enumerate(lines):
        if parse_date_line(line.text) is None or line.hint:
            continue
        j = _previous_text(lines, i)
        if j is None:
            continue
        near = i - j <= 3 and classifier.is_title_shaped(lines[j])
        if near and (not starts or starts[-1][0] < j):
            starts.append((j, i))
    if starts and not _holds_prose(lines[: starts[0][0]], classifier):
        return starts
    # No dated headline, or prose stands before the first one (an undated article followed
    # by dated teasers of other stories): the article is found by its headline.
    before = lines[: starts[0][0]] if starts else lines
    return [_undated_start(document, before, classifier), *starts]


def _holds_prose(lines: list[SourceLine], classifier: _LineClassifier) -> bool:
    return any(shape_of(line.text).is_strong and classifier.furniture_reason(line) is None for line in lines)


def _undated_start(
    document: SourceDocument, lines: list[SourceLine], classifier: _LineClassifier
) -> tuple[int, int | None]:
    """(title line index, date line index) of an article without a date line beside its headline."""
    title = _marked_title(lines)  # markup's <h1>, or a headline split off its first sentence
    if title is None:
        title = _headline_above_body(lines, classifier)
    if title is None:
        first = next((i for i, line in enumerate(lines) if line.text), 0)
        return (first, _date_near(lines, first - 1, classifier)) if document.title else (first, None)
    return (title, _date_near(lines, title, classifier))


def _marked_title(lines: list[SourceLine]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.hint == "title"), None)


def _headline_above_body(lines: list[SourceLine], classifier: _LineClassifier) -> int | None:
    """The first headline whose next lines lead, past decks and captions, to a paragraph."""
    for i, line in enumerate(lines):
        if not line.text or not classifier.is_title_shaped(line, min_words=4):
            continue
        following = [k for k in range(i + 1, len(lines)) if lines[k].text][:5]
        for k in following:
            candidate = lines[k]
            if shape_of(candidate.text).is_strong and not classifier.furniture_reason(candidate):
                return i
            between_ok = (
                classifier.is_title_shaped(candidate)
                or classifier.furniture_reason(candidate)
                or parse_date_line(candidate.text)
            )
            if not between_ok:
                break
    return None


def _date_near(lines: list[SourceLine], title: int, classifier: _LineClassifier) -> int | None:
    """A date line among the four lines of text after the title, or a dated byline above the story."""
    following = [k for k in range(title + 1, len(lines)) if lines[k].text][:4]
    before_body = True
    for k in following:
        text = lines[k].text
        if parse_date_line(text) or (before_body and date_inside(text, classifier.settings.date_labels)):
            return k
        before_body = before_body and not shape_of(text).is_strong  # a byline stands above the story
    return None


def _previous_text(lines: list[SourceLine], index: int) -> int | None:
    for j in range(index - 1, -1, -1):
        if lines[j].text:
            return j
    return None


def _label_article(
    lines: list[SourceLine],
    start: int,
    end: int,
    date_index: int | None,
    classifier: _LineClassifier,
    document: SourceDocument,
) -> ArticleLabels:
    labels: list[Label] = []
    title_offset: int | None = None
    date_offset: int | None = None
    in_heading_block = True
    ended_by: str | None = None
    link_block: str | None = None
    for index in range(start, end):
        line = lines[index]
        offset = index - start
        if not line.text:
            labels.append(Label(line, BLANK))
            continue
        if index == start and _is_title_line(line, document, classifier):
            labels.append(Label(line, TITLE))
            title_offset = offset
            continue
        if index == date_index:
            labels.append(Label(line, DATE))
            date_offset = offset
            continue
        if ended_by:
            labels.append(_furniture(line, f"after an end-of-article marker ('{ended_by}')"))
            continue
        if classifier.settings.is_whole_line("end_of_article", line.text):
            ended_by = comparable(line.text)
            labels.append(_furniture(line, "end-of-article marker"))
            continue
        if classifier.settings.is_whole_line("block_headings", line.text):
            link_block = comparable(line.text)
            labels.append(_furniture(line, f"heading of a block of links ('{link_block}')"))
            continue
        own_reason = classifier.furniture_reason(line) if link_block else None
        if link_block and (own_reason or not shape_of(line.text).is_strong):
            labels.append(_furniture(line, own_reason or f"in a block of links ('{link_block}')"))
            continue
        link_block = None
        label = _label_line(line, labels, classifier)
        if in_heading_block and title_offset is not None and label.kind == HEADING:
            label = Label(line, DECK, "subtitle (kept as the episode description)")
        if label.kind not in (HEADING, DROP, DECK):
            in_heading_block = False
        labels.append(label)
    _mark_image_descriptions(labels)
    _drop_footer(labels)
    date = classifier.date_of(labels[date_offset].text) if date_offset is not None else None
    return ArticleLabels(labels, title_offset, date_offset, date)


def _is_title_line(line: SourceLine, document: SourceDocument, classifier: _LineClassifier) -> bool:
    if line.hint == "title":
        return True
    if document.title is not None and comparable(line.text) != comparable(document.title):
        return False
    return classifier.is_title_shaped(line)


def _label_line(line: SourceLine, before: list[Label], classifier: _LineClassifier) -> Label:
    text = line.text
    shape = shape_of(text)
    previous = next((label for label in reversed(before) if label.kind != BLANK), None)
    if _is_dash_led(text) or (text.startswith("- ") and previous and _ends_quote(previous)):
        if previous is not None and previous.kind == BODY and _ends_quote(previous):
            return Label(line, ATTRIBUTION)
        if _is_dash_led(text):
            return _furniture(line, "attribution line without a quote")
    reason = classifier.furniture_reason(line)
    if reason:
        return _furniture(line, reason)
    if line.hint == "item" or list_marker(text):
        return Label(line, ITEM)
    if line.hint in ("heading", "title") or (
        not shape.ends_clause and not _ends_with_closer(text) and shape.word_count <= 20
    ):
        if shape.word_count <= 5 or shape.capitalised >= 0.7 or line.hint in ("heading", "title"):
            return Label(line, HEADING, HEADING_REASON)
        return _furniture(line, CAPTION_REASON)
    if shape.terminal == "?" and shape.word_count <= 5:
        return Label(line, HEADING, HEADING_REASON)
    return Label(line, BODY)


def _ends_quote(label: Label) -> bool:
    return label.kind == BODY and (label.line.hint == "quote" or _ends_with_closer(label.text))


def _ends_with_closer(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in CLOSERS and stripped[-1] not in ")]"


def _mark_image_descriptions(labels: list[Label]) -> None:
    """A one-sentence line written right above a picture credit describes the picture."""
    for i, label in enumerate(labels):
        if label.reason != "caption or picture credit" or i == 0:
            continue
        above = labels[i - 1]
        shape = shape_of(above.text)
        if above.kind == BODY and shape.word_count <= 30 and shape.terminal == ".":
            labels[i - 1] = _furniture(above.line, "picture description beside a caption")


def _drop_footer(labels: list[Label]) -> None:
    """After the last full paragraph, drop from the first heading or furniture to the end.

    Only when the tail holds page furniture (a call to action, a stop-list line,
    a run of names, …): a picture caption alone does not make a footer.
    """
    last_strong = max(
        (i for i, label in enumerate(labels) if label.kind == BODY and _is_full(label.text)),
        default=None,
    )
    if last_strong is None:
        return
    tail = range(last_strong + 1, len(labels))
    if not any(labels[i].reason.startswith(PAGE_FURNITURE) for i in tail):
        return
    first = next(i for i in tail if labels[i].kind not in (BODY, ITEM, ATTRIBUTION, BLANK))
    for i in range(first, len(labels)):
        if labels[i].kind in (BODY, ITEM, ATTRIBUTION, HEADING):
            labels[i] = _furniture(labels[i].line, FOOTER)


def _is_full(text: str) -> bool:
    return shape_of(text).is_strong or (_ends_with_closer(text) and len(text.split()) >= 20)


def _drop_teaser(article: ArticleLabels) -> ArticleLabels:
    labels = [label if label.kind == BLANK else _furniture(label.line, TEASER) for label in article.labels]
    return ArticleLabels(labels, None, None)
