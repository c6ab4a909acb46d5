"""Encodings: bytes decoded line by line, and mis-decodings repaired line by line.

Entry points: :func:`decode_lines` and :func:`repair_text`.

* :func:`decode_lines` reads a document that is UTF-8 except for a few lines
  (a Latin-1 line pasted into a UTF-8 page, a line of EUC-KR) one line at a
  time: UTF-8 lines stay UTF-8, and each other line is read with the code
  page that gives the most plausible text. Guessing one encoding for the whole
  file would turn every UTF-8 line into mojibake instead (charset-normalizer
  calls such a file ``mac_latin2`` or ``cp1257``, measured).
* :func:`repair_text` undoes mojibake on each line: ftfy for the code pages it
  knows (Windows-1250…1254/1257, Latin-1, MacRoman, CP437), then the
  single-byte code pages it does not cover (Windows-874 ``โ€™`` for ``’``,
  Hebrew, Arabic, Vietnamese, Cyrillic KOI8/DOS/ISO, Greek): characters are
  encoded back to the bytes they were read from and any UTF-8 sequence among
  those bytes is decoded, when the result is a character a document plausibly
  holds. (ftfy 6.3 returns ``Itโ€™s`` unchanged, measured; its code pages are
  fixed names inside it, so the others are added here rather than to it.)
  Measured cost: about 1.5 s for 0.4 MB of text in which every third line is
  Windows-874 mojibake, 0.6 s for 0.4 MB without any.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import ftfy
from ftfy.badness import badness

FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_line_breaks=True,
    fix_character_width=False,
    normalization="NFC",
    explain=False,
)
# Code pages tried for a line that is not UTF-8, in order of preference on a tie.
LINE_ENCODINGS = ("cp1252", "cp949", "cp1251", "shift_jis", "big5")
# Single-byte code pages ftfy does not repair, then those it does. Undefined bytes read as Windows-1252
# (then Latin-1) would, as the programs that make such mojibake do.
REPAIR_CODE_PAGES = (
    "cp874",
    "tis_620",
    "cp1255",
    "cp1256",
    "cp1258",
    "koi8_r",
    "koi8_u",
    "cp866",
    "iso8859_5",
    "mac_cyrillic",
    "iso8859_7",
    "cp737",
    "cp862",
    "iso8859_8",
    # ftfy's own, for the lines its heuristics leave alone (measured: "ā€œ" from Windows-1257).
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1257",
    "mac_roman",
    "cp437",
)
_COMMON_SYMBOLS = frozenset("©®°™")  # symbols articles do use
_LETTERS = re.compile(r"[^\W\d_]+")
_NON_ASCII_PAIR = re.compile(r"[^\x00-\x7f]{2}")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# Where the characters a mis-decoded UTF-8 sequence stood for plausibly live:
# Latin-1 and Latin Extended, Greek and Cyrillic, punctuation, currency,
# letterlike symbols (™), CJK punctuation, Hangul, CJK ideographs, full-width forms.
_PLAUSIBLE = (
    (0x00A0, 0x024F),
    (0x0370, 0x04FF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x3000, 0x303F),
    (0x3130, 0x318F),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xFF00, 0xFFEF),
)


@dataclass
class Repairs:
    """What :func:`repair_text` changed: lines repaired, by the code page undone."""

    lines: int = 0
    by_code_page: Counter[str] = field(default_factory=Counter)

    def note(self) -> str | None:
        """One sentence for the producer, or None when nothing was repaired."""
        if not self.lines:
            return None
        pages = ", ".join(f"{name} {count}" for name, count in sorted(self.by_code_page.items()))
        return f"repaired broken characters (mojibake) on {self.lines} line(s) ({pages})"


def decode_lines(data: bytes) -> tuple[str, dict[str, int]] | None:
    """``data`` read line by line when most of it is UTF-8; None when it is not.

    Returns the text and how many lines each encoding read; None when no
    line holds non-ASCII UTF-8 (then nothing suggests UTF-8 at all).
    """
    lines = data.split(b"\n")
    if not any(not line.isascii() and _is_utf8(line) for line in lines):
        return None
    counts: Counter[str] = Counter()
    decoded = []
    for line in lines:
        if _is_utf8(line):
            decoded.append(line.decode("utf-8"))
            continue
        text, encoding = _best_line_decoding(line)
        counts[encoding] += 1
        decoded.append(text)
    return "\n".join(decoded).removeprefix("\ufeff"), dict(counts)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _best_line_decoding(line: bytes) -> tuple[str, str]:
    """The most plausible reading of one line among :data:`LINE_ENCODINGS`."""
    readings = []
    for rank, encoding in enumerate(LINE_ENCODINGS):
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError:
            continue
        readings.append((implausibility(text), rank, text, encoding))
    if not readings:
        return line.decode("cp1252", errors="replace"), "cp1252"
    _, _, text, encoding = min(readings)
    return text, encoding


def implausibility(text: str) -> float:
    """How unlike real text ``text`` is: mojibake patterns, controls, rare symbols, mixed-script words."""
    score = 3.0 * badness(text)
    for ch in text:
        if ch.isascii():
            continue
        category = unicodedata.category(ch)
        if category[0] == "C":
            score += 5
        elif (
            (category == "So" and ch not in _COMMON_SYMBOLS) or "\u2500" <= ch <= "\u257f" or "\u4e00" <= ch <= "\u9fff"
        ):
            score += 1  # symbols, box drawing, ideographs: rare in articles read as the wrong code page
    for word in _LETTERS.findall(text):
        if not word.isascii() and len({_script(ch) for ch in word}) > 1:
            score += 2
    return score


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"


def repair_text(text: str) -> tuple[str, Repairs]:
    """``text`` with mojibake undone line by line, and what was repaired."""
    repairs = Repairs()
    out = []
    for line in text.split("\n"):
        fixed, used = repair_line(line)
        if used:
            repairs.lines += 1
            repairs.by_code_page.update(used)
        out.append(fixed)
    return "\n".join(out), repairs


def repair_line(line: str) -> tuple[str, list[str]]:
    """``line`` repaired, and the repairs made ("ftfy" or a code page), in order.

    Each round tries ftfy and every code page on the line as it stands and
    keeps the reading that looks most like real text (the shorter on a tie: a
    complete repair folds more characters); a line can hold mojibake of two
    kinds, so a few rounds are made.
    """
    used: list[str] = []
    for _ in range(3):
        if line.isascii():
            break
        changed = [(rank, name, text) for rank, (name, text) in enumerate(_readings(line)) if text != line]
        if not changed:
            break
        score, _, _, name, best = min(
            (implausibility(text), len(text), rank, name, text) for rank, name, text in changed
        )
        current = implausibility(line)
        if score > current or (score == current and len(best) >= len(line)):
            break
        line = best
        used.append(name)
    return line, used


def _readings(line: str) -> list[tuple[str, str]]:
    readings = [("ftfy", ftfy.fix_text(line, config=FTFY_CONFIG))]
    if _NON_ASCII_PAIR.search(line):  # a multi-byte character mis-read is two characters or more
        readings += [(name, undo_code_page(line, name)) for name in REPAIR_CODE_PAGES]
    return readings


def undo_code_page(line: str, name: str) -> str:
    """``line`` with each UTF-8 sequence mis-read as code page ``name`` decoded again."""
    table = _encoding_table(name)
    if _lead_characters(name).isdisjoint(line):
        return line  # no character stands for a byte that starts a UTF-8 sequence
    out: list[str] = []
    start = 0
    for found in _high_run(name).finditer(line):
        out += [line[start : found.start()], _undo_run(found, table)]
        start = found.end()
    out.append(line[start:])
    return "".join(out)


def _undo_run(run: re.Match[str], table: dict[str, int]) -> str:
    """One run of high-byte characters of a code page, its UTF-8 sequences decoded."""
    chars = run.group()
    if len(chars) < 2 or not _looks_broken(run):
        return chars
    data = bytes(table[ch] for ch in chars)
    out: list[str] = []
    done = 0
    for found in _UTF8_SEQUENCE.finditer(data):
        try:
            character = found.group().decode("utf-8")
        except UnicodeDecodeError:
            continue  # the shape of a sequence, but overlong or a surrogate: not UTF-8
        if not _plausible(character):
            continue
        out += [chars[done : found.start()], character]
        done = found.end()
    out.append(chars[done:])
    return "".join(out)


def _looks_broken(run: re.Match[str]) -> bool:
    """Mojibake, not real text in the code page's script.

    Mojibake mixes the code page's letters with the punctuation its bytes
    0x80–0xBF stand for (``โ€™``), sticks to a Latin word (``sellerтАЩs``),
    switches from small to capital letters inside a word (``тАФ``), or is a
    scrap of another script in a line written in Latin letters (``ยฉ 2024
    The Courier`` for ``© 2024``); a run of one script's letters standing
    alone, written normally, in a line of that script, is real text.
    """
    chars, line = run.group(), run.string
    kinds = {_kind(ch) for ch in chars}
    if len(kinds) > 1:
        return True
    around = line[run.start() - 1 : run.start()] + line[run.end() : run.end() + 1]
    if any(ch.isascii() and ch.isalpha() for ch in around):
        return True
    if any(a.islower() and b.isupper() for a, b in itertools.pairwise(chars)):
        return True
    return kinds != {"LATIN"} and _mostly_latin(line[: run.start()] + line[run.end() :])


def _mostly_latin(text: str) -> bool:
    """Three quarters of the letters (at least four) are Latin."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if ch.isascii() or _script(ch) == "LATIN")
    return len(letters) >= 4 and latin >= 0.75 * len(letters)


def _kind(ch: str) -> str:
    return _script(ch) if ch.isalpha() else "SYMBOL"


def _plausible(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _PLAUSIBLE) and unicodedata.category(ch)[0] != "C"


@functools.cache
def _lead_characters(name: str) -> frozenset[str]:
    """The characters code page ``name`` reads the bytes 0xC2–0xF4 as (a UTF-8 sequence starts with one)."""
    return frozenset(ch for ch, byte in _encoding_table(name).items() if 0xC2 <= byte <= 0xF4)


@functools.cache
def _high_run(name: str) -> re.Pattern[str]:
    """A run of the characters code page ``name`` reads the bytes 0x80–0xFF as."""
    return re.compile(f"[{re.escape(''.join(_encoding_table(name)))}]+")


@functools.cache
def _encoding_table(name: str) -> dict[str, int]:
    """Character → byte (0x80–0xFF) of code page ``name``; its gaps filled from Windows-1252, then Latin-1."""
    table: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        for codec in (name, "cp1252", "latin-1"):
            try:
                ch = bytes([byte]).decode(codec)
            except UnicodeDecodeError:
                continue
            table.setdefault(ch, byte)
            break
    return table
