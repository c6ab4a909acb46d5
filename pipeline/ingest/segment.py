"""Segmenting: cut an article into broadcast segments of at most ``max_seconds`` of speech.

Entry point: :func:`segment_article`. The article's paragraphs are split into
sentences (:func:`pipeline.text.sentences.split_sentences`) and quotes into their
sentences; a dynamic programme then chooses the cuts. It only cuts between
sentences, and a cut costs least at a section heading, more between
paragraphs, much more inside a paragraph or a quote, and most right after a
lead-in ending with a colon. Every segment must fit ``max_seconds`` counting
the template's own spoken words (headline, credit line) and pauses, and
segments under ``min_seconds`` are avoided whenever the article is longer.

A segment is the first one (``news_story``: headline, paragraphs, optional
quote) or a later one (``story_part``: paragraphs and/or a quote). A quote is
always the end of its segment, because the templates read it after the
paragraphs; it is split only when it cannot fit in one segment.

Inside a segment each paragraph is one spoken part. A paragraph longer than
:data:`PARAGRAPH_SECONDS` of speech or :data:`PARAGRAPH_SENTENCES` sentences
(an article saved as one block of text) is split at sentence boundaries into
parts of about equal length.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass

from babel.dates import format_date

from pipeline.errors import IngestError, SourceLocation
from pipeline.ingest.structure import Article, Paragraph, Quote
from pipeline.project.schema import SLUG_MAX
from pipeline.project.script import Template
from pipeline.project.station import Station
from pipeline.text.durations import estimate_seconds
from pipeline.text.sentences import split_sentences

FIRST_TEMPLATE = "news_story"
PART_TEMPLATE = "story_part"
MIN_SECONDS = 20.0
# The longest spoken part a paragraph makes before it is split at sentence boundaries.
PARAGRAPH_SECONDS = 30.0
PARAGRAPH_SENTENCES = 4
# Costs of the choices the segmenter weighs (lower is better).
COST_PER_SEGMENT = 6.0
COST_CUT_SECTION = 0.0
COST_CUT_PARAGRAPH = 4.0
COST_CUT_SENTENCE = 50.0
COST_CUT_QUOTE_PARAGRAPH = 200.0
COST_CUT_QUOTE_SENTENCE = 300.0
COST_CUT_AFTER_LEAD_IN = 60.0
COST_QUOTE_ONLY = 8.0
COST_TOO_SHORT = 1000.0


@dataclass(frozen=True)
class Atom:
    """One sentence of an article, the smallest unit a segment is built from."""

    text: str
    line: int
    section: int
    block: int  # index of the paragraph or quote it belongs to
    piece: int  # paragraph number inside a quote (0 for prose)
    quote: Quote | None = None

    @property
    def is_quote(self) -> bool:
        """True when this sentence is part of a quotation."""
        return self.quote is not None


@dataclass(frozen=True)
class Segment:
    """One draft segment: its template, field values, estimate and source lines."""

    id: str
    template: str
    fields: dict[str, object]
    seconds: float
    first_line: int
    last_line: int


@dataclass(frozen=True)
class Timing:
    """What durations are estimated with."""

    station: Station
    templates: dict[str, Template]
    lang: str
    max_seconds: float
    min_seconds: float = MIN_SECONDS


def segment_article(article: Article, source: str, timing: Timing, shown: str = "") -> list[Segment]:
    """The segments of ``article``, credited to ``source``."""
    atoms = article_atoms(article, timing.lang)
    if not atoms:
        return []
    planner = _Planner(article, atoms, source, timing, shown)
    return planner.plan()


def article_atoms(article: Article, lang: str) -> list[Atom]:
    """Every sentence of the article in reading order."""
    atoms: list[Atom] = []
    for index, block in enumerate(article.blocks):
        if isinstance(block, Paragraph):
            for sentence in split_sentences(block.text, lang):
                atoms.append(Atom(sentence, block.line, block.section, index, 0))
        else:
            for piece, paragraph in enumerate(block.paragraphs):
                for sentence in split_sentences(paragraph, lang):
                    atoms.append(Atom(sentence, block.line, block.section, index, piece, block))
    return atoms


class _Planner:
    """Chooses the cheapest cuts with a dynamic programme over sentence boundaries."""

    def __init__(self, article: Article, atoms: list[Atom], source: str, timing: Timing, shown: str) -> None:
        self.article = article
        self.atoms = atoms
        self.source = source
        self.timing = timing
        self.shown = shown
        rate = timing.station.speaking_rates.get(timing.lang)
        self.atom_seconds = [estimate_seconds(atom.text, timing.lang, rate) for atom in atoms]
        total = self.seconds(0, len(atoms))
        self.min_seconds = min(timing.min_seconds, total)

    def plan(self) -> list[Segment]:
        count = len(self.atoms)
        best: list[float] = [0.0] + [float("inf")] * count
        choice = [0] * (count + 1)
        for end in range(1, count + 1):
            for start in range(end - 1, -1, -1):
                if not self.valid(start, end):
                    break  # extending an invalid segment backwards never makes it valid
                seconds = self.seconds(start, end)
                if seconds > self.timing.max_seconds:
                    if start == end - 1:
                        raise self.too_long(start, seconds)
                    break
                cost = best[start] + self.cost(start, end, seconds)
                if cost < best[end]:
                    best[end], choice[end] = cost, start
            if best[end] == float("inf"):
                raise self.too_long(end - 1, self.seconds(end - 1, end))
        cuts = []
        end = count
        while end > 0:
            cuts.append((choice[end], end))
            end = choice[end]
        return self.segments(list(reversed(cuts)))

    def valid(self, start: int, end: int) -> bool:
        """Prose first, then at most one quotation, which ends the segment."""
        quote: Quote | None = None
        for atom in self.atoms[start:end]:
            if atom.quote is not None:
                if quote is not None and atom.quote is not quote:
                    return False
                quote = atom.quote
            elif quote is not None:
                return False
        return True

    def cost(self, start: int, end: int, seconds: float) -> float:
        cost = COST_PER_SEGMENT + self.cut_cost(end)
        if seconds < self.min_seconds:
            cost += COST_TOO_SHORT
        if all(atom.is_quote for atom in self.atoms[start:end]):
            cost += COST_QUOTE_ONLY
        return cost

    def cut_cost(self, end: int) -> float:
        """The cost of a cut between atom ``end - 1`` and atom ``end``."""
        if end >= len(self.atoms):
            return 0.0
        before, after = self.atoms[end - 1], self.atoms[end]
        if before.block == after.block:
            if before.is_quote:
                if before.piece != after.piece:
                    return COST_CUT_QUOTE_PARAGRAPH
                return COST_CUT_QUOTE_SENTENCE
            return COST_CUT_SENTENCE
        cost = COST_CUT_SECTION if before.section != after.section else COST_CUT_PARAGRAPH
        if before.text.rstrip().endswith(":"):
            cost += COST_CUT_AFTER_LEAD_IN
        return cost

    def fields(self, start: int, end: int) -> tuple[str, dict[str, object]]:
        """The template and field values of the segment made of atoms ``start:end``."""
        blocks: list[list[int]] = []  # the atoms of each paragraph, by index
        last_block = None
        quote_text: list[str] = []
        quote: Quote | None = None
        for index in range(start, end):
            atom = self.atoms[index]
            if atom.quote is not None:
                quote = atom.quote
                quote_text.append(atom.text)
            elif atom.block == last_block:
                blocks[-1].append(index)
            else:
                blocks.append([index])
            last_block = atom.block
        paragraphs = [
            " ".join(self.atoms[i].text for i in part) for block in blocks for part in self.paragraph_parts(block)
        ]
        first = start == 0
        template = FIRST_TEMPLATE if first and paragraphs else PART_TEMPLATE
        values: dict[str, object] = {}
        if first:
            values["title"] = self.article.title
        if paragraphs:
            values["paragraphs"] = paragraphs
        if quote is not None:
            values["quote"] = " ".join(quote_text)
            ends_quote = end == len(self.atoms) or self.atoms[end].quote is not quote
            if quote.speaker and ends_quote:
                values["speaker"] = quote.speaker
        values["source"] = self.source
        if template == FIRST_TEMPLATE and self.article.date is not None:
            values["published"] = self.article.date
        return template, values

    def paragraph_parts(self, indices: list[int]) -> list[list[int]]:
        """One paragraph's sentences cut into parts of about equal length, none too long."""
        seconds = [self.atom_seconds[i] for i in indices]
        total = sum(seconds)
        count = max(math.ceil(total / PARAGRAPH_SECONDS), math.ceil(len(indices) / PARAGRAPH_SENTENCES))
        count = min(count, len(indices))
        if count <= 1:
            return [indices]
        parts: list[list[int]] = [[]]
        done = 0.0
        for index, spoken in zip(indices, seconds, strict=True):
            target = total * len(parts) / count
            if parts[-1] and done + spoken / 2 > target and len(parts) < count:
                parts.append([])
            parts[-1].append(index)
            done += spoken
        return parts

    def seconds(self, start: int, end: int) -> float:
        template, values = self.fields(start, end)
        return spoken_seconds(self.timing, self.timing.templates[template], values)

    def too_long(self, index: int, seconds: float) -> IngestError:
        atom = self.atoms[index]
        what = "quoted sentence" if atom.is_quote else "sentence"
        return IngestError(
            f"a {what} needs {seconds:.0f} s with its segment's headline and credit, more "
            f"than --max-seconds {self.timing.max_seconds:g}; raise --max-seconds or shorten it",
            SourceLocation(self.shown, atom.line),
        )

    def segments(self, cuts: list[tuple[int, int]]) -> list[Segment]:
        made: list[Segment] = []
        seen: Counter[str] = Counter()
        for start, end in cuts:
            template, values = self.fields(start, end)
            first_text = self.atoms[start].text
            seen[first_text] += 1
            made.append(
                Segment(
                    segment_id(first_text, seen[first_text]),
                    template,
                    values,
                    spoken_seconds(self.timing, self.timing.templates[template], values),
                    self.atoms[start].line,
                    self.atoms[end - 1].line,
                )
            )
        return made


