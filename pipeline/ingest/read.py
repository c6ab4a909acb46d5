"""Reading source documents: bytes → repaired Unicode text → numbered source lines.

Entry point: :func:`read_document`. It refuses what is not article text
(empty, binary, undecodable, enormous lines) with an
:class:`~pipeline.errors.IngestError`, detects the encoding (line by line in
a UTF-8 document with stray lines, else charset-normalizer on the whole),
repairs mojibake line by line (:mod:`pipeline.ingest.encodings`), drops
``<script>`` and ``<style>`` content wherever it stands, and turns each format
into the same list of :class:`SourceLine`:

* ``.txt``: one source line per line (hard-wrapped paragraphs are re-joined);
* ``.md``: block structure from markdown-it-py (headings, list items, block
  quotes, images), inline markup removed;
* ``.html``/``.htm``: the main content extracted by trafilatura (its
  boilerplate removal), with each block mapped back to its line in the file.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.errors import IngestError, SourceLocation
from pipeline.ingest.encodings import decode_lines, implausibility, repair_text

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 5_000_000
MAX_LINE_CHARS = 20_000
# A block at least this share of whose characters are link text is a block of links (hint "links").
LINK_DENSITY = 0.6
# Script and style elements: code, never text, in any format.
_CODE_ELEMENT = re.compile(r"<(script|style)\b([^>]*)>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Structured data about the page (JSON-LD: headline, date, publisher), kept in HTML for its metadata.
_PAGE_DATA = re.compile(r"type\s*=\s*[\"']?application/ld\+json", re.IGNORECASE)
# Characters that carry no text: C0/C1 controls (not tab/newline), zero-width marks, BOMs.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


@dataclass(frozen=True)
class SourceLine:
    """One line (or block) of a document's text and the 1-based line it starts on."""

    number: int
    text: str
    hint: str = ""  # from markup: "heading", "title", "item", "quote", "image", "links"; "" for plain text


@dataclass
class SourceDocument:
    """A document's text lines plus what its markup or metadata says about it."""

    path: Path
    shown: str  # the path as people see it
    format: str  # "text", "markdown" or "html"
    lines: list[SourceLine]
    title: str | None = None
    date: str | None = None
    publication: str | None = None
    url: str | None = None  # the page's own address, from its metadata
    notes: list[str] = field(default_factory=list)

    def error(self, message: str, line: int | None = None) -> IngestError:
        """An :class:`IngestError` about this document."""
        return IngestError(message, SourceLocation(self.shown, line))


def read_document(path: Path, shown: str) -> SourceDocument:
    """Read ``path`` (shown to people as ``shown``) into a :class:`SourceDocument`."""
    where = SourceLocation(shown)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})", where)
    data = _read_bytes(path, where)
    text, encoding = decode(data, where)
    repaired, repairs = repair_text(without_code(text, keep_page_data=suffix in (".html", ".htm")))
    notes = [note] if (note := repairs.note()) else []
    if encoding not in ("utf_8", "ascii"):
        notes.append(f"read as {encoding}")
    if suffix in (".html", ".htm"):
        document = _html_document(path, shown, repaired)
    elif suffix in (".md", ".markdown"):
        document = SourceDocument(path, shown, "markdown", markdown_lines(repaired))
    else:
        document = SourceDocument(path, shown, "text", text_lines(repaired))
    document.notes[:0] = notes
    _check_lines(document)
    return document


def _read_bytes(path: Path, where: SourceLocation) -> bytes:
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
            raise IngestError("not a regular file (a pipe, socket or device is never read)", where)
        size = status.st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(
                f"file is {size:,} bytes; an article is far smaller (limit {MAX_FILE_BYTES:,})",
                where,
            )
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise IngestError("is a folder, not a document", where) from exc
    except FileNotFoundError as exc:
        raise IngestError("no such file", where) from exc
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror}", where) from exc


