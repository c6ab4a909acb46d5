"""Structure: labelled lines of one article → title, date, paragraphs, lists and quotes.

Entry point: :func:`build_article`. Spoken lines become blocks in reading
order: a :class:`Paragraph` (a paragraph of prose, or a bullet list read as a
run of short sentences) or a :class:`Quote` (a paragraph, or several, that is
wholly someone's words, with the speaker from an attribution line such as
"– Name, escaped North Korea in 2011"). Headings are not spoken; they start a
new *section*, which the segmenter prefers as a place to cut.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pipeline.ingest.clean import ATTRIBUTION, BODY, DECK, HEADING, ITEM, ArticleLabels, Label
from pipeline.ingest.lines import CLOSERS, DASHES, OPENERS, list_marker, shape_of

_PAIRS = {"“": "”", '"': '"', "«": "»", "「": "」", "『": "』", "„": "“”"}
# "… to medicine.”– Human Rights Watch": a quotation with its source on the same line.
_INLINE_ATTRIBUTION = re.compile(
    rf"^(?P<quote>.*[.!?…][{re.escape(CLOSERS)}]+)\s*[{DASHES}]\s*(?P<speaker>[A-Z][^“”\"]{{1,120}})$"
)
MAX_QUOTE_PARAGRAPHS = 8


@dataclass(frozen=True)
class Paragraph:
    """Prose read by the host: one paragraph, or one list read as short sentences."""

    text: str
    line: int
    section: int


@dataclass(frozen=True)
class Quote:
    """Someone's words, read by the guest voice, and who said them when known."""

    paragraphs: tuple[str, ...]
    speaker: str | None
    line: int
    section: int

    @property
    def text(self) -> str:
        """The whole quotation as one text."""
        return " ".join(self.paragraphs)


Block = Paragraph | Quote


@dataclass
class Article:
    """One article found in a document."""

    title: str
    date: dt.date | None
    blocks: list[Block]
    first_line: int
    last_line: int
    deck: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        """Words spoken from the article's blocks."""
        return sum(len(block.text.split()) for block in self.blocks)


def build_article(article: ArticleLabels, fallback_title: str | None = None) -> Article:
    """The blocks of one labelled article, in reading order."""
    labels = [label for label in article.labels if label.text]
    title = _title(article, fallback_title)
    date = article.date
    deck = " ".join(label.text for label in labels if label.kind == DECK)
    builder = _BlockBuilder([label for label in labels if label.kind in _USED])
    blocks = builder.build()
    numbers = [label.line.number for label in article.labels]
    result = Article(title or "", date, blocks, min(numbers), max(numbers), deck)
    if not title:
        result.title = _title_from_text(blocks)
        result.notes.append("no headline found: the first words of the article stand in")
    return result


_USED = (BODY, ITEM, ATTRIBUTION, HEADING)


def _title(article: ArticleLabels, fallback: str | None) -> str | None:
    if article.title_line is not None:
        return article.labels[article.title_line].text
    return fallback


def _title_from_text(blocks: list[Block]) -> str:
    words = blocks[0].text.split()[:10] if blocks else ["Untitled"]
    text = " ".join(words).rstrip(".,;:!?")
    return text + ("…" if blocks and len(blocks[0].text.split()) > 10 else "")


