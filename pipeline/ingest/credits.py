"""Credits: who published an article and when, found in the page around it.

Entry points: :func:`find_publisher` and :func:`find_date`. Each returns a
:class:`Found` value with the sentence the draft carries as a ``# Check:``
comment, because everything found here is a guess the producer confirms.

The publisher, in order: the page's metadata (HTML ``og:site_name``); in the
page header above the article, a site name of ``ingest.yaml``'s
``publishers`` list, then a site name beside a section ("Asia | The Northern
Courier", "Blog - Liberty in North Korea"); the holder of a copyright line
("© 2024 The Northern Courier"); a listed site name anywhere in the page's
furniture (bylines, footers), picture credits excepted.

The date, when the article has no date line under its headline: a byline or
a line introduced by one of ``date_labels`` ("Published 5 March 2024")
anywhere in the article, the page's metadata (HTML ``<time>`` and ``meta``
tags, read by trafilatura), a date in the page's address (".../2024/03/05/").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipeline.ingest.clean import DROP, HEADER, Label, LabelledDocument
from pipeline.ingest.lines import date_inside, parse_date_value, url_date
from pipeline.ingest.read import SourceDocument, SourceLine
from pipeline.ingest.settings import IngestSettings

# "© 2024 The Northern Courier. All rights reserved." → "The Northern Courier".
_NAME_WORD = r"(?:[A-Z0-9][\w&'’.-]*|of|the|and|for|in|on|&)"
_COPYRIGHT_HOLDER = re.compile(
    rf"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{{4}}(?:\s*[-–]\s*\d{{4}})?\s*,?\s*)?"
    rf"(?P<name>[A-Z][\w&'’.-]*(?:\s+{_NAME_WORD}){{0,6}})",
    re.IGNORECASE,
)
_HOLDER_TAIL = re.compile(r"(?:[\s,.]+(?:all|some|inc|ltd|llc|of|the|and|for|in|on|&))+[\s,.]*$", re.IGNORECASE)
T = TypeVar("T")
_PICTURE_REASON = re.compile(r"caption|picture|credit|image", re.IGNORECASE)
_SECTION_SEPARATOR = re.compile(r"\s+[-–—|·:]\s+")


@dataclass(frozen=True)
class Found(Generic[T]):
    """A value found in the page (a name, a date), and the ``# Check:`` sentence that says where."""

    value: T
    check: str


def find_publisher(document: SourceDocument, labelled: LabelledDocument, settings: IngestSettings) -> Found[str] | None:
    """The publisher named by the page, or None; the page's own header and copyright line come first."""
    if document.publication:
        return Found(document.publication, f"publisher '{document.publication}' from the page's metadata")
    header = [label for label in labelled.header if label.kind == DROP and label.text]
    furniture = _furniture_lines(labelled)
    for label in header:
        name = settings.publisher_in(label.text)
        if name:
            return Found(name, f"publisher '{name}' recognised in the page header (line {label.line.number})")
    holder = next(((label, name) for label in furniture if (name := copyright_holder(label.text))), None)
    for label in header:
        name = site_name(label.text, holder[1] if holder else None) if label.reason == HEADER else None
        if name:
            return Found(name, f"publisher '{name}' from the page header (line {label.line.number})")
    if holder:
        line, name = holder[0].line.number, holder[1]
        return Found(name, f"publisher '{name}' from the copyright line (line {line})")
    for label in furniture:
        name = settings.publisher_in(label.text)
        if name:
            return Found(name, f"publisher '{name}' recognised in the page's furniture (line {label.line.number})")
    return None


def _furniture_lines(labelled: LabelledDocument) -> list[Label]:
    """Header lines and every line not spoken but pictures' captions and credits, in page order.

    A picture credit names an agency or a photographer ("Photo: Reuters"), not
    the page's publisher.
    """
    return sorted(
        (
            label
            for label in labelled.dropped() + labelled.header
            if label.text and not _PICTURE_REASON.search(label.reason)
        ),
        key=lambda label: label.line.number,
    )


def copyright_holder(text: str) -> str | None:
    """The name a copyright line gives, if ``text`` is one."""
    found = _COPYRIGHT_HOLDER.search(text)
    if not found:
        return None
    name = re.split(r"\.\s|\s[|•·]\s|,\s", found.group("name") + " ")[0]
    name = _HOLDER_TAIL.sub("", name).strip(" .,")
    if not name or name.lower() in ("all", "the") or not any(ch.isalpha() for ch in name):
        return None
    return name


def site_name(text: str, holder: str | None = None) -> str | None:
    """The site's name in a header line that pairs it with a section ("World | The Courier").

    The part the page's copyright ``holder`` names wins; else the longest, and
    on a tie the last, where sites put their name.
    """
    parts = [part.strip() for part in _SECTION_SEPARATOR.split(text)]
    if not 2 <= len(parts) <= 3 or not all(parts):
        return None
    if holder:
        owned = [
            part
            for part in parts
            if (len(part.split()) >= 2 and part.lower() in holder.lower()) or holder.lower() in part.lower()
        ]
        if owned:
            return owned[0]
    named = [(len(part.split()), index, part) for index, part in enumerate(parts) if len(part.split()) >= 2]
    named = [entry for entry in named if entry[2][0].isupper()]
    return max(named)[2] if named else None


def find_date(
    document: SourceDocument, lines: list[SourceLine], settings: IngestSettings, whole_page: bool
) -> Found[dt.date] | None:
    """The publication date given somewhere in ``lines`` (the article's, or the page's), or None.

    ``whole_page`` says the article is the page's only one, so that the page's
    metadata is about it.
    """
    for line in lines:
        date = date_inside(line.text, settings.date_labels)
        if date:
            return Found(date, f"date {date.isoformat()} from line {line.number} ('{_excerpt(line.text)}')")
    metadata = parse_date_value(document.date) if document.date and whole_page else None
    if metadata:
        return Found(metadata, f"date {metadata.isoformat()} from the page's metadata")
    for line in lines:
        date = url_date(line.text)
        if date:
            return Found(date, f"date {date.isoformat()} from the page address on line {line.number}")
    address = url_date(document.url or "") if whole_page else None
    if address:
        return Found(address, f"date {address.isoformat()} from the page's address ({document.url})")
    return None


def _excerpt(text: str) -> str:
    return text if len(text) <= 50 else text[:49] + "…"
