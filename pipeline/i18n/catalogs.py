"""Where catalogs live, compiling them into the build cache, and translation lookups.

Entry points: :func:`po_path`, :func:`compile_if_stale`, :func:`compile_catalog`
and :class:`Translator`.

Layout (gettext's own): ``locales/<lang>/LC_MESSAGES/<domain>.po`` edited by
translators, ``locales/templates/<domain>.pot`` written by extraction, and
compiled ``.mo`` files in ``.cache/mo/<lang>/<domain>.mo``, rebuilt when the
``.po`` content changes. A :class:`Translator` never falls back to the source
text for a target language: a missing, empty or fuzzy translation comes back
as a :class:`Lookup` without text, saying why and where.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.support import Translations

from pipeline.errors import CatalogInvalid, Problem, SourceLocation, display_path
from pipeline.fsutil import atomic_write_bytes, atomic_write_text
from pipeline.i18n.formats import placeholder_mismatch
from pipeline.i18n.merge import plural_count
from pipeline.i18n.pofile import PoEntry, PoFile, read_po_file
from pipeline.project.layout import MO_CACHE_DIR, po_path
from pipeline.text.characters import MAX_LENGTH_RATIO, MAX_TEXT_CHARACTERS, MIN_EXCESS_SECONDS, unsafe_characters
from pipeline.text.durations import estimate_seconds

# "refused": the translation exists but the template cannot take it (``detail`` says why).
LookupStatus = Literal["source", "translated", "fuzzy", "untranslated", "missing", "invalid", "refused"]


def mo_path(root: Path, lang: str, domain: str) -> Path:
    """The compiled catalog in the build cache."""
    return root / MO_CACHE_DIR / lang / f"{domain}.mo"


def compile_if_stale(root: Path, lang: str, domain: str, use_fuzzy: bool = False) -> Path | None:
    """Compile the .po into the cache when its content changed; None when there is no .po."""
    source = po_path(root, lang, domain)
    if not source.exists():
        return None
    target = mo_path(root, lang, domain)
    stamp = target.with_suffix(".mo.src")
    if target.exists() and stamp.exists() and stamp.read_text() == _digest(source, use_fuzzy):
        return target
    compile_into_cache(root, lang, domain, use_fuzzy, leave_out_invalid=True)
    return target


def compile_into_cache(
    root: Path, lang: str, domain: str, use_fuzzy: bool = False, leave_out_invalid: bool = False
) -> CompileResult:
    """Compile one catalog into the build cache now, and remember what it was made from."""
    source = po_path(root, lang, domain)
    target = mo_path(root, lang, domain)
    result = compile_catalog(source, target, root, use_fuzzy, leave_out_invalid)
    atomic_write_text(target.with_suffix(".mo.src"), _digest(source, use_fuzzy))
    return result


def _digest(source: Path, use_fuzzy: bool) -> str:
    return hashlib.sha256(source.read_bytes() + (b"\0fuzzy" if use_fuzzy else b"")).hexdigest()


@dataclass(frozen=True)
class CompileResult:
    """What went into one compiled catalog."""

    target: Path
    compiled: int
    fuzzy_left_out: int
    untranslated: int


def compile_catalog(
    source: Path,
    target: Path,
    root: Path | None = None,
    use_fuzzy: bool = False,
    leave_out_invalid: bool = False,
) -> CompileResult:
    """Write ``source`` (.po) as ``target`` (.mo); refuse, listing every problem, if it is broken.

    Left out, as GNU msgfmt does: untranslated entries (any empty msgstr),
    obsolete ones, and fuzzy ones unless ``use_fuzzy``. Refused: an included
    translation whose placeholders differ from its source's, or whose plural
    forms do not match the header's ``nplurals`` (Babel would write both).
    A build compiles with ``leave_out_invalid``: such entries are left out
    instead (their segments are then reported, and nothing else is held up).
    """
    catalog = read_po_file(source, root)
    problems = compile_problems(catalog, use_fuzzy)
    if problems and not leave_out_invalid:
        raise CatalogInvalid(problems)
    invalid = {problem.location.line for problem in problems}
    included, fuzzy, untranslated = [], 0, 0
    for entry in catalog.messages():
        if not entry.translated:
            untranslated += 1
        elif entry.fuzzy and not use_fuzzy:
            fuzzy += 1
        elif entry.msgstr_line not in invalid:
            included.append(entry)
    header = catalog.header.msgstr if catalog.header is not None else ""
    # As GNU msgfmt does: a new template date alone does not change the compiled file.
    header = "".join(line for line in header.splitlines(keepends=True) if not line.startswith("POT-Creation-Date:"))
    buffer = io.BytesIO()
    write_mo(buffer, _MoCatalog(header, included, catalog.charset))
    atomic_write_bytes(target, buffer.getvalue())
    return CompileResult(target, len(included), fuzzy, untranslated)


def compile_problems(catalog: PoFile, use_fuzzy: bool = False) -> list[Problem]:
    """Why entries that would be compiled would break at render time."""
    problems = []
    nplurals = plural_count(catalog)
    for entry in catalog.messages():
        if not entry.translated or (entry.fuzzy and not use_fuzzy):
            continue
        where = SourceLocation(catalog.path, entry.msgstr_line)
        if entry.msgid_plural is not None and len(entry.msgstr_plural) != nplurals:
            problems.append(
                Problem(
                    where,
                    f"{len(entry.msgstr_plural)} plural forms, but the header says nplurals={nplurals}",
                )
            )
        for translation in entry.translations:
            mismatch = placeholder_mismatch(entry, translation)
            if mismatch:
                problems.append(Problem(where, f"placeholders: {mismatch}"))
                break
    return problems


class _MoCatalog(Catalog):
    """A Babel catalog whose header is written exactly as the .po has it.

    Babel rebuilds the header from the fields it knows and drops the others
    (``X-`` fields included); ``write_mo`` only iterates, so the header entry
    is replaced here.
    """

    def __init__(self, header: str, entries: list[PoEntry], charset: str) -> None:
        super().__init__(charset=charset)
        self._header_text = header
        for entry in entries:
            if entry.msgid_plural is None:
                self.add(entry.msgid, entry.msgstr, context=entry.msgctxt)
            else:
                self.add(
                    (entry.msgid, entry.msgid_plural),
                    tuple(entry.translations),
                    context=entry.msgctxt,
                )

    def __iter__(self) -> Iterator[Message]:
        messages = super().__iter__()
        next(messages)
        yield Message("", self._header_text)
        yield from messages


@dataclass(frozen=True)
class Lookup:
    """The outcome of looking one message up in a language."""

    text: str | None
    status: LookupStatus
    catalog: str  # catalog file shown to people
    po_line: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when there is text to speak."""
        return self.text is not None

    def reason(self) -> str:
        """Why there is no text, for reports."""
        where = f"{self.catalog}:{self.po_line}" if self.po_line else self.catalog
        return {
            "fuzzy": f"translation is marked fuzzy in {where}",
            "untranslated": f"not translated in {where}",
            "missing": f"not in {where} (run 'pipeline i18n update')",
            "invalid": f"translation in {where} cannot be used: {self.detail}",
        }.get(self.status, self.detail or self.status)


