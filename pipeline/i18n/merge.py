"""Merging a template (.pot) into a translator's catalog (.po) without losing work.

Entry points: :func:`merge_catalog` (update an existing catalog in place)
and :func:`new_catalog` (a fresh catalog for a language). The rules, in
order, for each message of the template:

1. the same (msgctxt, msgid) is in the catalog: keep everything the
   translator wrote; take references, extracted comments, ``msgid_plural``
   and format flags from the template;
2. it is an obsolete ``#~`` entry of the catalog: bring it back as it was;
3. the catalog has the same msgid under the old, position-numbered context
   of the same field (``seg.paragraphs.3`` for ``seg.paragraphs``, see
   :mod:`pipeline.i18n.messages`): the same paragraph, renamed — keep it as
   it is (translation, state, comments), under the new context;
4. the catalog has exactly one unclaimed entry with the same msgid under
   another context (a paragraph moved or one was inserted before it): keep
   its translation, fuzzy, with the old context as ``#| msgctxt``;
5. the catalog has an unclaimed entry with the same msgctxt but another
   msgid (the context names the segment and field, so this is the same
   sentence, edited; of several, the most similar): keep the old
   translation, mark it fuzzy and record the old msgctxt and msgid as
   ``#|`` lines so the translator sees the change; an untranslated one
   passes on its translator comments and flags;
6. only with ``fuzzy_matching``: the closest old msgid, as Babel's
   ``Catalog.update`` finds it, marked fuzzy with ``#|`` lines;
7. otherwise a new, untranslated entry.

Each rule is applied to every message before the next, looser rule runs, so
a loose match never takes an entry that a stricter one would have claimed.

Old entries that nothing claimed become obsolete (``#~``) when they hold a
translation; untranslated ones are dropped, as ``msgmerge`` does. Entries
that did not change keep their exact text, so merging twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from babel.messages.catalog import get_close_matches

from pipeline.i18n.messages import context_base, legacy_paragraph_base
from pipeline.i18n.pofile import FUZZY, PoEntry, PoFile

NotesFilter = Callable[[list[str]], list[str]]


@dataclass
class MergeReport:
    """What a merge did, in counts, plus the (msgctxt, msgid) of edited sentences."""

    kept: int = 0
    added: int = 0
    revived: int = 0
    renamed: int = 0
    moved: int = 0
    source_changed: int = 0
    fuzzy_matched: int = 0
    obsoleted: int = 0
    dropped: int = 0
    edited: list[tuple[str | None, str]] = field(default_factory=list)


def is_format_flag(flag: str) -> bool:
    """``python-format``, ``no-python-brace-format`` and their kin."""
    return flag.endswith("-format")


def plural_count(catalog: PoFile) -> int:
    """nplurals from the catalog's Plural-Forms header (2 when it says nothing)."""
    value = catalog.header_field("Plural-Forms") or ""
    for part in value.split(";"):
        name, _, number = part.partition("=")
        if name.strip() == "nplurals" and number.strip().isdigit():
            return int(number.strip())
    return 2


def merge_catalog(
    catalog: PoFile,
    template: PoFile,
    fuzzy_matching: bool = False,
    notes: NotesFilter | None = None,
) -> MergeReport:
    """Bring ``catalog`` up to date with ``template``, in place."""
    merger = _Merger(catalog, template, fuzzy_matching, notes or (lambda lines: lines))
    return merger.run()


