"""``scripts_src/ingest.yaml``: the stop-lists that back up ingest's general signals.

Entry point: :func:`load_ingest_settings`. The file is optional (built-in
empty lists and a default credit are used without it); when present it is
validated like every other YAML file of the project, every problem reported
with its ``file:line``. Besides the stop-lists it holds the kinds of page
furniture with their phrases (paywalls, newsletters, donations, copyright,
share and related links), the headings that open a block of links, the
labels that introduce a date ("Published"), and the publishers' site names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SourceLocation, ValidationFailed, display_path
from pipeline.project.layout import INGEST_FILE
from pipeline.project.schema import Checker
from pipeline.project.yamlsource import KeyPath, LocatedDocument, load_located

PHRASE_LISTS = ("call_to_action", "caption_words", "end_of_article", "stop_lines", "block_headings", "date_labels")
OTHER_KEYS = ("furniture", "furniture_max_words", "publishers", "opening", "closing", "unknown_publication")
DEFAULT_UNKNOWN_PUBLICATION = "an online publication"
DEFAULT_FURNITURE_MAX_WORDS = 40


@dataclass(frozen=True)
class FrameSegment:
    """A segment of the station's own that opens or closes every draft (no fields)."""

    id: str
    template: str
    location: SourceLocation | None = None


@dataclass(frozen=True)
class IngestSettings:
    """The validated stop-lists, each phrase lower-cased with single spaces."""

    call_to_action: tuple[str, ...] = ()
    caption_words: tuple[str, ...] = ()
    end_of_article: tuple[str, ...] = ()
    stop_lines: tuple[str, ...] = ()
    block_headings: tuple[str, ...] = ()
    date_labels: tuple[str, ...] = ()
    # Kind of furniture (as the report names it) → its phrases, lower-cased, symbols kept.
    furniture: tuple[tuple[str, tuple[str, ...]], ...] = ()
    furniture_max_words: int = DEFAULT_FURNITURE_MAX_WORDS
    publishers: tuple[str, ...] = ()
    # The station's segments every draft opens and closes with: (segment id, template, line in ingest.yaml).
    opening: tuple[FrameSegment, ...] = ()
    closing: tuple[FrameSegment, ...] = ()
    unknown_publication: str = DEFAULT_UNKNOWN_PUBLICATION
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def phrase_in(self, list_name: str, text: str) -> str | None:
        """The first phrase of ``list_name`` found in ``text`` as whole words, if any."""
        pattern = self._patterns.get(list_name)
        if pattern is None:
            phrases = getattr(self, list_name)
            if not phrases:
                return None
            pattern = _phrase_pattern(phrases)
            self._patterns[list_name] = pattern
        found = pattern.search(text)
        return " ".join(found.group(0).lower().split()) if found else None

    def furniture_in(self, text: str) -> tuple[str, str] | None:
        """The kind of furniture and the phrase of it found in ``text``, if any."""
        folded = " ".join(text.lower().split())
        for kind, phrases in self.furniture:
            pattern = self._patterns.get(f"furniture:{kind}")
            if pattern is None:
                pattern = _phrase_pattern(phrases)
                self._patterns[f"furniture:{kind}"] = pattern
            found = pattern.search(folded)
            if found:
                return kind, found.group(0)
        return None

    def publisher_in(self, text: str) -> str | None:
        """The longest publisher name of the list written in ``text`` (case as listed), if any."""
        pattern = self._patterns.get("publishers")
        if pattern is None:
            if not self.publishers:
                return None
            pattern = _phrase_pattern([name.lower() for name in self.publishers])
            self._patterns["publishers"] = pattern
        found = pattern.search(" ".join(text.lower().split()))
        if not found:
            return None
        return next(name for name in self.publishers if name.lower() == found.group(0))

    def is_whole_line(self, list_name: str, text: str) -> bool:
        """True when ``text``, ignoring case and punctuation, is one phrase of the list."""
        return comparable(text) in getattr(self, list_name)


def _phrase_pattern(phrases: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """Any of ``phrases`` (longest first), not inside a longer word; ``^phrase`` only at the start."""
    ordered = sorted(phrases, key=len, reverse=True)
    alternatives = "|".join(_phrase_regex(phrase) for phrase in ordered)
    return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE)


def _phrase_regex(phrase: str) -> str:
    anchored = phrase.startswith("^")
    words = r"\s+".join(map(re.escape, phrase.removeprefix("^").split()))
    return rf"^{words}" if anchored else words