class Translator:
    """Lookups of (domain, context, msgid) for one language."""

    def __init__(self, root: Path, lang: str, source_language: str) -> None:
        self.root = root
        self.lang = lang
        self.source_language = source_language
        self.is_source = lang == source_language
        self._translations: dict[str, dict[str, str]] = {}
        self._catalogs: dict[str, PoFile | None] = {}
        self._shown: dict[str, str] = {}

    def lookup(self, domain: str, context: str, msgid: str) -> Lookup:
        """The text to speak for ``msgid`` in this language, or why there is none."""
        shown = self._shown_path(domain)
        if self.is_source:
            return Lookup(msgid, "source", shown)
        text = self._compiled(domain).get(f"{context}\x04{msgid}")
        unusable = self._unusable(text, msgid) if text else ""
        if text and not unusable:
            return Lookup(text, "translated", shown)
        catalog = self._catalog(domain)
        entry = catalog.find(context, msgid) if catalog is not None else None
        if unusable:
            return Lookup(None, "invalid", shown, entry.msgstr_line if entry is not None else None, unusable)
        if entry is None:
            return Lookup(None, "missing", shown)
        if entry.translated and not entry.fuzzy:
            mismatches = [placeholder_mismatch(entry, text) for text in entry.translations]
            detail = next((f"placeholders: {m}" for m in mismatches if m), "see 'pipeline i18n check'")
            return Lookup(None, "invalid", shown, entry.msgstr_line, detail)
        status: LookupStatus = "fuzzy" if entry.fuzzy and entry.translated else "untranslated"
        return Lookup(None, status, shown, entry.msgstr_line)

    def _unusable(self, text: str, msgid: str) -> str:
        """Why a compiled translation must not be spoken (empty when it may): control or
        bidirectional-override characters (never into a tag, a lyric line or a playlist), or a
        length no translation of ``msgid`` can have (bounded work before any synthesis)."""
        unsafe = unsafe_characters(text)
        if unsafe:
            return f"holds control characters ({', '.join(unsafe)})"
        if len(text) > MAX_TEXT_CHARACTERS:
            return f"{len(text):,} characters long: the limit is {MAX_TEXT_CHARACTERS:,}"
        if len(text) <= len(msgid):  # not longer in characters: not absurdly longer to say
            return ""
        spoken = estimate_seconds(text, self.lang)
        source = estimate_seconds(msgid, self.source_language)
        if spoken > MAX_LENGTH_RATIO * source and spoken - source > MIN_EXCESS_SECONDS:
            return f"about {spoken:.0f} s of speech for a source of {source:.0f} s: far too long for a translation"
        return ""

    def _shown_path(self, domain: str) -> str:
        if domain not in self._shown:
            self._shown[domain] = display_path(po_path(self.root, self.lang, domain), self.root)
        return self._shown[domain]

    def _compiled(self, domain: str) -> dict[str, str]:
        if domain not in self._translations:
            path = compile_if_stale(self.root, self.lang, domain)
            table: dict[str, str] = {}
            if path is not None:
                try:
                    table = _mo_table(path, domain)
                except (LookupError, UnicodeDecodeError, OSError, ValueError):
                    # A cached file an older version made from a broken catalog:
                    # compiling again reports the catalog's own problem.
                    compile_into_cache(self.root, self.lang, domain, leave_out_invalid=True)
                    table = _mo_table(path, domain)
            self._translations[domain] = table
        return self._translations[domain]

    def _catalog(self, domain: str) -> PoFile | None:
        if domain not in self._catalogs:
            path = po_path(self.root, self.lang, domain)
            self._catalogs[domain] = read_po_file(path, self.root) if path.exists() else None
        return self._catalogs[domain]


def _mo_table(path: Path, domain: str) -> dict[str, str]:
    """The messages of a compiled catalog, keyed as gettext keys them (context\x04msgid)."""
    with path.open("rb") as handle:
        compiled = Translations(fp=handle, domain=domain)._catalog.items()
        return {key: text for key, text in compiled if isinstance(key, str)}  # plurals are keyed by tuples
