"""``scripts_src/ingest.yaml``: the stop-lists that back up ingest's general signals.

Entry point: :func:`load_ingest_settings`. The file is optional (built-in
empty lists and a default credit are used without it); when present it is
validated like every other YAML file of the project, every problem reported
with its ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ValidationFailed, display_path
from pipeline.project.layout import INGEST_FILE
from pipeline.project.schema import Checker
from pipeline.project.yamlsource import load_located

PHRASE_LISTS = ("call_to_action", "caption_words", "end_of_article", "stop_lines")
DEFAULT_UNKNOWN_PUBLICATION = "an online publication"


@dataclass(frozen=True)
class IngestSettings:
    """The validated stop-lists, each phrase lower-cased with single spaces."""

    call_to_action: tuple[str, ...] = ()
    caption_words: tuple[str, ...] = ()
    end_of_article: tuple[str, ...] = ()
    stop_lines: tuple[str, ...] = ()
    unknown_publication: str = DEFAULT_UNKNOWN_PUBLICATION
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def phrase_in(self, list_name: str, text: str) -> str | None:
        """The first phrase of ``list_name`` found in ``text`` as whole words, if any."""
        pattern = self._patterns.get(list_name)
        if pattern is None:
            phrases = sorted(getattr(self, list_name), key=len, reverse=True)
            if not phrases:
                return None
            alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
            pattern = re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE)
            self._patterns[list_name] = pattern
        found = pattern.search(text)
        return " ".join(found.group(0).lower().split()) if found else None

    def is_whole_line(self, list_name: str, text: str) -> bool:
        """True when ``text``, ignoring case and punctuation, is one phrase of the list."""
        return comparable(text) in getattr(self, list_name)


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
    data = check.mapping((), document.data, optional=(*PHRASE_LISTS, "unknown_publication")) or {}
    lists: dict[str, tuple[str, ...]] = {}
    for name in PHRASE_LISTS:
        lists[name] = _phrases(check, name, data.get(name, []))
    unknown = data.get("unknown_publication", DEFAULT_UNKNOWN_PUBLICATION)
    unknown = check.string(("unknown_publication",), unknown) or DEFAULT_UNKNOWN_PUBLICATION
    if check.problems:
        raise ValidationFailed(check.problems)
    return IngestSettings(**lists, unknown_publication=" ".join(unknown.split()))


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
