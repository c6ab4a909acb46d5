"""A lossless reader and writer for gettext PO and POT files.

Entry points: :func:`read_po_file`, :func:`parse_po`, :func:`render_po` and
:func:`write_po_file`. Babel's ``read_po``/``write_po`` drop custom header
fields and ``#|`` previous msgids and forget that an obsolete entry was
fuzzy; catalogs that translators edit must survive a read and a write byte
for byte, so this module keeps everything:

* every entry, with its translator comments (``#``), extracted comments
  (``#.``), references (``#:``), flags (``#,``), previous msgctxt/msgid
  (``#|``), msgctxt, plural forms and obsolete (``#~``) state;
* the header entry and all its fields, including ``X-`` fields;
* the exact text of every entry that was not changed, and of every unchanged
  part (comment block, msgid, msgstr, ...) of an entry that was, so the
  wrapping a translator's editor chose survives.

What is written anew is wrapped as GNU gettext wraps it (``msgcat``'s
algorithm: Unicode line-break opportunities, East Asian widths, no break
inside an escape sequence or before a final ``\\n``) at the width the file
was wrapped at (:func:`detect_width`: 76 for Babel, 77 for translate-toolkit,
79 for msgmerge, Poedit and Django; no wrapping for a file written without),
or :data:`WRAP_WIDTH` for a new file. The file keeps its declared charset and
its line endings (a CRLF file stays CRLF).
"""

from __future__ import annotations

import codecs
import difflib
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import CatalogError, SourceLocation, display_path
from pipeline.fsutil import write_if_changed

WRAP_WIDTH = 79  # GNU msgmerge's and Poedit's page width
# Widths editors and tools wrap at, most common first: GNU gettext, Poedit and
# Django (79), Babel (76), translate-toolkit and Weblate (77), 80.
_KNOWN_WIDTHS = (79, 76, 77, 80)
_NARROWEST = 40  # no editor wraps narrower; shorter lines were broken by hand
FUZZY = "fuzzy"
NO_WRAP = "no-wrap"

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}
_UNESCAPES = {
    "\\": "\\",
    '"': '"',
    "'": "'",
    "?": "?",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_ESCAPE_RE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)
_KEYWORDS = ("msgctxt", "msgid", "msgid_plural", "msgstr")
_KEYWORD_RE = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)(?![\w\[])\s*(.*)$")
_CHARSET_RE = re.compile(rb"charset=([A-Za-z0-9_.:-]+)")
_BLOCKS = (
    "comments",
    "extracted",
    "references",
    "flags",
    "previous",
    "msgctxt",
    "msgid",
    "msgid_plural",
    "msgstr",
)


@dataclass
class PoEntry:
    """One message of a catalog, with everything written around it.

    ``msgstr_plural`` holds ``msgstr[n]`` by index when the entry has a
    ``msgid_plural``; ``msgstr`` is then unused. Comment texts are stored
    without their marker and the one space after it. ``line`` and
    ``msgstr_line`` are 1-based lines in the file the entry was read from
    (0 for entries made in memory).
    """

    msgid: str
    msgstr: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    previous_msgctxt: str | None = None
    previous_msgid: str | None = None
    previous_msgid_plural: str | None = None
    obsolete: bool = False
    line: int = 0
    msgstr_line: int = 0
    leading: str = ""
    _source: _EntrySource | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> tuple[str | None, str]:
        """(msgctxt, msgid): what identifies a message in a catalog."""
        return (self.msgctxt, self.msgid)

    @property
    def is_header(self) -> bool:
        """True for the ``msgid ""`` entry carrying the catalog's header fields."""
        return self.msgid == "" and self.msgctxt is None and not self.obsolete

    @property
    def fuzzy(self) -> bool:
        """True when the translation is marked as needing review."""
        return FUZZY in self.flags

    @property
    def translations(self) -> list[str]:
        """Every msgstr of the entry: one, or one per plural form."""
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[n] for n in sorted(self.msgstr_plural)] or [""]

    @property
    def translated(self) -> bool:
        """True when every msgstr is non-empty (whether fuzzy or not)."""
        return all(self.translations)

    def set_fuzzy(self, fuzzy: bool) -> None:
        """Mark or unmark the entry as fuzzy (``fuzzy`` goes first, as GNU writes it)."""
        if fuzzy and not self.fuzzy:
            self.flags.insert(0, FUZZY)
        elif not fuzzy and self.fuzzy:
            self.flags = [flag for flag in self.flags if flag != FUZZY]

    def block_values(self) -> dict[str, Any]:
        """The value of each rendered part, for telling what changed since reading."""
        return {
            "comments": tuple(self.comments),
            "extracted": tuple(self.extracted),
            "references": tuple(self.references),
            "flags": tuple(self.flags),
            "previous": (self.previous_msgctxt, self.previous_msgid, self.previous_msgid_plural),
            "msgctxt": self.msgctxt,
            "msgid": self.msgid,
            "msgid_plural": self.msgid_plural,
            "msgstr": (self.msgstr, tuple(sorted(self.msgstr_plural.items()))),
            "obsolete": self.obsolete,
        }


