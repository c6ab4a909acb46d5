"""Ingest: raw web documents → clean articles → draft episode scripts.

Entry points: :func:`load_context` (the project's station, templates and
``scripts_src/ingest.yaml``), :func:`ingest_file` (one document → drafts in
memory, or an :class:`~pipeline.errors.IngestError`) and
:func:`~pipeline.ingest.ledger.write_drafts` (never over a producer's edits).
The stages, each in its own module:

1. :mod:`~pipeline.ingest.read`: bytes → repaired text → numbered lines
   (plain text, Markdown, HTML main content);
2. :mod:`~pipeline.ingest.clean`: articles found, page furniture labelled
   with the reason it is dropped;
3. :mod:`~pipeline.ingest.structure`: title, date, paragraphs, lists, quotes;
4. :mod:`~pipeline.ingest.segment`: cuts at sentence boundaries that fit the
   speaking time;
5. :mod:`~pipeline.ingest.credits`: the publisher and date the page gives
   outside the article's own lines, each flagged for checking;
6. :mod:`~pipeline.ingest.draft`: the YAML text, validated against the
   project's templates before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import (
    ConfigError,
    IngestError,
    SourceLocation,
    ValidationFailed,
    display_path,
)
from pipeline.ingest.clean import (
    FOOTER,
    TEASER,
    ArticleLabels,
    Label,
    LabelledDocument,
    label_document,
    script_of,
)
from pipeline.ingest.credits import Found, find_date, find_publisher
from pipeline.ingest.draft import DraftEpisode, FramingSegment, render_draft
from pipeline.ingest.headlines import headline_case, is_in_capitals, unglue_headlines
from pipeline.ingest.ledger import LEDGER_FILE, WrittenDraft, write_drafts
from pipeline.ingest.read import SourceDocument, read_document
from pipeline.ingest.segment import (
    FIRST_TEMPLATE,
    PART_TEMPLATE,
    Segment,
    Timing,
    segment_article,
    slug_words,
    spoken_seconds,
)
from pipeline.ingest.settings import FrameSegment, IngestSettings, load_ingest_settings
from pipeline.ingest.structure import Article, build_article
from pipeline.project.schema import SLUG_MAX
from pipeline.project.script import (
    SHARED_DOMAIN,
    TEMPLATES_DIR,
    EpisodeReader,
    Project,
    Template,
    load_templates,
)
from pipeline.project.station import Station, load_station
from pipeline.project.yamlsource import parse_located
from pipeline.text.durations import estimate_seconds, longest_sentence_run, station_rate

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "LEDGER_FILE",
    "Draft",
    "FileResult",
    "IngestContext",
    "IngestOptions",
    "WrittenDraft",
    "episode_id",
    "ingest_file",
    "load_context",
    "write_drafts",
]
DEFAULT_MAX_SECONDS = 90.0
# Reasons of lines that belong to other stories (related links, teasers): their dates are not the article's.
OTHER_STORIES = (FOOTER, TEASER, "after an end-of-article marker", "in a block of links", "heading of a block of links")
# The writing system each source language is expected in (others: Latin).
SCRIPTS = {"ko": "HANGUL", "ja": "CJK", "zh": "CJK", "ru": "CYRILLIC", "uk": "CYRILLIC"}
_NEEDED_FIELDS = {
    FIRST_TEMPLATE: ("title", "paragraphs", "quote", "speaker", "source", "published"),
    PART_TEMPLATE: ("title", "paragraphs", "quote", "speaker", "source"),
}


@dataclass(frozen=True)
class IngestContext:
    """What ingest needs from the project: station, templates and stop-lists."""

    project: Project
    settings: IngestSettings

    @property
    def root(self) -> Path:
        """The content folder."""
        return self.project.root

    @property
    def station(self) -> Station:
        """The station (languages, speaking rates, pauses)."""
        return self.project.station

    @property
    def templates(self) -> dict[str, Template]:
        """The templates by name."""
        return self.project.templates

    @property
    def lang(self) -> str:
        """The language drafts are written in (the station's source language)."""
        return self.station.source_language


@dataclass
class Draft:
    """One draft episode ready to be written."""

    episode: DraftEpisode
    article: Article
    text: str

    @property
    def segments(self) -> list[Segment]:
        """The draft's segments."""
        return self.episode.segments

    @property
    def file_stem(self) -> str:
        """The draft's file name without ``.yaml``: its episode id."""
        return self.episode.id


@dataclass
class FileResult:
    """What ingesting one document produced: drafts, or an error, and the dropped lines."""

    shown: str
    drafts: list[Draft] = field(default_factory=list)
    dropped: list[Label] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: IngestError | None = None


def load_context(root: Path) -> IngestContext:
    """Load and check the station, the templates ingest writes and ``ingest.yaml``."""
    station = load_station(root)
    templates = load_templates(root, station)
    for name, needed in _NEEDED_FIELDS.items():
        template = templates.get(name)
        where = SourceLocation(display_path(root / TEMPLATES_DIR / f"{name}.yaml", root))
        if template is None:
            raise ConfigError(f"ingest needs the template '{name}'", where)
        missing = [f for f in needed if f not in template.fields]
        if missing:
            raise ConfigError(f"ingest needs the fields {', '.join(missing)}", where)
    settings = load_ingest_settings(root)
    for frame in (*settings.opening, *settings.closing):
        framing = templates.get(frame.template)
        if framing is None:
            raise ConfigError(f"no template '{frame.template}' for the segment '{frame.id}'", frame.location)
        required = [name for name, spec in framing.fields.items() if not spec.optional]
        if required:
            raise ConfigError(
                f"the template '{frame.template}' needs the fields {', '.join(required)}; "
                "an opening or closing segment gives none",
                frame.location,
            )
    return IngestContext(Project(root, station, templates), settings)


@dataclass(frozen=True)
class IngestOptions:
    """The producer's choices: segment length, and what the page does not say or says wrongly."""

    max_seconds: float = DEFAULT_MAX_SECONDS
    publication: str | None = None  # the publisher credited (no guessing)
    episode_id: str | None = None  # the draft's id (and file name)
    title: str | None = None  # the draft's title and spoken headline
    date: dt.date | None = None  # the article's publication date (no guessing)

    @property
    def names_one_article(self) -> bool:
        """True when an id or a title is given, which only one article can carry."""
        return self.episode_id is not None or self.title is not None


def ingest_file(path: Path, context: IngestContext, options: IngestOptions | None = None) -> FileResult:
    """Turn one document into draft episodes; problems are reported in the result."""
    options = options or IngestOptions()
    shown = display_path(path, context.root) if path.is_absolute() else path.as_posix()
    result = FileResult(shown)
    try:
        document = read_document(path, shown)
        document.lines, unglued = unglue_headlines(document.lines)
        result.notes.extend(document.notes)
        result.notes += [f"line {number}: a headline glued to the first sentence was split off" for number in unglued]
        _check_sentence_lengths(document, context, options.max_seconds)
        _check_scripts(document, context.lang)
        labelled = label_document(document, context.settings, _script(context.lang))
        result.dropped = labelled.dropped()
        result.drafts = _drafts(document, labelled, context, options)
    except IngestError as error:
        result.error = error
    return result


def _script(lang: str) -> str:
    return SCRIPTS.get(lang.split("-")[0].split("_")[0], "LATIN")


def _check_sentence_lengths(document: SourceDocument, context: IngestContext, max_seconds: float) -> None:
    """Refuse a line holding a sentence that alone takes longer to say than ``max_seconds``
    before any cleaning: the segmenter would refuse it anyway, after the cleaner's work, which
    grows with the document (5 s of CPU for 250 lines of 19,000 characters). A line that long
    is never page furniture (furniture is a few dozen words), so nothing it would have dropped
    is refused here."""
    rate = station_rate(context.station, context.lang)
    for line in document.lines:
        run = longest_sentence_run(line.text)
        seconds = estimate_seconds(run, context.lang, rate)
        if seconds > max_seconds:
            raise document.error(
                f"a sentence of {len(run):,} characters needs about {seconds:.0f} s, more than "
                f"--max-seconds {max_seconds:g}; raise --max-seconds or shorten it",
                line.number,
            )


def _check_scripts(document: SourceDocument, lang: str) -> None:
    """Refuse a document written mostly in another writing system, or in several."""
    expected = _script(lang)
    letters = Counter(script_of(ch) for line in document.lines for ch in line.text if ch.isalpha())
    total = sum(letters.values())
    if not total:
        raise document.error("no words in the document")
    share = {name: count / total for name, count in letters.most_common()}
    allowed = share.get(expected, 0.0) + (share.get("LATIN", 0.0) if expected != "LATIN" else 0)
    others = [f"{name.title()} {value:.0%}" for name, value in share.items() if value >= 0.02]
    foreign = sum(v for name, v in share.items() if name not in (expected, "LATIN"))
    if allowed < 0.5 and foreign >= 0.8:
        raise document.error(
            f"text is in another writing system ({', '.join(others)}); "
            f"drafts are written in '{lang}' ({expected.title()} script)"
        )
    if allowed < 0.5 or foreign > 0.15:
        raise document.error(f"mixed scripts ({', '.join(others)}); expected {expected.title()} text for '{lang}'")


def _drafts(
    document: SourceDocument,
    labelled: LabelledDocument,
    context: IngestContext,
    options: IngestOptions,
) -> list[Draft]:
    found = None if options.publication else find_publisher(document, labelled, context.settings)
    found_publication = options.publication or (found.value if found else None)
    timing = Timing(context.station, context.templates, context.lang, options.max_seconds)
    drafts: list[Draft] = []
    built = [(labels, build_article(labels, document.title)) for labels in labelled.articles]
    articles = [(labels, article) for labels, article in built if article.blocks]
    if options.names_one_article and len(articles) > 1:
        raise document.error(
            f"--id and --title name one article, but the document holds {len(articles)}; "
            "ingest it without them, or save each article on its own"
        )
    for labels, article in articles:
        credit = found_publication or context.settings.unknown_publication
        source_title = article.title
        checks = [found.check] if found else []
        checks += _settle_title_and_date(article, document, labelled, labels, context.settings, options)
        segments = segment_article(article, credit, timing, document.shown)
        episode = _episode(document, article, segments, credit, timing, context.settings)
        episode.id = options.episode_id or episode.id
        episode.source_title = source_title
        episode.checks[:0] = checks
        taken = {draft.episode.id for draft in drafts}
        if episode.id in taken:
            episode.id = _unused_id(episode.id, taken)
        if not found_publication:
            episode.checks.append(
                "the document does not name its publisher: 'source' and the source's 'publication' say " + repr(credit)
            )
        drafts.append(Draft(episode, article, _validated(episode, context, document)))
    if not drafts:
        raise document.error("no article text found: every line looks like page furniture (see --report)")
    return drafts


def _settle_title_and_date(
    article: Article,
    document: SourceDocument,
    labelled: LabelledDocument,
    labels: ArticleLabels,
    settings: IngestSettings,
    options: IngestOptions,
) -> list[str]:
    """Give ``article`` the producer's title and date, else the page's; the ``# Check:`` notes for guesses."""
    checks = []
    if options.title:
        article.title = options.title
    elif is_in_capitals(article.title):
        article.title = headline_case(article.title)
        checks.append(f"the headline is written in capitals in the page; here in title case: {article.title!r}")
    article.date = options.date or article.date
    if article.date is None:
        dated = _article_date(document, labelled, labels, settings)
        if dated is not None:
            article.date = dated.value
            checks.append(dated.check)
    return checks


def _article_date(
    document: SourceDocument, labelled: LabelledDocument, labels: ArticleLabels, settings: IngestSettings
) -> Found[dt.date] | None:
    """A date for an article without a date line: from its own lines, or the page's when it is the only one."""
    whole_page = len(labelled.articles) == 1
    own = [*labelled.header, *labels.labels] if whole_page else labels.labels
    lines = [label.line for label in own if not label.reason.startswith(OTHER_STORIES)]
    return find_date(document, lines, settings, whole_page)


def _episode(
    document: SourceDocument,
    article: Article,
    segments: list[Segment],
    publication: str,
    timing: Timing,
    context_settings: IngestSettings,
) -> DraftEpisode:
    rate = timing.station.speaking_rates[timing.lang]
    episode = DraftEpisode(
        id=episode_id(article.title, article.date),
        title=article.title,
        date=article.date or _file_date(document.path),
        description=article.deck,
        publication=publication,
        source_title=article.title,
        published=article.date,
        file=document.path.name,
        first_line=article.first_line,
        last_line=article.last_line,
        segments=segments,
        max_seconds=timing.max_seconds,
        rate_text=f"{rate.per_minute:g} {rate.unit} per minute",
        checks=list(article.notes),
    )
    framing = _framing_values(timing, article, episode.date)
    episode.opening = [_framing(frame, timing, framing) for frame in context_settings.opening]
    episode.closing = [_framing(frame, timing, framing) for frame in context_settings.closing]
    if article.date is None:
        episode.checks.append("no publication date found; the episode date is the file's modification date")
    return episode


def _framing_values(timing: Timing, article: Article, date: dt.date) -> dict[str, object]:
    """What the station's opening and closing say besides their own words."""
    return {"station": timing.station.name, "episode_title": article.title, "episode_date": date}


def _framing(frame: FrameSegment, timing: Timing, values: dict[str, object]) -> FramingSegment:
    seconds = spoken_seconds(timing, timing.templates[frame.template], values)
    return FramingSegment(frame.id, frame.template, seconds)


def episode_id(title: str, date: dt.date | None) -> str:
    """A safe id from the article's date and title ('2022-03-21-how-north-korean-…')."""
    prefix = f"{date.isoformat()}-" if date else ""
    words = slug_words(title, SLUG_MAX - len(prefix), max_words=8)
    if not words:
        digest = hashlib.sha1(title.encode("utf-8")).hexdigest()[:8]
        words = f"article-{digest}"
    result = prefix + words
    return f"{result}-article" if result == SHARED_DOMAIN else result


def _unused_id(wanted: str, taken: set[str]) -> str:
    """``wanted`` with a number added that no other article of the file uses."""
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = wanted[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _file_date(path: Path) -> dt.date:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()


def _validated(episode: DraftEpisode, context: IngestContext, document: SourceDocument) -> str:
    """The draft's YAML, checked to load as a valid episode of the project."""
    text = render_draft(episode, context.templates)
    try:
        EpisodeReader(parse_located(text, f"{episode.id}.yaml"), context.templates).read()
    except ValidationFailed as failed:
        first = failed.problems[0]
        raise document.error(f"the draft would not be a valid script: {first}") from failed
    return text