class _Merger:
    """One merge: old entries indexed, new entries built in template order."""

    def __init__(self, catalog: PoFile, template: PoFile, fuzzy_matching: bool, notes: NotesFilter) -> None:
        self.catalog = catalog
        self.template = template
        self.fuzzy_matching = fuzzy_matching
        self.notes = notes
        self.nplurals = plural_count(catalog)
        self.report = MergeReport()
        self.old = catalog.messages()
        self.by_key = {entry.key: entry for entry in self.old}
        self.obsolete = {entry.key: entry for entry in catalog.obsolete_entries()}
        self.by_context: dict[str, list[PoEntry]] = {}
        for entry in self.old:
            if entry.msgctxt is not None:
                self.by_context.setdefault(entry.msgctxt, []).append(entry)
                # An old position-numbered context also counts as its field's or template's.
                legacy = legacy_paragraph_base(entry.msgctxt)
                if legacy:
                    self.by_context.setdefault(legacy[0], []).append(entry)
        self.claimed: set[int] = set()
        self.template_contexts = Counter(entry.msgctxt for entry in template.messages())

    def run(self) -> MergeReport:
        sources = self.template.messages()
        merged: list[PoEntry | None] = [None] * len(sources)
        # Each rule runs over every message before the next, looser one claims anything.
        for rule in (self._exact, self._revived, self._renamed, self._moved, self._edited, self._guessed):
            for index, source in enumerate(sources):
                if merged[index] is None:
                    merged[index] = rule(source)
        for index, source in enumerate(sources):
            if merged[index] is None:
                self.report.added += 1
                merged[index] = self._fresh(source)
        self._copy_creation_date()
        header = self.catalog.header
        entries = [header] if header is not None else []
        entries.extend(entry for entry in merged if entry is not None)
        for entry in self.catalog.obsolete_entries():
            if id(entry) not in self.claimed:
                entries.append(entry)
        for entry in self.old:
            if id(entry) in self.claimed:
                continue
            if any(entry.translations):
                entry.obsolete = True
                entries.append(entry)
                self.report.obsoleted += 1
            else:
                self.report.dropped += 1
        self.catalog.entries = entries
        return self.report

    def _exact(self, source: PoEntry) -> PoEntry | None:
        entry = self.by_key.get(source.key)
        if entry is None:
            return None
        self.report.kept += 1
        return self._claim(self._refresh(entry, source))

    def _revived(self, source: PoEntry) -> PoEntry | None:
        entry = self.obsolete.get(source.key)
        if entry is None:
            return None
        entry.obsolete = False
        self.report.revived += 1
        return self._claim(self._refresh(entry, source))

    def _renamed(self, source: PoEntry) -> PoEntry | None:
        """The same paragraph or template part under its old position-numbered context: kept as it is."""
        if source.msgctxt is None:
            return None
        base = context_base(source.msgctxt)
        candidates = []
        for entry in self.old:
            legacy = legacy_paragraph_base(entry.msgctxt)
            if legacy and legacy[0] == base and entry.msgid == source.msgid and id(entry) not in self.claimed:
                candidates.append((legacy[1], entry))
        if not candidates:
            return None
        entry = min(candidates, key=lambda pair: pair[0])[1]  # repeated texts keep their order
        entry.msgctxt = source.msgctxt
        self.report.renamed += 1
        return self._claim(self._refresh(entry, source))

    def _moved(self, source: PoEntry) -> PoEntry | None:
        """The same sentence under another context (a paragraph moved): fuzzy, to confirm."""
        candidates = [e for e in self.old if e.msgid == source.msgid and self._free_and_translated(e)]
        if len(candidates) != 1:
            return None
        self.report.moved += 1
        return self._claim(self._carry_over(source, candidates[0]), candidates[0])

    def _edited(self, source: PoEntry) -> PoEntry | None:
        """The same context with another sentence (the script was edited): fuzzy."""
        if source.msgctxt is None:
            return None
        same_context = self.by_context.get(source.msgctxt, [])
        candidates = [e for e in same_context if id(e) not in self.claimed]
        # A context held by one message names one sentence; a paragraphs field's
        # context is shared, and only a similar old paragraph is the same one edited.
        alone = len(same_context) == 1 and self.template_contexts[source.msgctxt] == 1
        old = candidates[0] if alone and candidates else _most_similar(source, candidates)
        if old is None:
            return None
        if not any(old.translations):
            if not old.comments and not _own_flags(old):
                return None
            entry = self._fresh(source)  # nothing to review, but the translator's notes stay
            entry.comments = list(old.comments)
            entry.flags = _merge_flags(_own_flags(old), source.flags)
            self.report.added += 1
            return self._claim(entry, old)
        self.report.source_changed += 1
        self.report.edited.append(source.key)
        return self._claim(self._carry_over(source, old), old)

    def _guessed(self, source: PoEntry) -> PoEntry | None:
        if not self.fuzzy_matching:
            return None
        guess = self._closest(source)
        if guess is None:
            return None
        self.report.fuzzy_matched += 1
        return self._claim(self._carry_over(source, guess), guess)

    def _free_and_translated(self, entry: PoEntry) -> bool:
        return id(entry) not in self.claimed and any(entry.translations)

    def _claim(self, entry: PoEntry, old: PoEntry | None = None) -> PoEntry:
        self.claimed.add(id(old if old is not None else entry))
        return entry

    def _closest(self, source: PoEntry) -> PoEntry | None:
        """Babel's fuzzy match: the most similar translated old msgid (difflib, cutoff 0.6)."""
        candidates: dict[str, PoEntry] = {}
        for entry in self.old:
            if self._free_and_translated(entry):
                candidates.setdefault(entry.msgid.lower().strip(), entry)
        matches = get_close_matches(source.msgid.lower().strip(), candidates.keys(), 1)
        return candidates[matches[0]] if matches else None

    def _refresh(self, entry: PoEntry, source: PoEntry) -> PoEntry:
        """Template-owned parts of a matched entry follow the template; the rest stays."""
        entry.extracted = self.notes(list(source.extracted))
        entry.references = list(source.references)
        entry.flags = _merge_flags(entry.flags, source.flags)
        if entry.msgid_plural != source.msgid_plural:
            if entry.msgid_plural is not None and source.msgid_plural is not None:
                entry.previous_msgid_plural = entry.msgid_plural
                entry.previous_msgid = entry.previous_msgid or entry.msgid
            self._reshape(entry, source.msgid_plural)
            if any(entry.translations):
                entry.set_fuzzy(True)
        return entry

    def _carry_over(self, source: PoEntry, old: PoEntry) -> PoEntry:
        """``old``, now answering ``source``, its translation kept as fuzzy.

        The old entry itself is changed, so the parts that stay the same (the
        msgstr above all) keep the lines the translator's editor wrote.
        """
        if not (old.fuzzy and old.previous_msgid is not None):
            # Otherwise the translation still answers the sentence it was made for.
            old.previous_msgctxt, old.previous_msgid = old.msgctxt, old.msgid
            old.previous_msgid_plural = old.msgid_plural
        old.msgctxt = source.msgctxt
        old.msgid = source.msgid
        old.extracted = self.notes(list(source.extracted))
        old.references = list(source.references)
        old.flags = _merge_flags(old.flags, source.flags)
        self._reshape(old, source.msgid_plural)
        old.set_fuzzy(True)
        return old

    def _fresh(self, source: PoEntry) -> PoEntry:
        entry = PoEntry(
            source.msgid,
            msgctxt=source.msgctxt,
            msgid_plural=source.msgid_plural,
            extracted=self.notes(list(source.extracted)),
            references=list(source.references),
            flags=[flag for flag in source.flags if flag != FUZZY],
        )
        if source.msgid_plural is not None:
            entry.msgstr_plural = dict.fromkeys(range(self.nplurals), "")
        return entry

    def _reshape(self, entry: PoEntry, msgid_plural: str | None) -> None:
        """Turn a singular entry plural or back, keeping the first translation."""
        if msgid_plural is not None and not entry.msgstr_plural:
            entry.msgstr_plural = {0: entry.msgstr, **dict.fromkeys(range(1, self.nplurals), "")}
            entry.msgstr = ""
        elif msgid_plural is None and entry.msgstr_plural:
            entry.msgstr = entry.msgstr_plural.get(0, "")
            entry.msgstr_plural = {}
        entry.msgid_plural = msgid_plural

    def _copy_creation_date(self) -> None:
        created = self.template.header_field("POT-Creation-Date")
        current = self.catalog.header_field("POT-Creation-Date")
        if created and self.catalog.header is not None and current != created:
            self.catalog.set_header_field("POT-Creation-Date", created)


