"""Characters that must never reach a listener's files, and names that no card may carry.

Entry points: :func:`unsafe_characters` (control characters and the
invisible bidirectional controls, named for people: ``U+202E RIGHT-TO-LEFT
OVERRIDE``), :func:`is_reserved_name` (names FAT and Windows keep for
devices: ``con``, ``aux``, ``nul``, ``com1``...) and the length limits a
spoken text must keep (:data:`MAX_TEXT_CHARACTERS`, :data:`MAX_LENGTH_RATIO`).

A NUL cuts an ID3 title short on many players; ESC and BEL reach terminals
through transcripts and playlists; a right-to-left override makes a file
name or a line read as something it is not. Tabs and line ends are left to
the formats that allow them.
"""

from __future__ import annotations

import re
import unicodedata

# One text value (a paragraph, a translation) is at most this long: about 20 minutes of speech,
# where a paragraph runs to a few hundred characters. Anything longer is refused before it is
# split or normalised (a 50 MB paragraph would otherwise keep even a dry run busy for minutes).
MAX_TEXT_CHARACTERS = 20_000
# A translation may take this many times its source's spoken length, and MIN_EXCESS_SECONDS
# more, before it is refused as not being a translation of it (i18n check warns far earlier).
MAX_LENGTH_RATIO = 4.0
MIN_EXCESS_SECONDS = 20.0

# C0 controls except tab and line feed, DEL, C1 controls, and the bidirectional marks,
# embeddings, overrides and isolates (U+061C, U+200E-F, U+202A-E, U+2066-9).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Device names FAT and Windows reserve, with or without an extension ("con.mp3" is "con").
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"}
    | {f"{device}{n}" for device in ("com", "lpt") for n in (*"123456789", "\u00b9", "\u00b2", "\u00b3")}
)


def unsafe_characters(text: str) -> list[str]:
    """The distinct unsafe characters in ``text``, in order of first appearance, as
    ``U+001B ESCAPE`` (empty when there are none)."""
    found = dict.fromkeys(_UNSAFE.findall(text))
    return [_describe(ch) for ch in found]


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ch, "control character")
    return f"U+{ord(ch):04X} {name}"


_CONTROL_NAMES = {"\x00": "NULL", "\x07": "BELL", "\x08": "BACKSPACE", "\x0d": "CARRIAGE RETURN", "\x1b": "ESCAPE"}


def is_reserved_name(name: str) -> bool:
    """True when FAT or Windows would take ``name`` (or its stem before the first dot) for a device."""
    return name.split(".", 1)[0].strip().lower() in RESERVED_NAMES