def comparable(text: str) -> str:
    """Lower-case words of ``text`` joined by single spaces, punctuation removed."""
    return " ".join(re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text.lower()))


def load_ingest_settings(root: Path) -> IngestSettings:
    """Read ``scripts_src/ingest.yaml`` under ``root``; built-in defaults when it is absent."""
    path = root / INGEST_FILE
    if not path.exists():
        return IngestSettings()
    document = load_located(path, display_path(path, root))
    check = Checker(document)
    data = check.mapping((), document.data, optional=(*PHRASE_LISTS, *OTHER_KEYS)) or {}
    lists = {name: _phrases(check, name, data.get(name, [])) for name in PHRASE_LISTS}
    unknown = data.get("unknown_publication", DEFAULT_UNKNOWN_PUBLICATION)
    unknown = check.string(("unknown_publication",), unknown) or DEFAULT_UNKNOWN_PUBLICATION
    max_words = check.number(
        ("furniture_max_words",), data.get("furniture_max_words", DEFAULT_FURNITURE_MAX_WORDS), 1, 500, integer=True
    )
    furniture = _furniture(check, data.get("furniture", {}))
    publishers = _names(check, "publishers", data.get("publishers", []))
    opening = _frames(check, document, "opening", data.get("opening", []))
    closing = _frames(check, document, "closing", data.get("closing", []))
    if check.problems:
        raise ValidationFailed(check.problems)
    return IngestSettings(
        call_to_action=lists["call_to_action"],
        caption_words=lists["caption_words"],
        end_of_article=lists["end_of_article"],
        stop_lines=lists["stop_lines"],
        block_headings=lists["block_headings"],
        date_labels=lists["date_labels"],
        furniture=furniture,
        furniture_max_words=int(max_words or DEFAULT_FURNITURE_MAX_WORDS),
        publishers=publishers,
        opening=opening,
        closing=closing,
        unknown_publication=" ".join(unknown.split()),
    )


def _frames(check: Checker, document: LocatedDocument, name: str, value: Any) -> tuple[FrameSegment, ...]:
    """``opening`` or ``closing``: a list of ``{id: …, template: …}``."""
    frames: list[FrameSegment] = []
    for i, item in enumerate(check.sequence((name,), value, allow_empty=True) or []):
        entry = check.mapping((name, i), item, ("id", "template"))
        if entry is None:
            continue
        segment_id = check.slug((name, i, "id"), entry.get("id"))
        template = check.string((name, i, "template"), entry.get("template"))
        if segment_id and template:
            frames.append(
                FrameSegment(segment_id, template, SourceLocation(document.path, document.line_of((name, i))))
            )
    return tuple(frames)


def _furniture(check: Checker, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Kinds of furniture and their phrases; a phrase may hold symbols (©)."""
    table = check.table(("furniture",), value) or {}
    kinds = []
    for kind, phrases in table.items():
        names = _names(check, ("furniture", kind), phrases)
        kinds.append((" ".join(str(kind).split()), tuple(name.lower() for name in names)))
    return tuple(kinds)


def _names(check: Checker, path: str | KeyPath, value: Any) -> tuple[str, ...]:
    """A list of non-empty texts, spaces folded, none twice (ignoring case)."""
    where = (path,) if isinstance(path, str) else path
    items = check.sequence(where, value, allow_empty=True) or []
    names: list[str] = []
    for i, item in enumerate(items):
        text = check.string((*where, i), item)
        if text is None:
            continue
        name = " ".join(text.split())
        if not name:
            check.fail((*where, i), "empty text")
        elif name.lower() in (n.lower() for n in names):
            check.fail((*where, i), f"'{name}' is listed twice")
        else:
            names.append(name)
    return tuple(names)


def _phrases(check: Checker, name: str, value: Any) -> tuple[str, ...]:
    items = check.sequence((name,), value, allow_empty=True) or []
    phrases: list[str] = []
    for i, item in enumerate(items):
        text = check.string((name, i), item)
        if text is None:
            continue
        phrase = comparable(text)
        if not phrase:
            check.fail((name, i), f"{text!r} has no words to match")
        elif phrase in phrases:
            check.fail((name, i), f"'{phrase}' is listed twice")
        else:
            phrases.append(phrase)
    return tuple(phrases)
