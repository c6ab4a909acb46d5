"""Rendering: an episode + a language's catalogs → what is spoken, part by part.

Entry point: :func:`render_episode`. For every segment it looks each field
value and template string up in the language's catalogs, fills the
template's placeholders (dates and numbers formatted by Babel for the
locale), splits the text into sentences and normalises each sentence for
speech. A segment with any untranslated or fuzzy string is not rendered: it
is recorded in :attr:`LocalisedEpisode.incomplete` with every such string
(the script file and line, the msgctxt, the msgid and the catalog line), so
the Korean voice never reads English and a translator sees all that is left
to do at once. For a translator's preview (``partial=True``) such segments are
rendered all the same, each missing string a part with no text and a
:attr:`SpokenPart.gap` saying why; a build never asks for that.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from babel.dates import format_date
from babel.numbers import format_decimal

from pipeline.errors import SourceLocation
from pipeline.i18n.catalogs import Lookup, Translator
from pipeline.i18n.josa import resolve_particles
from pipeline.i18n.messages import (
    EPISODE_TITLE_CONTEXT,
    STATION_NAME_CONTEXT,
    SourceMessage,
    field_context,
    paragraph_contexts,
)
from pipeline.project.script import SHARED_DOMAIN, Episode, Project, Segment, Template, TemplatePart
from pipeline.rendered import RenderedSegment, SpokenPart, SpokenSentence
from pipeline.speech import Normaliser, SpeechChunk
from pipeline.text.sentences import split_sentences


@dataclass(frozen=True)
class MissingTranslation:
    """A string a language cannot speak yet, and where to fix it."""

    lang: str
    location: SourceLocation  # where the source string is written
    msgid: str
    lookup: Lookup
    segment_id: str | None = None
    context: str | None = None  # the msgctxt the string has in the catalog

    def __str__(self) -> str:
        short = self.msgid if len(self.msgid) <= 60 else self.msgid[:57] + "..."
        return f"{self.location}: {self.lang}: {self.lookup.reason()}: msgid {short!r}"


@dataclass
class LocalisedEpisode:
    """An episode rendered in one language."""

    episode: Episode
    lang: str
    title: str | None
    station_name: str | None
    segments: list[RenderedSegment] = field(default_factory=list)
    incomplete: dict[str, list[MissingTranslation]] = field(default_factory=dict)
    episode_missing: list[MissingTranslation] = field(default_factory=list)
    error: str | None = None  # a catalog this episode needs cannot be read
    error_location: SourceLocation | None = None  # where that catalog is broken

    @property
    def is_complete(self) -> bool:
        """True when every segment and the title can be spoken."""
        return not self.error and not self.incomplete and not self.episode_missing

    @property
    def can_build(self) -> bool:
        """True when the episode-wide strings exist and at least one segment rendered."""
        return not self.error and not self.episode_missing and bool(self.segments)

    def missing(self) -> list[MissingTranslation]:
        """Every missing string, episode-wide ones first."""
        found = list(self.episode_missing)
        for items in self.incomplete.values():
            found.extend(items)
        return found


class _Untranslated(Exception):
    def __init__(self, missing: MissingTranslation) -> None:
        self.missing = missing


@dataclass(frozen=True)
class _Gap:
    """In a preview, stands where a missing string's translation would go."""

    missing: MissingTranslation


def render_episode(
    project: Project,
    episode: Episode,
    lang: str,
    translator: Translator,
    normalise: Normaliser,
    partial: bool = False,
) -> LocalisedEpisode:
    """Render ``episode`` in ``lang``; untranslated segments are recorded, not spoken.

    With ``partial`` (a preview), segments with missing strings are rendered
    too, each missing string a :attr:`SpokenPart.gap`.
    """
    renderer = _EpisodeRenderer(project, episode, lang, translator, normalise, partial)
    return renderer.render()