def decode(data: bytes, where: SourceLocation) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read with; refuses binary data."""
    if not data.strip():
        raise IngestError("empty file", where)
    has_utf16_bom = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in data[:8192] and not has_utf16_bom:
        raise IngestError("binary file, not text (it contains NUL bytes)", where)
    try:
        return data.decode("utf-8-sig"), "utf_8"
    except UnicodeDecodeError:
        pass
    by_lines = decode_lines(data) if not has_utf16_bom else None
    best = charset_normalizer.from_bytes(data).best()
    if by_lines is not None and (best is None or implausibility(by_lines[0]) <= implausibility(str(best))):
        text, counts = by_lines
        stray = ", ".join(f"{count} line(s) as {name}" for name, count in sorted(counts.items()))
        return text, f"utf_8 with {stray}"
    if best is None:
        raise IngestError("cannot tell the text encoding (not UTF-8, and no other fits)", where)
    text = str(best)
    controls = sum(1 for ch in text if _is_control(ch))
    if controls > max(2, len(text) // 100):
        raise IngestError(f"binary file, not text ({controls} control characters)", where)
    return text, best.encoding


def is_link_block(text: str, link_share: float) -> bool:
    """A block of links: mostly link text, and not a sentence (a sentence quoting its source as a link is text)."""
    stripped = text.rstrip().rstrip("\"'”’)]»")
    sentence = bool(stripped) and stripped[-1] in ".!?…" and len(text.split()) >= 12
    return link_share >= LINK_DENSITY and not sentence


def without_code(text: str, keep_page_data: bool = False) -> str:
    """``text`` with every ``<script>``/``<style>`` element emptied, its line breaks kept.

    With ``keep_page_data`` (HTML), JSON-LD blocks stay: the metadata reader
    takes the date and publisher from them, and the text extractor never
    returns script content.
    """

    def emptied(found: re.Match[str]) -> str:
        if keep_page_data and found.group(1).lower() == "script" and _PAGE_DATA.search(found.group(2)):
            return found.group()
        return "\n" * found.group().count("\n")

    return _CODE_ELEMENT.sub(emptied, text)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f"


def clean_text(text: str) -> str:
    """One line of text with invisible characters removed and spaces folded."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def text_lines(text: str) -> list[SourceLine]:
    """Numbered lines of plain text; hard-wrapped paragraphs are joined into one line."""
    raw = [clean_text(line) for line in text.splitlines()]
    lines = [_quoted(number, line) for number, line in enumerate(raw, 1)]
    return _unwrap(lines) if _is_hard_wrapped(raw) else lines


def _quoted(number: int, text: str) -> SourceLine:
    """A line, with an e-mail style '> ' quotation mark turned into a hint."""
    if text.startswith(">"):
        return SourceLine(number, text.lstrip("> "), "quote")
    return SourceLine(number, text)


def _is_hard_wrapped(lines: list[str]) -> bool:
    """True when most lines stop near one width, as in text wrapped at ~72 columns."""
    lengths = [len(line) for line in lines if len(line) >= 30]
    if len(lengths) < 6:
        return False
    width = max(lengths)
    if width > 100:
        return False
    near = sum(1 for n in lengths if n >= width - 20)
    return near >= 0.6 * len(lengths)


def _unwrap(lines: list[SourceLine]) -> list[SourceLine]:
    joined: list[SourceLine] = []
    for line in lines:
        previous = joined[-1] if joined else None
        if previous and previous.text and line.text and not _starts_block(line.text):
            joined[-1] = SourceLine(previous.number, f"{previous.text} {line.text}")
        else:
            joined.append(line)
    return joined


def _starts_block(text: str) -> bool:
    return bool(re.match(r"(?:[-*•–—>]|\d{1,2}[.)])\s", text))


def markdown_lines(text: str) -> list[SourceLine]:
    """Block-level text of a Markdown document, with hints from its structure."""
    tokens = MarkdownIt("commonmark").parse(text)
    lines: list[SourceLine] = []
    context: list[str] = []
    for i, token in enumerate(tokens):
        if token.nesting == 1 and token.type in ("blockquote_open", "list_item_open"):
            context.append(token.type)
        elif token.nesting == -1 and token.type in ("blockquote_close", "list_item_close"):
            context.pop()
        elif token.type == "inline" and token.map:
            opener = tokens[i - 1].type if i else ""
            hint = _markdown_hint(opener, tokens[i - 1].tag if i else "", context)
            body, images, link_share = _inline_text(token)
            number = token.map[0] + 1
            if images and not body.strip():
                lines.append(SourceLine(number, clean_text(" ".join(images)), "image"))
            elif body.strip():
                hint = "links" if hint != "title" and is_link_block(body, link_share) else hint
                lines.append(SourceLine(number, clean_text(body.replace("\n", " ")), hint))
            lines.append(SourceLine(token.map[1] + 1, ""))
        elif token.type in ("fence", "code_block", "html_block", "hr") and token.map:
            lines.append(SourceLine(token.map[1] + 1, ""))
    return lines


def _markdown_hint(opener: str, tag: str, context: list[str]) -> str:
    if opener == "heading_open":
        return "title" if tag == "h1" else "heading"
    if "list_item_open" in context:
        return "item"
    if "blockquote_open" in context:
        return "quote"
    return ""


def _inline_text(token: Token) -> tuple[str, list[str], float]:
    """The block's text, its pictures' descriptions, and the share of its text inside links."""
    parts: list[str] = []
    images: list[str] = []
    linked = 0
    depth = 0
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
            linked += len(child.content.strip()) if depth else 0
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            images.append(child.content or "")
        elif child.type in ("link_open", "link_close"):
            depth += 1 if child.type == "link_open" else -1
    text = "".join(parts)
    return text, images, linked / len(text.strip()) if text.strip() else 0.0


def _html_document(path: Path, shown: str, html: str) -> SourceDocument:
    from pipeline.ingest.html import extract_html

    return extract_html(path, shown, html)


def _check_lines(document: SourceDocument) -> None:
    for line in document.lines:
        if len(line.text) > MAX_LINE_CHARS:
            raise document.error(
                f"line is {len(line.text):,} characters long (limit {MAX_LINE_CHARS:,}): not article text",
                line.number,
            )
    if not any(line.text for line in document.lines):
        raise document.error("no text in the document")
