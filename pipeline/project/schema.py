"""Small typed checks over located YAML data that collect every problem.

:class:`Checker` is used by the station, template and episode loaders: each
method validates one value, records a compiler-style :class:`Problem` on
failure and returns ``None``, so a loader can keep going and report every
mistake in one run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pipeline.errors import Problem
from pipeline.project.yamlsource import KeyPath, LocatedDocument
from pipeline.text.characters import MAX_TEXT_CHARACTERS, is_reserved_name, unsafe_characters

Word = TypeVar("Word", bound=str)  # one of a fixed set of words, as its caller types them

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SLUG_MAX = 48
SLUG_RULE = "use lower-case letters, digits, '-' and '_' (no '/', '..', spaces or control characters)"


def type_name(value: Any) -> str:
    """A person's word for a YAML value's type."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def is_safe_slug(value: str) -> bool:
    """True when ``value`` can be used as a file name on every file system (FAT's and
    Windows' device names such as ``con`` or ``com1`` are not)."""
    return bool(SLUG_RE.match(value)) and len(value) <= SLUG_MAX and not is_reserved_name(value)


class Checker:
    """Validates values of one located document and collects the problems."""

    def __init__(self, document: LocatedDocument) -> None:
        self.doc = document
        self.problems: list[Problem] = []

    def fail(self, path: KeyPath, message: str) -> None:
        """Record a problem at the value of ``path``."""
        self.problems.append(self.doc.problem(path, message))

    def fail_key(self, path: KeyPath, message: str) -> None:
        """Record a problem at the key of ``path``."""
        self.problems.append(Problem(self.doc.at_key(path), message))

    def mapping(
        self,
        path: KeyPath,
        value: Any,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        what: str = "key",
    ) -> dict[str, Any] | None:
        """A mapping with exactly the allowed keys; unknown and missing keys are problems."""
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type_name(value)}")
            return None
        required = list(required)
        allowed = [*required, *optional]
        for key in value:
            if key not in allowed:
                known = ", ".join(allowed) if allowed else "none"
                self.fail_key((*path, key), f"unknown {what} '{key}' (known: {known})")
        for key in required:
            if key not in value:
                self.fail(path, f"missing {what} '{key}'")
        return value

    def table(self, path: KeyPath, value: Any) -> dict[str, Any] | None:
        """A mapping whose keys are names the user chooses (roles, fields, profiles)."""
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type_name(value)}")
            return None
        return value

    def string(self, path: KeyPath, value: Any, allow_empty: bool = False) -> str | None:
        """Text; blank text is a problem unless ``allow_empty``."""
        if not isinstance(value, str):
            self.fail(path, f"expected text, got {type_name(value)}")
            return None
        if not allow_empty and not value.strip():
            self.fail(path, "must not be empty")
            return None
        if len(value) > MAX_TEXT_CHARACTERS:
            self.fail(path, f"text of {len(value):,} characters: the limit is {MAX_TEXT_CHARACTERS:,}; split it")
            return None
        unsafe = unsafe_characters(value)
        if unsafe:
            self.fail(path, f"contains control characters ({', '.join(unsafe)})")
            return None
        return value

    def number(self, path: KeyPath, value: Any, low: float, high: float, integer: bool = False) -> float | None:
        """A number in ``[low, high]``."""
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            wanted = "a whole number" if integer else "a number"
            self.fail(path, f"expected {wanted}, got {type_name(value)}")
            return None
        if not low <= value <= high:
            self.fail(path, f"must be between {low:g} and {high:g}, got {value:g}")
            return None
        return value

    def choice(self, path: KeyPath, value: Any, choices: Iterable[Word]) -> Word | None:
        """One of a fixed set of words."""
        options = list(choices)
        if value not in options:
            self.fail(path, f"expected one of [{', '.join(options)}], got {value!r}")
            return None
        return value

    def slug(self, path: KeyPath, value: Any) -> str | None:
        """An id that is safe as a file or folder name."""
        text = self.string(path, value)
        if text is None:
            return None
        if is_reserved_name(text):
            self.fail(path, f"{text!r} is not a safe id: FAT and Windows keep it for a device (con, aux, nul, com1...)")
            return None
        if not is_safe_slug(text):
            self.fail(path, f"{text!r} is not a safe id: {SLUG_RULE}, at most {SLUG_MAX} characters")
            return None
        return text

    def date(self, path: KeyPath, value: Any) -> dt.date | None:
        """A calendar date written as YYYY-MM-DD."""
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(path, f"expected a date written YYYY-MM-DD, got {value!r}")
        return None

    def sequence(self, path: KeyPath, value: Any, allow_empty: bool = False) -> list[Any] | None:
        """A YAML list."""
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {type_name(value)}")
            return None
        if not value and not allow_empty:
            self.fail(path, "must not be an empty list")
            return None
        return value
