"""Every translatable string of a project, with its gettext context and origin.

Entry points: :func:`episode_messages` (one domain per episode) and
:func:`shared_messages` (the station name and the template parts, domain
``station``). The context scheme is the contract between extraction, the
catalogs translators edit, and the lookups made while rendering:

=========================  ==============================================
context                    string
=========================  ==============================================
``episode.title``          the episode title
``<segment>.<field>``      a text field of a segment, or any paragraph of a
                           paragraphs field (the paragraph is the msgid)
``<segment>.<field>#<k>``  the *k*-th paragraph (k ≥ 2) of one field whose
                           text repeats an earlier one of the same field
``station.name``           the station name (shared domain)
``<template>.parts``       a part of a template (shared domain); ``#<k>``
                           after it for a text an earlier part repeats
=========================  ==============================================

A paragraph's or a template part's context does not say where it stands, so
inserting, removing or reordering paragraphs or parts leaves every other
(msgctxt, msgid) — and its translation — as it was. Catalogs written before
this scheme named them by position (``<segment>.<field>.<n>``,
``<template>.parts.<n>``); :func:`legacy_paragraph_base` recognises those
contexts so that one ``pipeline i18n update`` carries their translations
over unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.errors import SourceLocation
from pipeline.project.script import SHARED_DOMAIN, Episode, Project, Segment, Template

EPISODE_TITLE_CONTEXT = "episode.title"
STATION_NAME_CONTEXT = "station.name"


@dataclass(frozen=True)
class SourceMessage:
    """One translatable source-language string and where it is written."""

    domain: str
    context: str
    text: str
    location: SourceLocation
    role: str | None = None  # the voice role that speaks it, when spoken


REPEAT_MARK = "#"
_LEGACY_PARAGRAPH = re.compile(r"^(?P<base>[^.#]+\.[^.#]+)\.(?P<index>[1-9][0-9]*)$")


def field_context(segment_id: str, field: str) -> str:
    """Context of a segment's text field (and of its paragraphs' first occurrences)."""
    return f"{segment_id}.{field}"


def paragraph_contexts(segment_id: str, field: str, paragraphs: Sequence[str]) -> list[str]:
    """The context of each paragraph of a field: the field's, numbered only for repeated texts."""
    base = field_context(segment_id, field)
    seen: dict[str, int] = {}
    contexts = []
    for text in paragraphs:
        seen[text] = seen.get(text, 0) + 1
        contexts.append(base if seen[text] == 1 else f"{base}{REPEAT_MARK}{seen[text]}")
    return contexts


def context_base(context: str) -> str:
    """A paragraph context without its repeat number: ``seg.paragraphs#2`` → ``seg.paragraphs``."""
    return context.split(REPEAT_MARK, 1)[0]


def legacy_paragraph_base(context: str | None) -> tuple[str, int] | None:
    """(field context, index) of an old position-numbered paragraph context ``seg.field.N``."""
    match = _LEGACY_PARAGRAPH.match(context or "")
    return (match["base"], int(match["index"])) if match else None


def shared_messages(project: Project) -> list[SourceMessage]:
    """The station name and every translatable template part."""
    station = project.station
    messages = [
        SourceMessage(
            SHARED_DOMAIN,
            STATION_NAME_CONTEXT,
            station.name,
            SourceLocation(station.path, station.name_line, "name"),
        )
    ]
    for template in project.templates.values():
        for part in template.parts:
            if part.is_translatable:
                messages.append(SourceMessage(SHARED_DOMAIN, part.context, part.text, part.location, part.voice))
    return messages


def episode_messages(project: Project, episode: Episode) -> list[SourceMessage]:
    """The episode title and every text and paragraph of its segments, in script order."""
    messages = [SourceMessage(episode.id, EPISODE_TITLE_CONTEXT, episode.title, episode.title_location)]
    for segment in episode.segments:
        template = project.templates[segment.template]
        messages.extend(segment_messages(episode.id, segment, template))
    return messages


def segment_messages(domain: str, segment: Segment, template: Template) -> list[SourceMessage]:
    """The translatable field values of one segment."""
    messages = []
    for name, value in segment.fields.items():
        role = role_of_field(template, name)
        if value.type == "text":
            messages.append(SourceMessage(domain, field_context(segment.id, name), value.value, value.location, role))
        elif value.type == "paragraphs":
            contexts = paragraph_contexts(segment.id, name, value.value)
            for context, text, location in zip(contexts, value.value, value.item_locations, strict=True):
                messages.append(SourceMessage(domain, context, text, location, role))
    return messages


def role_of_field(template: Template, field: str) -> str | None:
    """The voice of the first template part that speaks ``field``."""
    for part in template.parts:
        if field in part.placeholders:
            return part.voice
    return None
