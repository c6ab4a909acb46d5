"""File and folder names that every player and FAT32 card accepts.

Entry points: :func:`slugify` (any text → an ASCII lower-case slug of at
most 64 characters), :func:`unique_names` (slugs for a list of items, made
distinct the way FAT32 compares names: ignoring case) and
:func:`name_problems` (why an existing name is unsafe, for ``verify``).

Non-ASCII text is transliterated with ``anyascii`` (Korean Hangul becomes
its romanisation: ``라디오`` → ``ladio``); what cannot be transliterated is
dropped. The Korean title itself lives in the tags, not in the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from anyascii import anyascii

MAX_NAME_LENGTH = 64
FAT32_FORBIDDEN = frozenset('"*/:<>?\\|')
# Names Windows and DOS reserve for devices, with or without an extension.
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "clock$"} | {f"com{n}" for n in range(1, 10)} | {f"lpt{n}" for n in range(1, 10)}
)
# Names written in capitals on purpose, so that people see them first on a card.
LISTEN_FILE = "LISTEN.txt"  # how to listen; bundle writes it last, so a card without it was cut short
WELL_KNOWN_NAMES = frozenset({LISTEN_FILE})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_FALLBACK = "item"


def slugify(text: str, max_length: int = MAX_NAME_LENGTH, fallback: str = _FALLBACK) -> str:
    """``text`` as lower-case ASCII letters and digits joined by ``-``, safe on FAT32."""
    ascii_text = anyascii(text).lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    slug = _shorten(slug, max_length)
    if not slug:
        slug = fallback
    if slug in RESERVED_NAMES:
        slug = _shorten(f"{slug}-{fallback}", max_length)
    return slug


def unique_names(names: Iterable[str], max_length: int = MAX_NAME_LENGTH) -> list[str]:
    """Slugs of ``names`` in order, made distinct ignoring case (``-2``, ``-3`` … added).

    The first item keeps its slug; later items that would collide get the
    smallest free number. The result depends only on the input.
    """
    slugs = [slugify(name, max_length) for name in names]
    taken = set(slugs)
    seen: set[str] = set()
    result = []
    for slug in slugs:
        name = slug
        if name in seen:
            number = 2
            while (name := _with_suffix(slug, number, max_length)) in taken:
                number += 1
        seen.add(name)
        taken.add(name)
        result.append(name)
    return result


def name_problems(name: str, max_length: int = MAX_NAME_LENGTH) -> list[str]:
    """Why ``name`` (one path component, extension included) is unsafe; empty when safe."""
    problems = []
    stem = name.split(".", 1)[0].lower()
    if not name.isascii():
        problems.append("not ASCII")
    if any(ch in FAT32_FORBIDDEN or ord(ch) < 32 for ch in name):
        problems.append("has a character FAT32 forbids")
    if len(name) > max_length + 5:  # a 64-character slug plus an extension like '.m3u8'
        problems.append(f"longer than {max_length} characters plus extension")
    if stem in RESERVED_NAMES:
        problems.append(f"'{stem}' is a reserved device name")
    if name != name.lower() and name not in WELL_KNOWN_NAMES:
        problems.append("not lower-case")
    if name.endswith((".", " ")) or name.startswith(" "):
        problems.append("starts or ends with a space or dot")
    return problems


def _shorten(slug: str, max_length: int) -> str:
    """Cut at a ``-`` where possible, never leaving a trailing ``-``."""
    if len(slug) <= max_length:
        return slug
    cut = slug[:max_length]
    if "-" in cut and slug[max_length] != "-":
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


def _with_suffix(slug: str, number: int, max_length: int) -> str:
    suffix = f"-{number}"
    return f"{_shorten(slug, max_length - len(suffix))}{suffix}"