class _EpisodeRenderer:
    def __init__(
        self,
        project: Project,
        episode: Episode,
        lang: str,
        translator: Translator,
        normalise: Normaliser,
        partial: bool = False,
    ) -> None:
        self.project = project
        self.episode = episode
        self.lang = lang
        self.translator = translator
        self.normalise = normalise
        self.station_message: SourceMessage | None = None
        self.partial = partial
        self.gaps: list[MissingTranslation] = []

    def render(self) -> LocalisedEpisode:
        station = self.project.station
        result = LocalisedEpisode(self.episode, self.lang, None, None)
        station_origin = SourceLocation(station.path, station.name_line, "name")
        self.station_message = SourceMessage(SHARED_DOMAIN, STATION_NAME_CONTEXT, station.name, station_origin)
        result.station_name = self._collect(result, SHARED_DOMAIN, STATION_NAME_CONTEXT, station.name, station_origin)
        result.title = self._collect(
            result,
            self.episode.id,
            EPISODE_TITLE_CONTEXT,
            self.episode.title,
            self.episode.title_location,
        )
        if result.episode_missing and not self.partial:
            return result
        missing = {m.msgid: _Gap(m) for m in result.episode_missing}
        globals_: dict[str, str | _Gap] = {
            "station": result.station_name if result.station_name is not None else missing[station.name],
            "episode_title": result.title if result.title is not None else missing[self.episode.title],
            "episode_date": format_date(self.episode.date, format="long", locale=self.lang),
        }
        for segment in self.episode.segments:
            self.gaps = []
            rendered = self._segment(segment, globals_)
            if self.gaps:
                result.incomplete[segment.id] = list(self.gaps)
            if self.partial or not self.gaps:
                result.segments.append(rendered)
        return result

    def _collect(
        self,
        result: LocalisedEpisode,
        domain: str,
        context: str,
        msgid: str,
        origin: SourceLocation,
    ) -> str | None:
        lookup = self.translator.lookup(domain, context, msgid)
        if not lookup.ok:
            result.episode_missing.append(MissingTranslation(self.lang, origin, msgid, lookup, None, context))
        return lookup.text

    def _translate(self, domain: str, context: str, msgid: str, origin: SourceLocation, segment: str) -> str | _Gap:
        """The translation, or a gap that records why there is none (the rest of the segment is
        still looked up, so that every missing string is listed at once)."""
        lookup = self.translator.lookup(domain, context, msgid)
        if not lookup.ok:
            missing = MissingTranslation(self.lang, origin, msgid, lookup, segment, context)
            self.gaps.append(missing)
            return _Gap(missing)
        assert lookup.text is not None
        return lookup.text

    def _segment(self, segment: Segment, globals_: dict[str, str | _Gap]) -> RenderedSegment:
        template = self.project.templates[segment.template]
        values, paragraphs = self._field_values(segment)
        texts: list[tuple[TemplatePart, str | _Gap, tuple[SourceMessage, ...]]] = []
        for part in template.parts:
            if not self._is_spoken(part, segment, template):
                continue
            list_field = template.list_field_of(part)
            if list_field:
                for paragraph, source in zip(
                    paragraphs[list_field], self._paragraph_messages(segment, list_field), strict=True
                ):
                    texts.append((part, paragraph, (source,)))
                continue
            text = self._template_text(part, segment)
            try:
                filled = text if isinstance(text, _Gap) else self._fill(part, text, {**globals_, **values})
            except _Untranslated as bad:  # a translation whose placeholders do not fit
                missing = replace(bad.missing, segment_id=segment.id, context=part.context)
                self.gaps.append(missing)
                filled = _Gap(missing)
            texts.append((part, filled, self._part_messages(part, segment)))
        if self.gaps and not self.partial:  # left out of the audio: nothing is normalised
            return RenderedSegment(segment.id, segment.number, segment.id, (), segment.location)
        parts = [self._spoken_or_gap(part, text, messages) for part, text, messages in texts]
        title = values.get("title")
        if isinstance(title, _Gap):
            title = None
        if not title:
            title = parts[0].sentences[0].written if parts and parts[0].sentences else segment.id
        return RenderedSegment(segment.id, segment.number, title, tuple(parts), segment.location)

    def _field_values(self, segment: Segment) -> tuple[dict[str, str | _Gap], dict[str, list[str | _Gap]]]:
        """The segment's fields as this language speaks them: single values, and paragraph lists
        (in a preview, a missing string is a gap)."""
        values: dict[str, str | _Gap] = {}
        paragraphs: dict[str, list[str | _Gap]] = {}
        domain = self.episode.id
        for name, value in segment.fields.items():
            if value.type == "text":
                values[name] = self._translate(
                    domain, field_context(segment.id, name), value.value, value.location, segment.id
                )
            elif value.type == "paragraphs":
                contexts = paragraph_contexts(segment.id, name, value.value)
                paragraphs[name] = [
                    self._translate(domain, context, text, where, segment.id)
                    for context, text, where in zip(contexts, value.value, value.item_locations, strict=True)
                ]
            elif value.type == "date":
                values[name] = format_date(value.value, format="long", locale=self.lang)
            else:
                values[name] = format_decimal(value.value, locale=self.lang)
        return values, paragraphs

    def _paragraph_messages(self, segment: Segment, name: str) -> list[SourceMessage]:
        value = segment.fields[name]
        assert value.type == "paragraphs"
        contexts = paragraph_contexts(segment.id, name, value.value)
        return [
            SourceMessage(self.episode.id, context, text, where)
            for context, text, where in zip(contexts, value.value, value.item_locations, strict=True)
        ]

    def _part_messages(self, part: TemplatePart, segment: Segment) -> tuple[SourceMessage, ...]:
        """The template string (when translatable) and the translated values filled into it."""
        found = []
        if part.is_translatable:
            found.append(SourceMessage(SHARED_DOMAIN, part.context, part.text, part.location, part.voice))
        for name in part.placeholders:
            value = segment.fields.get(name)
            if value is not None and value.type == "text":
                context = field_context(segment.id, name)
                found.append(SourceMessage(self.episode.id, context, value.value, value.location))
            elif name == "station" and self.station_message is not None:
                found.append(self.station_message)
            elif name == "episode_title":
                episode = self.episode
                found.append(SourceMessage(episode.id, EPISODE_TITLE_CONTEXT, episode.title, episode.title_location))
        return tuple(found)

    @staticmethod
    def _is_spoken(part: TemplatePart, segment: Segment, template: Template) -> bool:
        if part.unless and part.unless in segment.fields:
            return False
        return all(name in segment.fields or name not in template.fields for name in part.placeholders)

    def _template_text(self, part: TemplatePart, segment: Segment) -> str | _Gap:
        if not part.is_translatable:
            return part.text
        return self._translate(SHARED_DOMAIN, part.context, part.text, part.location, segment.id)

    def _fill(self, part: TemplatePart, text: str, values: dict[str, str | _Gap]) -> str | _Gap:
        gaps = [value for name in part.placeholders if isinstance(value := values.get(name), _Gap)]
        if gaps:
            return gaps[0]
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise self._bad_translation(part, f"translation has a stray brace ({exc})") from exc
        pieces = []
        for literal, name, spec, conversion in parsed:
            pieces.append(literal)
            if name is None:
                continue
            if spec or conversion or name not in part.placeholders:
                raise self._bad_translation(part, f"translation has placeholder {{{name}}} that the source lacks")
            pieces.append(str(values[name]))
        filled = "".join(pieces)
        return resolve_particles(filled) if self.lang.split("-")[0] == "ko" else filled

    def _spoken_or_gap(self, part: TemplatePart, text: str | _Gap, messages: tuple[SourceMessage, ...]) -> SpokenPart:
        if isinstance(text, _Gap):
            return SpokenPart(
                part.voice, (), part.pause_before, part.pause_after, part.location, messages, gap=text.missing
            )
        return self._spoken(part, text, messages)

    def _bad_translation(self, part: TemplatePart, reason: str) -> _Untranslated:
        lookup = Lookup(None, "refused", "", detail=reason)
        return _Untranslated(MissingTranslation(self.lang, part.location, part.text, lookup))

    def _spoken(self, part: TemplatePart, text: str, messages: tuple[SourceMessage, ...]) -> SpokenPart:
        sentences = tuple(
            SpokenSentence(sentence, tuple(self.normalise(sentence))) for sentence in split_sentences(text, self.lang)
        )
        return SpokenPart(part.voice, sentences, part.pause_before, part.pause_after, part.location, messages)


def spoken_text(part: SpokenPart, mark: Callable[[SpeechChunk], str] | None = None) -> str:
    """The engine's input for a part, chunks joined; ``mark`` may decorate each chunk."""
    show = mark or (lambda chunk: chunk.text)
    return " ".join(show(chunk) for sentence in part.sentences for chunk in sentence.chunks)