def spoken_seconds(timing: Timing, template: Template, values: dict[str, object]) -> float:
    """Estimated seconds to speak ``template`` filled with ``values``, pauses included."""
    rate = timing.station.speaking_rates.get(timing.lang)
    spoken = {name: _spoken_value(value, timing.lang) for name, value in values.items()}
    total = timing.station.pauses.segment_end
    for part in template.parts:
        if part.unless and part.unless in values:
            continue
        if any(name in template.fields and name not in values for name in part.placeholders):
            continue
        list_field = template.list_field_of(part)
        texts = spoken[list_field] if list_field else [part.text.format(**_flat(spoken))]
        for text in texts:
            total += estimate_seconds(text, timing.lang, rate)
            total += part.pause_before + part.pause_after
    return total


def _spoken_value(value: object, lang: str) -> str | list[str]:
    if isinstance(value, dt.date):
        return format_date(value, format="long", locale=lang)
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def _flat(values: dict[str, str | list[str]]) -> dict[str, str]:
    """Field values as text; the station's name, episode title and date are empty unless given."""
    return {"station": "", "episode_title": "", "episode_date": ""} | {
        name: value if isinstance(value, str) else " ".join(value) for name, value in values.items()
    }


def segment_id(first_sentence: str, occurrence: int) -> str:
    """A stable id from the segment's first sentence: a few of its words and a short hash."""
    digest = hashlib.sha1(f"{first_sentence}\n{occurrence}".encode()).hexdigest()[:8]
    words = slug_words(first_sentence, SLUG_MAX - len(digest) - 1, max_words=5)
    return f"{words}-{digest}" if words else f"segment-{digest}"


def slug_words(text: str, limit: int, max_words: int = 12) -> str:
    """Lower-case ASCII words of ``text`` joined by '-', at most ``limit`` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in ascii_text).split()
    slug = ""
    for word in words[:max_words]:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug
