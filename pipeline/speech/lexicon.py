"""Pronunciation lexicons: how a voice says words it would otherwise get wrong.

Entry points: :func:`load_lexicon` and :class:`Lexicon`. A language's lexicon
is the built-in table ``pipeline/speech/data/<lang>_lexicon.yaml`` merged with
the project's ``locales/<lang>/lexicon.yaml``, whose entries win. Both files
have the same form, editable by translators::

    # word: spoken form                  comments are allowed anywhere
    UN: 유엔                              # whole words only: 'UN' does not match 'UNESCO'
    K-pop: 케이팝                         # matches K-pop, K-Pop, k-pop …
    US: {say: 미국}                       # … but a word in capitals matches only in capitals
    Parasite: {say: 패러사이트, case: exact}  # case: exact|any overrides that rule
    Crash Landing on You: {lang: en}      # read as written by the English voice
    pronounce:                            # Korean only: how words are said, syllable for syllable
      의견란: 의견난                      # where the standard pronunciation rules get it wrong

Korean words (Hangul or hanja) match whole words, optionally followed by a
particle (``유엔은``). Spoken forms are read as written: no digits, and for a
Korean voice no Latin letters (route such words to English with ``lang: en``).
The ``pronounce:`` list (Korean lexicons only; the key is reserved there) is
read by :mod:`pipeline.speech.pronounce` after normalisation: written Hangul
word → Hangul as it is said, with as many syllables.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SourceLocation, ValidationFailed, display_path
from pipeline.project.layout import lexicon_path
from pipeline.project.schema import Checker, type_name
from pipeline.project.station import PRONOUNCING_LANGUAGES
from pipeline.project.yamlsource import LocatedDocument, load_located, parse_located, read_text
from pipeline.speech.charsets import ASCII_ALNUM, HANGUL, HANJA
from pipeline.speech.rules import alternation, data_path, load_rules

SPEAKING_LANGUAGES = ("ko", "en")  # languages with a normaliser and a voice to route words to
CASE_RULES = ("exact", "any")
ENTRY_KEYS = ("say", "case", "lang")
PRONOUNCE_KEY = "pronounce"  # in a Korean lexicon: written word → how it is said (not a word entry)
_HANGUL_WORD = re.compile(f"[{HANGUL}]+")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class LexiconEntry:
    """One word of a lexicon: how it is written, said, by which voice, and where it is defined."""

    written: str
    spoken: str
    lang: str
    exact_case: bool = False
    location: SourceLocation | None = None


@dataclass
class Lexicon:
    """Written word → spoken form for one language (built-in table merged with the project's).

    ``entries`` may be given as plain ``{written: spoken}`` text; it is turned
    into :class:`LexiconEntry` values. Treat a lexicon as read-only once used:
    its matcher is built on first use, and :func:`load_lexicon` gives every
    caller of the same file's text the same lexicon.
    """

    lang: str
    entries: dict[str, LexiconEntry] = field(default_factory=dict)
    pronunciations: dict[str, str] = field(default_factory=dict)  # written word → as said (Korean)

    def __post_init__(self) -> None:
        self.entries = {written: _as_entry(written, value, self.lang) for written, value in self.entries.items()}

    def lookup(self, word: str) -> LexiconEntry | None:
        """The entry for ``word`` (spaces tidied), honouring each entry's case rule."""
        word = " ".join(word.split())
        entry = self.entries.get(word)
        if entry is not None:
            return entry
        return self._folded.get(word.casefold())

    def merged(self, overrides: Lexicon) -> Lexicon:
        """This lexicon with ``overrides``' entries added; an override replaces the same word."""
        kept = {
            written: entry
            for written, entry in self.entries.items()
            if not any(_collide(entry, other) for other in overrides.entries.values())
        }
        return Lexicon(self.lang, {**kept, **overrides.entries}, {**self.pronunciations, **overrides.pronunciations})

    @functools.cached_property
    def _folded(self) -> dict[str, LexiconEntry]:
        return {w.casefold(): e for w, e in self.entries.items() if not e.exact_case}

    @functools.cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """A pattern matching any entry as a whole word, longest first; None when empty."""
        if not self.entries:
            return None
        ordered = sorted(self.entries.values(), key=lambda e: (-len(e.written), e.written))
        alternatives = "|".join(_run_pattern(run) for run in _boundary_runs(ordered))
        return re.compile(f"{_first_letter_guard(ordered)}(?:{alternatives})")


def _as_entry(written: str, value: LexiconEntry | str, lang: str) -> LexiconEntry:
    if isinstance(value, LexiconEntry):
        return value
    return LexiconEntry(written, value, lang, exact_case=_capitals_only(written))


def _capitals_only(written: str) -> bool:
    letters = [ch for ch in written if ch.isalpha() and ch.isascii()]
    return len(letters) > 1 and all(ch.isupper() for ch in letters)


def _first_letter_guard(entries: list[LexiconEntry]) -> str:
    """Where an entry can start (its left boundary, then one of the letters it starts with), as
    one cheap test: the long alternation after it is only tried where this holds."""
    firsts: dict[str, tuple[set[str], set[str]]] = {}
    for entry in entries:
        first = entry.written.split()[0][0]
        exact, folded = firsts.setdefault(_left_boundary(first), (set(), set()))
        (exact if entry.exact_case else folded).add(first)
    starts = []
    for boundary, (exact, folded) in sorted(firsts.items()):
        letters = [f"[{re.escape(''.join(sorted(exact)))}]"] if exact else []
        if folded:
            letters.append(f"(?i:[{re.escape(''.join(sorted(folded)))}])")
        starts.append(f"{boundary}(?={'|'.join(letters)})")
    return f"(?:{'|'.join(starts)})"


def _boundary_runs(ordered: list[LexiconEntry]) -> Iterator[list[LexiconEntry]]:
    """Neighbouring entries (in matching order) with the same boundaries on both sides."""
    for _, run in itertools.groupby(ordered, key=_boundaries):
        yield list(run)


def _boundaries(entry: LexiconEntry) -> tuple[str, str]:
    return _left_boundary(entry.written[0]), _right_boundary(entry.written[-1])


def _run_pattern(run: list[LexiconEntry]) -> str:
    """``left(?:a|b|c)right`` for entries that share their boundaries: the same matches, in the
    same order, as ``left a right|left b right|left c right`` (the boundaries are assertions), but
    each boundary is compiled once, not once per entry: a Korean word's right boundary holds
    every particle, and compiling the lexicons' patterns took 0.04 s of a build's process."""
    left, right = _boundaries(run[0])
    return f"{left}(?:{'|'.join(_entry_body(entry) for entry in run)}){right}"


def _entry_body(entry: LexiconEntry) -> str:
    words = [re.escape(word) for word in entry.written.split()]
    body = r"\s+".join(words)
    return body if entry.exact_case else f"(?i:{body})"


def _left_boundary(first: str) -> str:
    if re.match(f"[{ASCII_ALNUM}]", first):
        return f"(?<![{ASCII_ALNUM}])"
    if re.match(f"[{HANGUL}]", first):
        return f"(?<![{HANGUL}])"
    if re.match(f"[{HANJA}]", first):
        return f"(?<![{HANJA}])"
    return ""


def _right_boundary(last: str) -> str:
    if re.match(f"[{ASCII_ALNUM}]", last):
        return f"(?![{ASCII_ALNUM}])"
    if re.match(f"[{HANGUL}]", last):
        particles = alternation(load_rules("ko_rules")["particles"])
        return f"(?=(?:{particles})?(?![{HANGUL}]))"
    if re.match(f"[{HANJA}]", last):
        return f"(?![{HANJA}])"
    return ""


def load_lexicon(project_root: Path | None, lang: str) -> Lexicon:
    """The lexicon for ``lang``: built-in entries overridden by ``locales/<lang>/lexicon.yaml``.

    Raises :class:`~pipeline.errors.ValidationFailed` listing every problem of
    an invalid file, each with its ``file:line``.
    """
    if project_root is None:
        return builtin_lexicon(lang)
    path = lexicon_path(project_root, lang)
    if not path.exists():
        return builtin_lexicon(lang)
    shown = display_path(path, project_root)
    return _project_lexicon(lang, shown, read_text(path, shown))


@functools.lru_cache(maxsize=16)
def _project_lexicon(lang: str, shown: str, text: str) -> Lexicon:
    """The built-in lexicon with a project's file (its text, claimed to come from ``shown``)
    merged in; made once per text: a build reads each language's lexicon for its speech and
    again for each catalog's checks, and the English one for every language's speech."""
    return builtin_lexicon(lang).merged(LexiconReader(parse_located(text, shown), lang).read())


@functools.cache
def builtin_lexicon(lang: str) -> Lexicon:
    """The lexicon shipped with the pipeline for ``lang`` (empty when there is none)."""
    path = data_path(f"{lang}_lexicon")
    if not path.exists():
        return Lexicon(lang)
    return LexiconReader(load_located(path, f"pipeline/speech/data/{path.name}"), lang).read()


class LexiconReader:
    """Validates one lexicon document; collects every problem before failing."""

    def __init__(self, document: LocatedDocument, lang: str) -> None:
        self.doc = document
        self.lang = lang
        self.check = Checker(document)

    def read(self) -> Lexicon:
        """The validated lexicon; raises ValidationFailed on any problem."""
        data = self.doc.data if self.doc.data is not None else {}
        if not isinstance(data, dict):
            self.check.fail((), f"expected 'word: spoken form' lines, got {type_name(data)}")
            raise ValidationFailed(self.check.problems)
        entries: dict[str, LexiconEntry] = {}
        pronunciations: dict[str, str] = {}
        for written, value in data.items():
            if written == PRONOUNCE_KEY and self.lang in PRONOUNCING_LANGUAGES:
                pronunciations = self._pronunciations(value)
                continue
            entry = self._entry(written, value)
            if entry is None:
                continue
            clash = next((e for e in entries.values() if _collide(e, entry)), None)
            if clash is not None:
                self.check.fail_key(
                    (written,),
                    f"'{written}' is already listed as '{clash.written}' (case is ignored)",
                )
                continue
            entries[written] = entry
        if self.check.problems:
            raise ValidationFailed(self.check.problems)
        return Lexicon(self.lang, entries, pronunciations)

    def _pronunciations(self, value: Any) -> dict[str, str]:
        """The ``pronounce:`` list: Hangul word → Hangul as said, syllable for syllable."""
        path: tuple[str, ...] = (PRONOUNCE_KEY,)
        table = self.check.table(path, value if value is not None else {})
        pronunciations: dict[str, str] = {}
        for written, said in (table or {}).items():
            where = (*path, str(written))
            if not isinstance(written, str) or not _HANGUL_WORD.fullmatch(written):
                self.check.fail_key(where, f"write the word in Hangul without spaces, got {written!r}")
                continue
            spoken = self.check.string(where, said)
            if spoken is None:
                continue
            if not _HANGUL_WORD.fullmatch(spoken):
                self.check.fail(where, f"write how '{written}' is said in Hangul without spaces, got {spoken!r}")
            elif len(spoken) != len(written):
                self.check.fail(
                    where,
                    f"'{spoken}' has {len(spoken)} syllables, '{written}' has {len(written)}: "
                    "give the pronunciation syllable for syllable",
                )
            else:
                pronunciations[written] = spoken
        return pronunciations

    def _entry(self, written: str, value: Any) -> LexiconEntry | None:
        path = (written,)
        if not written.strip() or written != " ".join(written.split()):
            self.check.fail_key(path, "a word must not be empty or have extra spaces")
            return None
        if isinstance(value, str):
            value = {"say": value}
            say_path: tuple[str, ...] = path
        elif isinstance(value, dict):
            say_path = (*path, "say")
        else:
            self.check.fail(
                path,
                f"expected the spoken form or {{say: …, case: …, lang: …}}, got {type_name(value)}",
            )
            return None
        spec = self.check.mapping(path, value, optional=ENTRY_KEYS)
        if spec is None:
            return None
        if "say" not in spec and "lang" not in spec:
            self.check.fail(path, "give 'say' (the spoken form) or 'lang' (the voice that reads it)")
            return None
        case = self.check.choice(
            (*path, "case"),
            spec.get("case", "exact" if _capitals_only(written) else "any"),
            CASE_RULES,
        )
        lang = self.check.choice((*path, "lang"), spec.get("lang", self.lang), SPEAKING_LANGUAGES)
        spoken = self.check.string(say_path, spec.get("say", written))
        if case is None or lang is None or spoken is None:
            return None
        if not self._speakable(say_path, spoken, lang):
            return None
        return LexiconEntry(written, " ".join(spoken.split()), lang, case == "exact", self.doc.at_key(path))

    def _speakable(self, path: tuple[str, ...], spoken: str, lang: str) -> bool:
        if _DIGIT.search(spoken):
            self.check.fail(path, f"write numbers in words in the spoken form, got {spoken!r}")
            return False
        if lang == "ko" and _LATIN_OR_DIGIT.search(spoken):
            self.check.fail(
                path,
                f"the Korean voice cannot read Latin letters in {spoken!r}: "
                "write it in Hangul, or add 'lang: en' to have the English voice read it",
            )
            return False
        return True


def _matches(entry: LexiconEntry, word: str) -> bool:
    if entry.exact_case:
        return entry.written == word
    return entry.written.casefold() == word.casefold()


def _collide(first: LexiconEntry, second: LexiconEntry) -> bool:
    """True when either entry would match the other's word."""
    return _matches(first, second.written) or _matches(second, first.written)