def _most_similar(source: PoEntry, candidates: list[PoEntry]) -> PoEntry | None:
    """Of several edited sentences under one context, the one closest to ``source`` (if close)."""
    by_text = {entry.msgid: entry for entry in candidates}
    matches = get_close_matches(source.msgid, list(by_text), 1, 0.5)
    return by_text[matches[0]] if matches else None


def _own_flags(entry: PoEntry) -> list[str]:
    """Flags a translator set (not fuzzy, not the template's format flags)."""
    return [flag for flag in entry.flags if flag != FUZZY and not is_format_flag(flag)]


def _merge_flags(flags: list[str], template_flags: list[str]) -> list[str]:
    """The entry's own flags, with format flags as the template has them."""
    own = [flag for flag in flags if not is_format_flag(flag)]
    wanted = [flag for flag in template_flags if is_format_flag(flag)]
    current = [flag for flag in flags if is_format_flag(flag)]
    if sorted(current) == sorted(wanted):
        return list(flags)
    return own + wanted


def new_catalog(template: PoFile, header_fields: list[tuple[str, str]], notes: NotesFilter | None = None) -> PoFile:
    """A catalog with ``header_fields`` and an untranslated entry per template message."""
    header_text = "".join(f"{name}: {value}\n" for name, value in header_fields)
    template_header = template.header
    header = PoEntry("", header_text)
    if template_header is not None:
        header.comments = list(template_header.comments)
    catalog = PoFile([header], charset="utf-8")
    merge_catalog(catalog, template, notes=notes)
    return catalog