@dataclass
class _EntrySource:
    """The text an entry was read from: all of it, and each part's own lines."""

    text: str
    blocks: dict[str, list[str]]
    values: dict[str, Any]


@dataclass
class PoFile:
    """A whole catalog: entries in file order (header first when present)."""

    entries: list[PoEntry]
    path: str = ""
    charset: str = "utf-8"
    trailing: str = ""
    # The page width strings are wrapped at (0: never); None until first needed, then
    # worked out from the file's own lines (only writing needs it: reading stays cheap).
    width: int | None = None
    byte_order_mark: bool = False  # some Windows editors start UTF-8 files with one
    newline: str = "\n"  # "\r\n" for a file written on Windows

    def wrap_width(self) -> int:
        """The width changed and new entries are wrapped at: the file's own (see :func:`detect_width`)."""
        if self.width is None:
            self.width = detect_width(self)
        return self.width

    @property
    def header(self) -> PoEntry | None:
        """The header entry, if the file has one."""
        for entry in self.entries:
            if entry.is_header:
                return entry
        return None

    def messages(self) -> list[PoEntry]:
        """Active (not obsolete) entries other than the header."""
        return [e for e in self.entries if not e.obsolete and not e.is_header]

    def obsolete_entries(self) -> list[PoEntry]:
        """Entries kept as ``#~`` for a message that is gone from the template."""
        return [e for e in self.entries if e.obsolete]

    def find(self, msgctxt: str | None, msgid: str) -> PoEntry | None:
        """The active entry for (msgctxt, msgid), if any."""
        for entry in self.messages():
            if entry.key == (msgctxt, msgid):
                return entry
        return None

    def header_fields(self) -> list[tuple[str, str]]:
        """The header's ``Name: value`` fields in order."""
        header = self.header
        return parse_header(header.msgstr) if header else []

    def header_field(self, name: str) -> str | None:
        """One header field's value (case-insensitive name), or None."""
        wanted = name.lower()
        for key, value in self.header_fields():
            if key.lower() == wanted:
                return value
        return None

    def set_header_field(self, name: str, value: str) -> None:
        """Change one header field, or add it at the end; other lines stay as written."""
        header = self.header
        if header is None:
            header = PoEntry("", "")
            self.entries.insert(0, header)
        header.msgstr = replace_header_field(header.msgstr, name, value)


