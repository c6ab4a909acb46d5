"""Placeholders in messages: ``{name}`` (str.format) and ``%(name)s`` (printf-style).

Entry points: :func:`brace_placeholders`, :func:`percent_placeholders` and
:func:`placeholder_mismatch`, shared by ``check`` (which reports) and
``compile`` (which refuses to write a catalog that would fail at render
time, where Babel would write it anyway).
"""

from __future__ import annotations

import re
import string
from collections import Counter

from pipeline.i18n.pofile import PoEntry

BRACE = "python-brace-format"
PERCENT = "python-format"
# printf-style directives as Python's % operator reads them (as Babel's PYTHON_FORMAT).
_PERCENT_RE = re.compile(
    r"%(?:\((?P<name>\w*)\))?(?P<flags>[-#0 +]*)(?P<width>\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)


def brace_placeholders(text: str) -> Counter[str] | None:
    """``{field}`` placeholders of ``text`` (with conversion and spec), or None if not valid."""
    found: Counter[str] = Counter()
    try:
        for _, name, spec, conversion in string.Formatter().parse(text):
            if name is None:
                continue
            token = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            found["{" + token + "}"] += 1
    except ValueError:
        return None
    return found


def percent_placeholders(text: str, named_only: bool) -> Counter[str]:
    """printf-style directives of ``text``; only ``%(name)s`` ones when ``named_only``."""
    found: Counter[str] = Counter()
    for match in _PERCENT_RE.finditer(text):
        if match.group("type") == "%" and match.group("name") is None:
            continue
        if named_only and match.group("name") is None:
            continue
        found[match.group(0)] += 1
    return found


def placeholder_mismatch(entry: PoEntry, translation: str) -> str | None:
    """Why ``translation`` does not carry the placeholders of the source, or None.

    Brace placeholders are compared whenever either side has them (unless the
    entry is flagged ``no-python-brace-format``); named ``%(name)s`` ones
    likewise; positional ``%s`` only when the entry is flagged
    ``python-format``, since spoken text says "40% of" far more often than it
    formats. The translation must match the singular or the plural source.
    """
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
    problems = [_mismatch(entry, source, translation) for source in sources]
    if any(problem is None for problem in problems):
        return None
    return problems[0]


def _mismatch(entry: PoEntry, source: str, translation: str) -> str | None:
    if f"no-{BRACE}" not in entry.flags:
        expected = brace_placeholders(source)
        got = brace_placeholders(translation)
        if expected:
            if got is None:
                return "the translation has a lone '{' or '}' (write '{{' or '}}')"
            if set(got) != set(expected):
                return _difference(set(expected), set(got))
        elif got:  # a field the source does not have is never right
            return _difference(set(), set(got))
    if f"no-{PERCENT}" not in entry.flags:
        named_only = PERCENT not in entry.flags
        expected_p = percent_placeholders(source, named_only)
        got_p = percent_placeholders(translation, named_only)
        if named_only and set(got_p) != set(expected_p):
            return _difference(set(expected_p), set(got_p))
        if not named_only and expected_p != got_p:
            return _difference(set(expected_p), set(got_p)) or ("printf-style placeholders differ in number")
    return None


def _difference(expected: set[str], got: set[str]) -> str:
    parts = []
    missing = sorted(expected - got)
    extra = sorted(got - expected)
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unknown {', '.join(extra)} (not in the source)")
    return "; ".join(parts)
