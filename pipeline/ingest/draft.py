"""Writing draft episode scripts as YAML text, with comments, byte for byte the same each run.

Entry points: :func:`render_draft` and :func:`yaml_string`. The YAML is
written by hand rather than dumped so that it can carry a header naming the
source and a comment with each segment's estimated duration. Every string is
written double-quoted with YAML escapes, so colons, ``#``, quotes, leading
dashes and ``{braces}`` in article text load back exactly as written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.ingest.segment import Segment
from pipeline.project.script import Template

# Characters PyYAML does not accept raw in a stream, or that YAML reads as line breaks.
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
    "\ufeff": "\\uFEFF",
}


@dataclass(frozen=True)
class FramingSegment:
    """One of the station's own segments that open and close every episode (no fields)."""

    id: str
    template: str
    seconds: float


@dataclass
class DraftEpisode:
    """Everything one draft file says."""

    id: str
    title: str
    date: dt.date
    description: str
    publication: str
    source_title: str
    published: dt.date | None
    file: str
    first_line: int
    last_line: int
    segments: list[Segment]
    max_seconds: float
    rate_text: str
    checks: list[str] = field(default_factory=list)
    opening: list[FramingSegment] = field(default_factory=list)
    closing: list[FramingSegment] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        """The estimated length of the whole episode, opening and closing included."""
        framing = sum(frame.seconds for frame in (*self.opening, *self.closing))
        return framing + sum(segment.seconds for segment in self.segments)


def yaml_string(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that loads back unchanged."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif not _printable(ch):
            code = ord(ch)
            out.append(f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _printable(ch: str) -> bool:
    """What PyYAML's reader accepts unescaped (besides the line breaks handled above)."""
    code = ord(ch)
    return 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def comment(text: str) -> str:
    """``text`` made safe to stand in a ``#`` comment (one line, printable)."""
    return "".join(ch if _printable(ch) else " " for ch in " ".join(text.split()))


def render_draft(draft: DraftEpisode, templates: dict[str, Template]) -> str:
    """The YAML text of ``draft``."""
    total = draft.total_seconds
    count = len(draft.segments)
    lines = [
        f"# Draft episode made by `pipeline ingest` from {comment(draft.file)}, "
        f"lines {draft.first_line}-{draft.last_line}.",
        f"# Source: {comment(draft.source_title)} ({comment(draft.publication)}"
        + (f", {draft.published.isoformat()})." if draft.published else ", date unknown)."),
        f"# Estimated length: {_minutes(total)}: {count} segment{'s' if count != 1 else ''} of the story "
        f"(each at most {draft.max_seconds:g} s at {draft.rate_text}) between the station's opening and closing.",
        "# Edit freely. Build it with `pipeline build` and this file's path, or move it",
        "# to scripts_src/episodes/ to make it part of the normal build.",
        *(f"# Check: {comment(check)}" for check in draft.checks),
        "",
        f"id: {draft.id}",
        f"title: {yaml_string(draft.title)}",
        f"date: {draft.date.isoformat()}",
    ]
    if draft.description:
        lines.append(f"description: {yaml_string(draft.description)}")
    lines += [
        "sources:",
        f"  - publication: {yaml_string(draft.publication)}",
        f"    title: {yaml_string(draft.source_title)}",
    ]
    if draft.published:
        lines.append(f"    date: {draft.published.isoformat()}")
    lines += [f"    file: {yaml_string(draft.file)}", "", "segments:"]
    lines += [line for frame in draft.opening for line in _framing_lines(frame, "opening")]
    for number, segment in enumerate(draft.segments, 1):
        lines += _segment_lines(number, segment, templates[segment.template])
    lines += [line for frame in draft.closing for line in _framing_lines(frame, "closing")]
    return "\n".join(lines) + "\n"


def _framing_lines(frame: FramingSegment, role: str) -> list[str]:
    return [
        f"  # The station's {role}: about {frame.seconds:.0f} s.",
        f"  - id: {frame.id}",
        f"    template: {frame.template}",
        "",
    ]


def _segment_lines(number: int, segment: Segment, template: Template) -> list[str]:
    span = (
        f"line {segment.first_line}"
        if segment.first_line == segment.last_line
        else f"lines {segment.first_line}-{segment.last_line}"
    )
    lines = [
        f"  # {number}. About {segment.seconds:.0f} s; from source {span}.",
        f"  - id: {segment.id}",
        f"    template: {segment.template}",
    ]
    for name in template.fields:
        if name not in segment.fields:
            continue
        value = segment.fields[name]
        if isinstance(value, list):
            lines.append(f"    {name}:")
            lines += [f"      - {yaml_string(item)}" for item in value]
        elif isinstance(value, dt.date):
            lines.append(f"    {name}: {value.isoformat()}")
        else:
            lines.append(f"    {name}: {yaml_string(str(value))}")
    lines.append("")
    return lines


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"