def parse_header(text: str) -> list[tuple[str, str]]:
    """``Name: value`` pairs of a header msgstr."""
    fields = []
    for line in text.split("\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.append((name.strip(), value.strip()))
    return fields


def replace_header_field(text: str, name: str, value: str) -> str:
    """``text`` with field ``name`` set to ``value`` (appended when absent)."""
    lines = text.split("\n")
    wanted = name.lower()
    for i, line in enumerate(lines):
        key, sep, _ = line.partition(":")
        if sep and key.strip().lower() == wanted:
            lines[i] = f"{key}: {value}"
            return "\n".join(lines)
    if lines and lines[-1] == "":
        lines.pop()
    return "\n".join([*lines, f"{name}: {value}", ""])


# --------------------------------------------------------------------------- reading


def read_po_file(path: Path, root: Path | None = None) -> PoFile:
    """Read a .po/.pot file; problems become CatalogError with file:line.

    Besides what :func:`parse_po_bytes` refuses, a file with no entry at all
    is an error (GNU msgfmt rejects it, and merging into it would write a
    catalog without a header).
    """
    shown = display_path(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read catalog: {exc.strerror}", SourceLocation(shown)) from exc
    catalog = parse_po_bytes(data, shown)
    if not catalog.entries:
        raise CatalogError(
            "empty catalog: no header and no messages (delete it; 'pipeline i18n update' makes it anew)",
            SourceLocation(shown, 1),
        )
    return catalog


def parse_po_bytes(data: bytes, shown: str) -> PoFile:
    """Decode with the charset the header declares (UTF-8 when none), then parse.

    An unknown charset, bytes that are not in the declared charset, and
    UTF-8 text declared as another charset (it would be read, compiled and
    spoken as mojibake) are errors naming the line.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    data = data[len(codecs.BOM_UTF8) :] if bom else data
    charset, declared = _declared_charset(data, shown)
    if charset != "utf-8":
        _refuse_utf8_declared_otherwise(data, declared, shown)
        _refuse_multibyte_declared_single_byte(data, charset, declared, shown)
    try:
        text = data.decode(charset)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            f"not valid {declared} text (the header declares charset={declared})",
            SourceLocation(shown, line),
        ) from exc
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    catalog = parse_po(text.replace("\r\n", "\n") if newline != "\n" else text, shown)
    catalog.charset = charset
    catalog.byte_order_mark = bom
    catalog.newline = newline
    return catalog


def detect_width(catalog: PoFile) -> int:
    """The page width the catalog's strings were wrapped at (0: never wrapped).

    Each line a wrapper ended for want of room bounds the width from both
    sides: the line fits, and the line plus the next line's first unbreakable
    piece did not. Widths are counted in screen columns, as GNU gettext does,
    and in characters, as Babel does (a Korean line Babel wrapped at 76
    characters is 120 columns wide). The known width that fits the most
    lines wins; otherwise the one width every line agrees on, if it is a
    plausible page width (lines broken by hand agree on none); otherwise
    :data:`WRAP_WIDTH`. A file with long lines and none wrapped is never wrapped.
    """
    bounds: dict[Callable[[str], int], list[tuple[int, int]]] = {_columns: [], len: []}
    long_line = False
    for entry in catalog.entries:
        for lines in entry._source.blocks.values() if entry._source else ():
            contents = [_continuation(line) for line in lines]
            for measure, found in bounds.items():
                found.extend(_opening_bounds(lines, contents, measure))
            for line, content, following in zip(lines, contents, [*contents[1:], None], strict=True):
                long_line = long_line or (len(line) > WRAP_WIDTH + 1 and " " in line and line.rstrip().endswith('"'))
                if content is None or not following or content.endswith("\\n"):
                    continue
                for measure, found in bounds.items():
                    found.append((measure(line), measure(line) + _first_piece(following, measure) - 1))
    every = bounds[_columns] + bounds[len]
    if not every:
        return 0 if long_line else WRAP_WIDTH
    votes = {width: sum(low <= width <= high for low, high in every) for width in _KNOWN_WIDTHS}
    best = max(_KNOWN_WIDTHS, key=lambda width: votes[width])  # the first of equals: 79
    if votes[best]:
        return best
    for found in bounds.values():
        low, high = max(low for low, _ in found), min(high for _, high in found)
        if _NARROWEST <= low <= high:
            return low
    return WRAP_WIDTH


def _opening_bounds(
    lines: list[str], contents: list[str | None], measure: Callable[[str], int]
) -> list[tuple[int, int]]:
    """``msgid ""`` then one line: the string did not fit after its keyword."""
    if len(lines) != 2 or contents[0] is not None or not contents[1] or contents[1].endswith("\\n"):
        return []
    if not lines[0].rstrip().endswith(' ""'):
        return []
    joined = f'{lines[0].rstrip()[:-1]}{contents[1]}"'
    return [(measure(lines[1]), measure(joined) - 1)]


def _columns(text: str) -> int:
    return sum(char_width(char) for char in text)


def _continuation(line: str) -> str | None:
    """The quoted text of a string line (``"..."``, ``#~ "..."``, ``#| "..."``), None for others."""
    match = re.fullmatch(r'\s*(?:#~\s*)?(?:#\|\s*)?"(.*)"\s*', line)
    return match.group(1) if match else None


def _first_piece(content: str, measure: Callable[[str], int]) -> int:
    """The size of ``content`` up to its first break opportunity (escaped, as in the file)."""
    allowed = _gnu_breakables(content)
    end = next((i for i in range(1, len(content)) if allowed[i]), len(content))
    return measure(content[:end])


def _refuse_multibyte_declared_single_byte(data: bytes, charset: str, declared: str, shown: str) -> None:
    """A single-byte charset decodes any bytes, so EUC-KR or Shift_JIS under it would be read
    as mojibake; charset-normalizer tells which encoding the bytes are really in."""
    if not _is_single_byte(charset) or data.isascii():
        return
    from charset_normalizer import from_bytes  # only for the rare catalog not in UTF-8

    best = from_bytes(data).best()
    if best is None or _is_single_byte(codecs.lookup(best.encoding).name):
        return
    first = next(i for i, byte in enumerate(data) if byte >= 0x80)
    raise CatalogError(
        f"the header declares charset={declared}, but the text reads as {best.encoding} "
        "(it would be read as mojibake): declare the file's real charset, or save it as UTF-8",
        SourceLocation(shown, data[:first].count(b"\n") + 1),
    )


def _is_single_byte(codec: str) -> bool:
    """True for charsets that give every byte a character of its own (Latin-1, cp1252, KOI8-R …)."""
    try:
        return len(bytes(range(256)).decode(codec)) == 256
    except UnicodeDecodeError:
        return False


def _declared_charset(data: bytes, shown: str) -> tuple[str, str]:
    """(Python codec name, name as the header writes it); UTF-8 when none is declared."""
    match = _CHARSET_RE.search(data[:4096])
    if not match:
        return "utf-8", "UTF-8"
    name = match.group(1).decode("ascii")
    if name.upper() == "CHARSET":  # the placeholder in a fresh template
        return "utf-8", "UTF-8"
    try:
        return codecs.lookup(name).name, name
    except LookupError:
        line = data[: match.start()].count(b"\n") + 1
        raise CatalogError(
            f"unknown charset '{name}' in the Content-Type header (write charset=UTF-8)",
            SourceLocation(shown, line),
        ) from None


def _refuse_utf8_declared_otherwise(data: bytes, declared: str, shown: str) -> None:
    """Multi-byte UTF-8 under another declared charset is an editor that saved as UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return  # genuinely another encoding
    first = next((i for i, byte in enumerate(data) if byte >= 0x80), None)
    if first is None:
        return  # plain ASCII reads the same in every charset
    line = data[:first].count(b"\n") + 1
    raise CatalogError(
        f"the header declares charset={declared}, but the file is written in UTF-8 "
        "(its text would be read as mojibake): change the header to charset=UTF-8",
        SourceLocation(shown, line),
    )


def parse_po(text: str, shown: str = "<catalog>") -> PoFile:
    """Parse PO text; raises CatalogError naming the first bad line."""
    return _Parser(text, shown).parse()


class _Parser:
    """A line-by-line reader that remembers which lines made each part of each entry."""

    def __init__(self, text: str, shown: str) -> None:
        self.lines = text.split("\n")
        # ``split`` leaves one empty string after a final newline: it is not a line.
        self.has_final_newline = text.endswith("\n")
        if self.has_final_newline:
            self.lines.pop()
        self.shown = shown
        self.entries: list[PoEntry] = []
        self.seen: dict[tuple[bool, str | None, str], int] = {}

    def fail(self, number: int, message: str) -> CatalogError:
        return CatalogError(message, SourceLocation(self.shown, number))

    def parse(self) -> PoFile:
        index = 0
        leading_start = 0
        while index < len(self.lines):
            if not self.lines[index].strip():
                index += 1
                continue
            start = index
            after = self._entry(start)
            if after is None:  # comments with no message after them
                break
            index = after
            leading = self._join(leading_start, start)
            self.entries[-1].leading = leading
            leading_start = index
        trailing = self._join(leading_start, len(self.lines))
        return PoFile(self.entries, self.shown, trailing=trailing)

    def _join(self, start: int, end: int) -> str:
        text = "".join(f"{line}\n" for line in self.lines[start:end])
        if end == len(self.lines) and not self.has_final_newline and text:
            text = text[:-1]
        return text

    def _entry(self, start: int) -> int | None:
        """Parse the entry starting at line index ``start``; return the index after it."""
        entry = PoEntry("")
        blocks: dict[str, list[str]] = {}
        state = _EntryState()
        index = start
        while index < len(self.lines):
            raw = self.lines[index]
            stripped = raw.strip()
            number = index + 1
            if not stripped:
                if state.done:
                    break
                index += 1  # GNU allows blank lines inside an unfinished entry
                continue
            kind, body, obsolete = _classify(stripped)
            if state.done and kind not in ("string",) and not _continues(kind, body):
                break
            if kind == "comment":
                if state.in_message():
                    break
                self._comment(entry, body, number)
                blocks.setdefault(_comment_block(body), []).append(raw)
            elif kind == "previous":
                self._previous(entry, body, number, state)
                blocks.setdefault("previous", []).append(raw)
            else:
                if obsolete:
                    entry.obsolete = True
                name = self._message_line(entry, body, number, state)
                blocks.setdefault(name, []).append(raw)
            index += 1
        if state.keyword is None:
            if entry.comments or entry.extracted or entry.references or entry.flags:
                return None
            raise self.fail(start + 1, "expected 'msgid'")
        self._finish(entry, state, start + 1)
        entry.line = start + 1
        text = "".join(f"{line}\n" for line in self.lines[start:index])
        if index == len(self.lines) and not self.has_final_newline:
            text = text[:-1]
        entry._source = _EntrySource(text, blocks, entry.block_values())
        self.entries.append(entry)
        return index

    def _comment(self, entry: PoEntry, body: str, number: int) -> None:
        marker, rest = body[1:2], body[2:]
        text = rest[1:] if rest.startswith(" ") else rest
        if marker == ".":
            entry.extracted.append(text)
        elif marker == ":":
            entry.references.extend(text.split())
        elif marker == ",":
            entry.flags.extend(flag.strip() for flag in text.split(",") if flag.strip())
        else:
            rest = body[1:]
            entry.comments.append(rest[1:] if rest.startswith(" ") else rest)

    def _previous(self, entry: PoEntry, body: str, number: int, state: _EntryState) -> None:
        text = body[2:].strip()
        match = _KEYWORD_RE.match(text)
        if match:
            keyword = match.group(1)
            if keyword not in ("msgctxt", "msgid", "msgid_plural"):
                raise self.fail(number, f"'{keyword}' cannot appear in a '#|' line")
            value = self._string(match.group(3), number, keyword)
            state.previous = keyword
            setattr(entry, f"previous_{keyword}", value)
        elif text.startswith('"') and state.previous:
            name = f"previous_{state.previous}"
            setattr(entry, name, getattr(entry, name) + self._string(text, number, state.previous))
        else:
            raise self.fail(number, "expected 'msgctxt', 'msgid' or a string after '#|'")

    def _message_line(self, entry: PoEntry, body: str, number: int, state: _EntryState) -> str:
        match = _KEYWORD_RE.match(body)
        if match:
            keyword, plural_index, rest = match.group(1), match.group(2), match.group(3)
            value = self._string(rest, number, keyword)
            state.accept(keyword, plural_index, number, self)
            if keyword == "msgctxt":
                entry.msgctxt = value
            elif keyword == "msgid":
                entry.msgid = value
            elif keyword == "msgid_plural":
                entry.msgid_plural = value
            elif plural_index is not None:
                entry.msgstr_plural[int(plural_index)] = value
                entry.msgstr_line = entry.msgstr_line or number
            else:
                entry.msgstr = value
                entry.msgstr_line = number
            return _block_of(keyword)
        if body.startswith('"'):
            if state.keyword is None:
                raise self.fail(number, "a string must follow 'msgid', 'msgstr' or 'msgctxt'")
            value = self._string(body, number, state.keyword)
            if state.keyword == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif state.keyword == "msgid":
                entry.msgid += value
            elif state.keyword == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif state.plural_index is not None:
                entry.msgstr_plural[state.plural_index] += value
            else:
                entry.msgstr += value
            return _block_of(state.keyword)
        word = body.split()[0] if body.split() else body
        guess = difflib.get_close_matches(re.sub(r"\[.*", "", word), _KEYWORDS, 1, 0.6)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        raise self.fail(number, f"unknown keyword '{word}'{hint}")

    def _string(self, text: str, number: int, keyword: str) -> str:
        text = text.strip()
        if len(text) < 2 or not text.startswith('"') or not text.endswith('"'):
            raise self.fail(number, f"expected a quoted string after '{keyword}'")
        inner = text[1:-1]
        if re.search(r'(?<!\\)(?:\\\\)*"', inner):
            raise self.fail(number, "unescaped '\"' inside a string (write '\\\"')")
        if re.search(r"(?<!\\)(?:\\\\)*\\$", inner):
            raise self.fail(number, "string ends with a lone backslash")
        try:
            return _ESCAPE_RE.sub(_unescape, inner)
        except ValueError as exc:
            raise self.fail(number, str(exc)) from None

    def _finish(self, entry: PoEntry, state: _EntryState, number: int) -> None:
        if not state.has_msgid:
            raise self.fail(number, "entry has no 'msgid'")
        if not state.has_msgstr:
            raise self.fail(state.last_line, f"'{state.keyword}' is not followed by 'msgstr'")
        if entry.msgid_plural is not None:
            if not entry.msgstr_plural:
                raise self.fail(state.last_line, "'msgid_plural' needs 'msgstr[0]', not 'msgstr'")
            expected = list(range(len(entry.msgstr_plural)))
            if sorted(entry.msgstr_plural) != expected:
                raise self.fail(entry.msgstr_line, "plural forms must be msgstr[0], msgstr[1], ...")
        elif entry.msgstr_plural:
            raise self.fail(entry.msgstr_line, "'msgstr[n]' needs a 'msgid_plural'")
        key = (entry.obsolete, entry.msgctxt, entry.msgid)
        if key in self.seen:
            what = f"context {entry.msgctxt!r}, " if entry.msgctxt is not None else ""
            raise self.fail(
                number,
                f"duplicate message ({what}msgid {_short(entry.msgid)!r}); first defined at line {self.seen[key]}",
            )
        self.seen[key] = number


@dataclass
class _EntryState:
    """Which keyword the parser is inside, to check keyword order."""

    keyword: str | None = None
    plural_index: int | None = None
    previous: str | None = None
    has_msgid: bool = False
    has_msgstr: bool = False
    last_line: int = 0

    @property
    def done(self) -> bool:
        return self.has_msgstr

    def in_message(self) -> bool:
        return self.keyword is not None

    def accept(self, keyword: str, plural_index: str | None, number: int, parser: _Parser) -> None:
        order = {"msgctxt": 0, "msgid": 1, "msgid_plural": 2, "msgstr": 3}
        base = "msgstr" if keyword.startswith("msgstr") else keyword
        current = order.get(self.keyword or "", -1)
        if order[base] < current or (order[base] == current and base != "msgstr"):
            raise parser.fail(number, f"'{keyword}' is out of place")
        if base in ("msgid_plural", "msgstr") and not self.has_msgid:
            raise parser.fail(number, f"'{keyword}' before 'msgid'")
        if base == "msgstr" and self.has_msgstr and plural_index is None:
            raise parser.fail(number, "a second 'msgstr' in one entry")
        self.keyword = base
        self.plural_index = int(plural_index) if plural_index is not None else None
        self.has_msgid = self.has_msgid or base == "msgid"
        self.has_msgstr = self.has_msgstr or base == "msgstr"
        self.last_line = number


def _classify(stripped: str) -> tuple[str, str, bool]:
    """(kind, body without the obsolete marker, obsolete?) of one non-blank line."""
    obsolete = False
    body = stripped
    if body.startswith("#~"):
        obsolete = True
        body = body[2:].lstrip()
        if body.startswith("|"):
            return "previous", "#" + body, True
        if body.startswith("#"):
            return "comment", body, True
        if not body:
            return "string", '""', True
    if body.startswith("#|"):
        return "previous", body, obsolete
    if body.startswith("#"):
        return "comment", body, obsolete
    if body.startswith('"'):
        return "string", body, obsolete
    return "keyword", body, obsolete


def _continues(kind: str, body: str) -> bool:
    """After msgstr, a ``msgstr[n]`` line still belongs to the same entry."""
    return kind == "keyword" and body.startswith("msgstr[")


def _comment_block(body: str) -> str:
    return {".": "extracted", ":": "references", ",": "flags"}.get(body[1:2], "comments")


def _block_of(keyword: str) -> str:
    return "msgstr" if keyword.startswith("msgstr") else keyword


def _unescape(match: re.Match[str]) -> str:
    octal, hexa, char = match.groups()
    if octal is not None:
        return chr(int(octal, 8))
    if hexa is not None:
        return chr(int(hexa, 16))
    if char in _UNESCAPES:
        return _UNESCAPES[char]
    raise ValueError(f"invalid escape sequence '\\{char}'")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- writing


def render_po(catalog: PoFile) -> str:
    """The catalog as text: unchanged entries as read, changed and new ones rendered."""
    parts: list[str] = []
    for position, entry in enumerate(catalog.entries):
        leading = entry.leading if entry._source is not None else ("" if position == 0 else "\n")
        if parts and not parts[-1].endswith("\n"):
            parts.append("\n")
        parts.append(leading)
        unchanged = _unchanged_text(entry)
        parts.append(unchanged if unchanged is not None else render_entry(entry, catalog.wrap_width()))
    if parts and catalog.trailing and not parts[-1].endswith("\n"):
        parts.append("\n")
    parts.append(catalog.trailing)
    return "".join(parts)


def po_bytes(catalog: PoFile) -> bytes:
    """The rendered catalog encoded in its charset, with its line endings."""
    text = render_po(catalog)
    if catalog.newline != "\n":
        text = text.replace("\n", catalog.newline)
    data = text.encode(catalog.charset)
    return codecs.BOM_UTF8 + data if catalog.byte_order_mark else data


def write_po_file(path: Path, catalog: PoFile) -> bool:
    """Write the catalog atomically when its bytes differ; return True when written."""
    return write_if_changed(path, po_bytes(catalog))


def _unchanged_text(entry: PoEntry) -> str | None:
    """The entry's text as read, when nothing in it changed (nothing to wrap, no width needed)."""
    source = entry._source
    return source.text if source is not None and source.values == entry.block_values() else None


def render_entry(entry: PoEntry, width: int = WRAP_WIDTH) -> str:
    """One entry's text, ending with a newline (unless read without one and unchanged)."""
    source = entry._source
    values = entry.block_values()
    if source is not None and source.values == values:
        return source.text
    same_state = source is not None and source.values["obsolete"] == entry.obsolete
    lines: list[str] = []
    for block in _BLOCKS:
        if same_state and source is not None and source.values[block] == values[block]:
            lines.extend(source.blocks.get(block, []))
        else:
            lines.extend(_render_block(entry, block, width))
    return "".join(f"{line}\n" for line in lines)


def _render_block(entry: PoEntry, block: str, width: int) -> list[str]:
    wrap = width if NO_WRAP not in entry.flags else 0
    prefix = "#~ " if entry.obsolete else ""
    if block == "comments":
        return [f"# {text}" if text else "#" for text in entry.comments]
    if block == "extracted":
        return [f"#. {text}" if text else "#." for text in entry.extracted]
    if block == "references":
        # GNU's --no-wrap leaves strings whole but still fills "#:" lines to the page width.
        return render_references(entry.references, width or WRAP_WIDTH)
    if block == "flags":
        return [f"#, {', '.join(entry.flags)}"] if entry.flags else []
    if block == "previous":
        return _render_previous(entry, wrap)
    if block == "msgctxt":
        return [] if entry.msgctxt is None else wrap_string(prefix, "msgctxt", entry.msgctxt, wrap)
    if block == "msgid":
        return wrap_string(prefix, "msgid", entry.msgid, wrap)
    if block == "msgid_plural":
        if entry.msgid_plural is None:
            return []
        return wrap_string(prefix, "msgid_plural", entry.msgid_plural, wrap)
    if entry.msgid_plural is None:
        return wrap_string(prefix, "msgstr", entry.msgstr, wrap)
    lines = []
    for n in sorted(entry.msgstr_plural):
        lines.extend(wrap_string(prefix, f"msgstr[{n}]", entry.msgstr_plural[n], wrap))
    return lines


def _render_previous(entry: PoEntry, width: int) -> list[str]:
    prefix = "#~| " if entry.obsolete else "#| "
    lines = []
    for keyword in ("msgctxt", "msgid", "msgid_plural"):
        value = getattr(entry, f"previous_{keyword}")
        if value is not None:
            lines.extend(wrap_string(prefix, keyword, value, width))
    return lines


def render_references(references: list[str], width: int = WRAP_WIDTH) -> list[str]:
    """``#:`` lines holding as many references as fit in ``width`` columns."""
    lines: list[str] = []
    line, column = "#:", 2
    for reference in references:
        size = len(reference) + 1
        if column > 2 and column + size > width:
            lines.append(line)
            line, column = "#:", 2
        line += f" {reference}"
        column += size
    if column > 2:
        lines.append(line)
    return lines


def wrap_string(prefix: str, keyword: str, value: str, width: int = WRAP_WIDTH) -> list[str]:
    """``keyword "value"`` as GNU gettext writes it, wrapped at ``width`` (0: no wrapping)."""
    portions = _portions(value)
    lines: list[str] = []
    first_line = True
    # Room inside the quotes on continuation lines (GNU: page width - 1 - start column).
    room = width - 2 - len(prefix) if width else 1 << 30
    for index, portion in enumerate(portions):
        units = [_ESCAPES.get(char, char) for char in portion]
        escaped = "".join(units)
        allowed = _break_opportunities(escaped, units)
        if first_line:
            breaks = _line_breaks(escaped, allowed, room, len(keyword) + 1)
            if portion and (index < len(portions) - 1 or breaks):
                lines.append(f'{prefix}{keyword} ""')
                first_line = False
        start = len(keyword) + 1 if first_line else 0
        breaks = _line_breaks(escaped, allowed, room, start)
        pieces = [escaped[a:b] for a, b in zip([0, *breaks], [*breaks, len(escaped)], strict=True)]
        opening = f'{prefix}{keyword} "' if first_line else f'{prefix}"'
        lines.append(f'{opening}{pieces[0]}"')
        lines.extend(f'{prefix}"{piece}"' for piece in pieces[1:])
        first_line = False
    return lines


def _portions(value: str) -> list[str]:
    """``value`` cut after each newline; an empty string is one empty portion."""
    portions = re.findall(r"[^\n]*\n|[^\n]+$", value)
    return portions or [""]


def _break_opportunities(escaped: str, units: list[str]) -> list[bool]:
    """For each position of ``escaped``: may a line break go before it?

    Like GNU gettext, the escaped text is analysed (so ``\\"`` reads as a
    prefix sign and a quotation mark), but never broken inside an escape
    sequence or before a final ``\\n``.
    """
    allowed = [False] * len(escaped)
    candidates = _gnu_breakables(escaped)
    position = 0
    for unit in units:
        if position and candidates[position]:
            allowed[position] = True
        position += len(unit)
    if units and units[-1] == "\\n":
        allowed[position - 2] = False
    return allowed


# One character of each line-breaking class, to ask uniseg how pairs behave.
_REPRESENTATIVES = {
    "AL": "a", "B2": "\u2014", "BA": "|", "BB": "\u00b4", "BK": "\u2028", "CL": "}",
    "CM": "\u0301", "CP": ")", "EB": "\U0001f466", "EM": "\U0001f3fb", "EX": "!",
    "GL": "\u00a0", "H2": "\uac00", "H3": "\uac01", "HL": "\u05d0", "HY": "-",
    "ID": "\u4e2d", "IN": "\u2026", "IS": ",", "JL": "\u1100", "JT": "\u11a8",
    "JV": "\u1160", "NL": "\u0085", "NS": "\u3005", "NU": "1", "OP": "(", "PO": "%",
    "PR": "$", "QU": '"', "RI": "\U0001f1e6", "SP": " ", "SY": "/", "WJ": "\u2060",
    "ZW": "\u200b", "ZWJ": "\u200d", "OP_EA": "\u300c", "CP_EA": "\uff09",
}  # fmt: skip
# Classes UAX #14 resolves to others before pairing (LB1), plus CR/LF, which
# never reach the breaker because they are written as escapes.
_RESOLVED = {
    "AI": "AL", "AK": "AL", "AP": "AL", "AS": "AL", "CB": "AL", "SA": "AL", "SG": "AL",
    "VF": "AL", "VI": "AL", "XX": "AL", "CJ": "NS", "CR": "BK", "LF": "BK",
}  # fmt: skip
_DIRECT, _INDIRECT, _PROHIBITED = "D", "I", "P"


@functools.cache
def _line_class(char: str) -> str:
    from uniseg.linebreak import line_break  # only writing a catalog needs it; reading one does not

    name = str(line_break(char))
    if name in ("OP", "CP") and unicodedata.east_asian_width(char) in ("F", "W", "H"):
        return f"{name}_EA"  # wide brackets break differently next to letters (LB30)
    return _RESOLVED.get(name, name)


@functools.cache
def _pair_table() -> dict[tuple[str, str], str]:
    """How a break between two classes behaves: directly, only after spaces, or never.

    Derived from uniseg's UAX #14 implementation, then tailored to the older
    rules GNU gettext's line breaker (gnulib) applies: quotation marks stay
    attached to their neighbours (LB19 before Unicode 15.1, and LB15 ``QU SP*
    × OP``), prefix and postfix signs stay with brackets (LB25 before 15.1),
    and a full stop before a letter may break (no LB29). Following it keeps
    catalogs stable when translators also run ``msgmerge`` or ``msgcat``.
    """
    table = {}
    for before, left in _REPRESENTATIVES.items():
        for after, right in _REPRESENTATIVES.items():
            # After a letter, so that no start-of-text rule (LB20a) gets in the way.
            if _uniseg_breaks(f"a{left}{right}", 2):
                action = _DIRECT
            elif _uniseg_breaks(f"a{left} {right}", 3):
                action = _INDIRECT
            else:
                action = _PROHIBITED
            table[before, after] = action
    for other in _REPRESENTATIVES:
        for pair in (("QU", other), (other, "QU")):
            if table[pair] == _DIRECT:
                table[pair] = _INDIRECT
    table["QU", "OP"] = table["QU", "OP_EA"] = _PROHIBITED
    for sign in ("PR", "PO"):
        table[sign, "OP"] = table[sign, "OP_EA"] = _INDIRECT
        table["CL", sign] = table["CP", sign] = table["CP_EA", sign] = _INDIRECT
    table["IS", "AL"] = table["IS", "HL"] = _DIRECT
    return table


def _uniseg_breaks(text: str, position: int) -> bool:
    from uniseg.linebreak import line_break_boundaries

    return position in set(line_break_boundaries(text))


def _gnu_breakables(text: str) -> list[bool]:
    """Break opportunities before each position of ``text`` (pair-table algorithm of UAX #14)."""
    allowed = [False] * len(text)
    if not text:
        return allowed
    table = _pair_table()
    classes = [_line_class(char) for char in text]
    before = "WJ" if classes[0] == "SP" else classes[0]
    for i in range(1, len(text)):
        current = classes[i]
        after_space = classes[i - 1] == "SP"
        if current == "SP":
            continue
        if current in ("CM", "ZWJ"):
            if not after_space:
                continue  # a combining mark belongs to the character before it (LB9)
            current = "AL"  # ... unless it follows a space (LB10)
        action = table[before, current]
        allowed[i] = action == _DIRECT or (action == _INDIRECT and after_space)
        before = current
    return allowed


def _line_breaks(text: str, allowed: list[bool], width: int, start: int) -> list[int]:
    """Positions to break ``text`` at so lines fit ``width`` (gnulib's greedy algorithm)."""
    breaks: list[int] = []
    last_break: int | None = None
    last_column = start
    piece_width = 0
    for position, char in enumerate(text):
        if allowed[position]:
            if last_break is not None and last_column + piece_width > width:
                breaks.append(last_break)
                last_column = 0
            last_break = position
            last_column += piece_width
            piece_width = 0
        piece_width += char_width(char)
    if last_break is not None and last_column + piece_width > width:
        breaks.append(last_break)
    return breaks


def char_width(char: str) -> int:
    """Screen columns of one character, as GNU gettext counts them in UTF-8."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    if "\u1160" <= char <= "\u11ff":  # Hangul medial vowels and final consonants
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
