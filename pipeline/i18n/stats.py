"""Translation progress per language and domain, in messages and in seconds of speech.

Entry points: :func:`project_stats` (one :class:`CatalogStats` per language
and domain; a build passes a :class:`~pipeline.i18n.coverage_memo.CoverageMemo`
so unchanged catalogs are not parsed again), :func:`stats_document` (the ``--json`` shape) and
:func:`stats_table` (a rich table for terminals).

Counts are over the messages the scripts have now, looked up in the
catalog: *translated* (ready to speak), *fuzzy* (a translation marked for
review, not spoken), *unusable* (translated, but the build cannot use it:
its placeholders or plural forms do not fit, as
:func:`pipeline.i18n.catalogs.compile_problems` finds and the build leaves
out), *untranslated* (in the catalog, empty) and *missing* (not in the
catalog yet: run ``pipeline i18n update``). When the catalog is up to date
and nothing is unusable, the first three equal ``msgfmt --statistics``. *Blocked seconds*
is the English speaking time of every message that cannot be spoken in the
language (:func:`pipeline.text.durations.blocked_seconds`, the same measure a
build reports). An episode whose script limits its languages
(``languages: [en]``) still has its rows in the other languages (its
translation may be under way), marked ``built: false`` and left out of the
language totals, as a build leaves it out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from pipeline.errors import CatalogError, display_path
from pipeline.i18n.catalogs import compile_problems
from pipeline.i18n.coverage_memo import CoverageMemo, row_key
from pipeline.i18n.extract import domain_messages
from pipeline.i18n.messages import SourceMessage
from pipeline.i18n.pofile import PoFile, read_po_file
from pipeline.project.layout import po_path
from pipeline.project.script import SHARED_DOMAIN, Episode, Project
from pipeline.text.durations import blocked_seconds, station_rate


@dataclass
class CatalogStats:
    """Progress of one language in one domain."""

    language: str
    domain: str
    catalog: str
    exists: bool
    messages: int = 0
    translated: int = 0
    fuzzy: int = 0
    unusable: int = 0
    untranslated: int = 0
    missing: int = 0
    blocked_seconds: float = 0.0
    built: bool = True  # False: the episode's script does not make it in this language (not in totals)

    @property
    def percent_translated(self) -> float:
        """Translated messages as a share of all, 0-100 (100 when there are none)."""
        return 100.0 * self.translated / self.messages if self.messages else 100.0

    def add(self, other: CatalogStats) -> None:
        """Accumulate another row's counts into this one (for totals)."""
        for name in ("messages", "translated", "fuzzy", "unusable", "untranslated", "missing"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.blocked_seconds += other.blocked_seconds


def project_stats(
    project: Project,
    languages: list[str],
    episodes: list[Episode] | None = None,
    broken_as_missing: bool = False,
    memo: CoverageMemo | None = None,
) -> list[CatalogStats]:
    """One row per language and domain, domains in extraction order: the station's, then
    ``episodes`` (default: all) in the languages each is made in. A catalog that cannot be read
    raises CatalogError, or with ``broken_as_missing`` counts as absent (a build reports it).
    With ``memo``, a row whose catalog, messages, settings and code are unchanged is not counted
    again (:mod:`pipeline.i18n.coverage_memo`)."""
    rows = []
    domains = domain_messages(project)
    wanted = {SHARED_DOMAIN: None, **{episode.id: episode for episode in episodes or project.episodes.values()}}
    for lang in languages:
        for domain, messages in domains.items():
            if domain not in wanted:
                continue
            episode = wanted[domain]
            path = po_path(project.root, lang, domain)
            row = CatalogStats(lang, domain, display_path(path, project.root), False)
            row.built = episode is None or episode.is_made_in(lang)
            if memo is None:
                _count(row, _read_catalog(path, project, broken_as_missing), messages, project)
            else:
                _count_with_memo(row, path, messages, project, broken_as_missing, memo)
            rows.append(row)
    return rows


def _count(row: CatalogStats, catalog: PoFile | None, messages: list[SourceMessage], project: Project) -> None:
    """Fill ``row`` with the status of each message in ``catalog`` (None: no catalog)."""
    row.exists = catalog is not None
    unusable = {p.location.line for p in compile_problems(catalog)} if catalog is not None else set()
    blocked = []
    for message in messages:
        status = _status(catalog, message.context, message.text, unusable)
        row.messages += 1
        setattr(row, status, getattr(row, status) + 1)
        if status != "translated":
            blocked.append(message.text)
    row.blocked_seconds = blocked_seconds(blocked, project.station)


_COUNTED = ("exists", "messages", "translated", "fuzzy", "unusable", "untranslated", "missing", "blocked_seconds")


def _count_with_memo(
    row: CatalogStats,
    path: Path,
    messages: list[SourceMessage],
    project: Project,
    broken_as_missing: bool,
    memo: CoverageMemo,
) -> None:
    """:func:`_count`, answered from ``memo`` when the catalog's bytes and everything else the
    counts depend on are what they were."""
    try:
        data: bytes | None = path.read_bytes()
    except FileNotFoundError:
        data = None
    source = project.station.source_language
    settings = [row.language, row.domain, broken_as_missing, source, repr(station_rate(project.station, source))]
    key = row_key(data, ((message.context, message.text) for message in messages), settings)
    counts = memo.get(key)
    if counts is None:
        _count(row, _read_catalog(path, project, broken_as_missing) if data is not None else None, messages, project)
        memo.put(key, {name: getattr(row, name) for name in _COUNTED})
        return
    for name in _COUNTED:
        setattr(row, name, counts[name])


def _read_catalog(path: Path, project: Project, broken_as_missing: bool) -> PoFile | None:
    if not path.exists():
        return None
    try:
        return read_po_file(path, project.root)
    except CatalogError:
        if broken_as_missing:
            return None
        raise


def _status(catalog: PoFile | None, context: str, text: str, unusable: set[int | None]) -> str:
    entry = catalog.find(context, text) if catalog is not None else None
    if entry is None:
        return "missing"
    if not entry.translated:
        return "untranslated"
    if entry.fuzzy:
        return "fuzzy"
    return "unusable" if entry.msgstr_line in unusable else "translated"


def totals(rows: list[CatalogStats]) -> dict[str, CatalogStats]:
    """Per-language sums of ``rows``."""
    result: dict[str, CatalogStats] = {}
    for row in rows:
        total = result.setdefault(row.language, CatalogStats(row.language, "*", "", True))
        if not row.built:
            continue
        total.exists = total.exists and row.exists
        total.add(row)
    return result


def stats_document(project: Project, rows: list[CatalogStats]) -> dict[str, Any]:
    """The ``--json`` document (shape documented in the README)."""

    def as_dict(row: CatalogStats, *drop: str) -> dict[str, Any]:
        data = asdict(row)
        data["percent_translated"] = round(row.percent_translated, 1)
        data["blocked_seconds"] = round(row.blocked_seconds, 1)
        for name in drop:
            data.pop(name)
        return data

    return {
        "source_language": project.station.source_language,
        "catalogs": [as_dict(row) for row in rows],
        "languages": {
            lang: as_dict(total, "language", "domain", "catalog", "exists", "built")
            for lang, total in totals(rows).items()
        },
    }


def stats_table(rows: list[CatalogStats]) -> Table:
    """A table with one row per catalog and a total per language."""
    table = Table(title="Translation progress")
    for name in ("language", "domain", "translated", "fuzzy", "unusable", "untranslated", "missing", "%"):
        table.add_column(name, justify="left" if name in ("language", "domain") else "right")
    table.add_column("blocked speech", justify="right")
    sums = totals(rows)
    for lang, total in sums.items():
        for row in (r for r in rows if r.language == lang):
            table.add_row(*_cells(row, _label(row)))
        table.add_row(*_cells(total, "all"), style="bold", end_section=True)
    return table


def _label(row: CatalogStats) -> str:
    notes = ([] if row.exists else ["no catalog"]) + ([] if row.built else [f"not built in {row.language}"])
    return f"{row.domain} ({', '.join(notes)})" if notes else row.domain


def _cells(row: CatalogStats, label: str) -> list[str]:
    return [
        row.language,
        label,
        str(row.translated),
        str(row.fuzzy),
        str(row.unusable),
        str(row.untranslated),
        str(row.missing),
        f"{row.percent_translated:.0f}%",
        f"{row.blocked_seconds:.1f} s",
    ]
