"""Every translatable string of a project, with its gettext context and origin.

Entry points: :func:`episode_messages` (one domain per episode) and
:func:`shared_messages` (the station name and the template parts, domain
``station``). The context scheme is the contract between extraction, the
catalogs translators edit, and the lookups made while rendering:

=========================  ==============================================
context                    string
=========================  ==============================================
``episode.title``          the episode title
``<segment>.<field>``      a text field of a segment
``<segment>.<field>.<n>``  paragraph *n* (1-based) of a paragraphs field
``station.name``           the station name (shared domain)
``<template>.parts.<n>``   part *n* (1-based) of a template (shared domain)
=========================  ==============================================
"""

from __future__ import annotations

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


def field_context(segment_id: str, field: str, item: int | None = None) -> str:
    """Context of a segment field, or of paragraph ``item`` (1-based) of it."""
    base = f"{segment_id}.{field}"
    return base if item is None else f"{base}.{item}"


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
            for n, (text, location) in enumerate(zip(value.value, value.item_locations, strict=True), 1):
                messages.append(SourceMessage(domain, field_context(segment.id, name, n), text, location, role))
    return messages


def role_of_field(template: Template, field: str) -> str | None:
    """The voice of the first template part that speaks ``field``."""
    for part in template.parts:
        if field in part.placeholders:
            return part.voice
    return None
