"""Hearing one catalog entry as a build would speak it: ``pipeline say --entry FILE.po:LINE``.

Entry points: :func:`entry_at` (the message written at a line of a catalog)
and :func:`spoken_parts` (the parts a build speaks for it, rendered by the
build's own renderer in one segment that uses it).

An episode's message is found in its own segment (the context names it:
``<segment>.<field>``); the episode title and the station's strings (the
station name, template parts) in the first segment, in episode order, that
speaks them. The parts come from :func:`pipeline.build.orchestrator.render_all`,
so they have the voice role, pauses and normalised text the build would give
them; a string the build would leave out (untranslated, fuzzy, unusable) is
an error saying why.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.build.orchestrator import render_all
from pipeline.errors import CatalogError, SourceLocation, UsageError, display_path
from pipeline.i18n.messages import EPISODE_TITLE_CONTEXT, STATION_NAME_CONTEXT, context_base
from pipeline.i18n.pofile import PoEntry, read_po_file
from pipeline.project.script import SHARED_DOMAIN, Episode, Project, Segment
from pipeline.render import RenderedSegment, SpokenPart

_ENTRY_REFERENCE = re.compile(r"^(?P<path>.+\.pot?):(?P<line>[1-9][0-9]*)$")


def parse_entry_reference(text: str) -> tuple[Path, int]:
    """``locales/ko/LC_MESSAGES/ep.po:42`` → (path, 42)."""
    match = _ENTRY_REFERENCE.match(text)
    if not match:
        raise UsageError(f"--entry {text}: expected FILE.po:LINE, e.g. locales/ko/LC_MESSAGES/station.po:42")
    return Path(match["path"]), int(match["line"])


def find_catalog(path: Path, root: Path) -> Path:
    """``path`` inside the project (as ``pipeline i18n check`` prints it), or else as given."""
    for candidate in (root / path, path):
        if candidate.is_file():
            return candidate
    raise UsageError(f"--entry {path}: no such catalog")


def entry_at(path: Path, line: int, root: Path) -> PoEntry:
    """The active message whose lines (comments included) hold ``line`` in the catalog at ``path``."""
    catalog = read_po_file(path, root)
    before = [entry for entry in catalog.entries if entry.line <= line]
    entry = before[-1] if before else None
    shown = display_path(path, root)
    if entry is None or entry.is_header or entry.obsolete:
        what = "the header" if entry is not None and entry.is_header else "no message"
        raise UsageError(f"{shown}:{line}: {what} here; give the line of a message (its msgid or msgstr)")
    return entry


def spoken_parts(project: Project, lang: str, domain: str, entry: PoEntry, shown: str) -> RenderedSegment:
    """The entry's parts, rendered in ``lang`` as the build renders them, as one segment."""
    if entry.msgctxt is None:
        raise CatalogError("a message without msgctxt is not one of the scripts'", SourceLocation(shown, entry.line))
    for episode, segment in _segments_using(project, domain, entry.msgctxt):
        localised = render_all(project, [episode], [lang], partial=True)[(episode.id, lang)]
        if localised.error:
            raise CatalogError(localised.error)
        rendered = next((s for s in localised.segments if s.id == segment.id), None)
        said = entry.msgid if lang == project.station.source_language else entry.translations[0]
        parts = _parts_of(project, rendered, entry, said) if rendered else []
        gaps = [part.gap for part in parts if part.gap is not None]
        if gaps:
            raise CatalogError(f"a build would not speak this entry: {gaps[0].lookup.reason()}")
        if parts and rendered is not None:
            return RenderedSegment(rendered.id, rendered.number, rendered.title, tuple(parts), rendered.origin)
    raise CatalogError(
        f"no segment speaks this entry (context {entry.msgctxt!r})", SourceLocation(shown, entry.msgstr_line)
    )


def _segments_using(project: Project, domain: str, context: str) -> list[tuple[Episode, Segment]]:
    """Segments that may speak the message with ``context`` in ``domain``, the likeliest first."""
    episodes = list(project.episodes.values())
    if domain != SHARED_DOMAIN:
        episode = project.episodes.get(domain)
        if episode is None:
            return []
        if context == EPISODE_TITLE_CONTEXT:
            return [(episode, segment) for segment in episode.segments]
        segment_id = context_base(context).split(".", 1)[0]
        return [(episode, s) for s in episode.segments if s.id == segment_id]
    if context == STATION_NAME_CONTEXT:
        return [(episode, segment) for episode in episodes for segment in episode.segments]
    template = context.split(".", 1)[0]
    return [(e, s) for e in episodes for s in e.segments if s.template == template]


def _parts_of(project: Project, segment: RenderedSegment, entry: PoEntry, said: str) -> list[SpokenPart]:
    """The parts of ``segment`` that say the entry (as ``said``): a template part by its origin,
    a value by its text."""
    template_part = next(
        (
            part
            for template in project.templates.values()
            for part in template.parts
            if part.is_translatable and (part.context, part.text) == (entry.msgctxt, entry.msgid)
        ),
        None,
    )
    if template_part is not None:
        return [part for part in segment.parts if part.origin == template_part.location]
    wanted = _plain(said)
    saying = [part for part in segment.parts if wanted and part.gap is None and wanted in _plain(_written(part))]
    gaps = [part for part in segment.parts if part.gap is not None and part.gap.msgid == entry.msgid]
    return saying[:1] or gaps[:1]


def _written(part: SpokenPart) -> str:
    return " ".join(sentence.written for sentence in part.sentences)


def _plain(text: str) -> str:
    return " ".join(text.split())