class _BlockBuilder:
    """Walks the spoken and heading lines of an article and groups them into blocks."""

    def __init__(self, labels: list[Label]) -> None:
        self.labels = labels
        self.blocks: list[Block] = []
        self.section = 0
        self.position = 0

    def build(self) -> list[Block]:
        while self.position < len(self.labels):
            label = self.labels[self.position]
            if label.kind == HEADING:
                self.section += 1
                self.position += 1
            elif label.kind == ITEM:
                self._list()
            elif label.kind == ATTRIBUTION:
                self.position += 1  # only reached when no quote claims it
            else:
                self._prose(label)
        return self.blocks

    def _next_kind(self, offset: int = 1) -> str | None:
        index = self.position + offset
        return self.labels[index].kind if index < len(self.labels) else None

    def _list(self) -> None:
        start = self.labels[self.position]
        items = []
        while self.position < len(self.labels) and self.labels[self.position].kind == ITEM:
            items.append(_spoken_item(self.labels[self.position].text))
            self.position += 1
        if len(items) == 1 and items[0][0].isdigit():
            self.section += 1  # a numbered item standing alone heads what follows it
        self.blocks.append(Paragraph(" ".join(items), start.line.number, self.section))

    def _prose(self, label: Label) -> None:
        text = label.text
        state = quote_state(text)
        if label.line.hint == "quote":
            self._hinted_quote(label)
        elif state == "whole":
            self.position += 1
            self._add_quote([_strip_marks(text)], label)
        elif state == "open":
            self._open_quote(label)
        elif _ends_with_closer(text) and self._next_kind() == ATTRIBUTION:
            self.position += 1
            self._add_quote([_strip_marks(text)], label)
        elif found := _INLINE_ATTRIBUTION.match(text):
            self.position += 1
            quote = _strip_marks(found.group("quote"))
            speaker = found.group("speaker").strip()
            self.blocks.append(Quote((quote,), speaker, label.line.number, self.section))
        else:
            self.position += 1
            self.blocks.append(Paragraph(text, label.line.number, self.section))

    def _hinted_quote(self, first: Label) -> None:
        paragraphs = []
        while self.position < len(self.labels):
            label = self.labels[self.position]
            if label.kind != BODY or label.line.hint != "quote":
                break
            paragraphs.append(_strip_marks(label.text))
            self.position += 1
        self._add_quote(paragraphs, first)

    def _open_quote(self, first: Label) -> None:
        closers = _PAIRS[first.text[0]]
        paragraphs: list[str] = []
        while self.position < len(self.labels) and len(paragraphs) < MAX_QUOTE_PARAGRAPHS:
            label = self.labels[self.position]
            if label.kind != BODY or (paragraphs and quote_state(label.text) != "none"):
                break
            paragraphs.append(label.text)
            self.position += 1
            if label.text.rstrip()[-1] in closers:
                break
        paragraphs[0] = _strip_opener(paragraphs[0])
        paragraphs[-1] = _strip_closer(paragraphs[-1])
        self._add_quote(paragraphs, first)

    def _add_quote(self, paragraphs: list[str], first: Label) -> None:
        speaker = None
        if self._next_kind(0) == ATTRIBUTION:
            speaker = _speaker(self.labels[self.position].text)
            self.position += 1
        kept = tuple(p for p in paragraphs if p)
        if kept:
            self.blocks.append(Quote(kept, speaker, first.line.number, self.section))


def quote_state(text: str) -> str:
    """'whole' (a quotation from start to end), 'open' (runs on), 'none' (ordinary prose)."""
    if not text or text[0] not in _PAIRS:
        return "none"
    closers = _PAIRS[text[0]]
    body = text[1:]
    close = next((i for i, ch in enumerate(body) if ch in closers), None)
    if close is None:
        return "open"
    rest = body[close + 1 :].strip()
    return "whole" if not rest.strip(CLOSERS + ".,;:!?… ") else "none"


def _strip_marks(text: str) -> str:
    return _strip_closer(_strip_opener(text))


def _strip_opener(text: str) -> str:
    return text[1:].lstrip() if text and text[0] in OPENERS else text


def _strip_closer(text: str) -> str:
    stripped = text.rstrip()
    if stripped and stripped[-1] in '”"»」』' and _unbalanced_closer(stripped):
        return stripped[:-1].rstrip()
    return stripped


def _unbalanced_closer(text: str) -> bool:
    """True when the final quotation mark closes nothing opened inside ``text``."""
    last = text[-1]
    if last == '"':
        return text.count('"') % 2 == 1
    opener = {"”": "“", "»": "«", "」": "「", "』": "『"}[last]
    return text.count(opener) < text.count(last)


def _ends_with_closer(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in '”"»」』'


def _speaker(text: str) -> str | None:
    speaker = text.lstrip("-–— ").strip().rstrip(".")
    return speaker or None


def _spoken_item(text: str) -> str:
    """A list item as a sentence: bullet removed, numbers kept, a full stop added."""
    marker = list_marker(text) or ""
    item = text[len(marker) :].strip() if marker and not marker[0].isdigit() else text
    return item if shape_of(item).ends_sentence else f"{item.rstrip(',;:')}."
