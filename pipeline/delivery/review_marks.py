"""What the translators' checks say about each catalog message, for the review pages.

Entry point: :class:`CatalogMarks`, which answers :meth:`CatalogMarks.marks`
for one message in one language: the findings of ``pipeline i18n check``
(:func:`pipeline.i18n.checks.check_catalog`, so the page and the command
always agree) at the message's catalog entry, or that the catalog does not
hold the message at all.

The checks need Babel's locale data, num2words and the lexicons: importing
and running them costs about 0.4 s for the sample catalogs, as much as a
whole no-op build. So the findings of each catalog are kept in
``.cache/review/<lang>.<domain>.json`` under a digest of everything that
shapes them (the catalog, ``locales/checks.yaml``, ``locales/glossary.yaml``,
``station.yaml``, the lexicons and the code of the checks and the speech
rules); a build whose catalogs did not change reads them from there and
never imports the checks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError, display_path
from pipeline.fsutil import atomic_write_text
from pipeline.i18n.messages import SourceMessage
from pipeline.project.layout import CHECKS_FILE, GLOSSARY_FILE, STATION_FILE, po_path
from pipeline.project.station import Station
from pipeline.speech.store import fingerprint

MARKS_FORMAT = 1
_I18N_CODE = Path(__file__).parent.parent / "i18n"
_CHECK_SETTINGS = (CHECKS_FILE, GLOSSARY_FILE)


@dataclass(frozen=True)
class Mark:
    """Something a reviewer should know about a line: a check's finding or a missing entry."""

    severity: str  # "error" or "warning"
    check: str  # the check's name ("untranslated", "fuzzy", "numbers"...) or "missing"
    where: str  # "locales/ko/LC_MESSAGES/ep1.po:26"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}[{self.check}]: {self.message}"


class CatalogMarks:
    """Marks for the messages of one language, catalog by catalog, cached between builds."""

    def __init__(self, root: Path, station: Station, lang: str, cache_dir: Path) -> None:
        self.root = root
        self.station = station
        self.lang = lang
        self.cache_dir = cache_dir
        self._catalogs: dict[str, dict[str, tuple[Mark, ...]]] = {}  # by domain: marks by context and msgid
        self._absent: dict[str, tuple[Mark, ...]] = {}  # by domain: the marks of a message it lacks
        self._settings = ""  # digest of what shapes every catalog's findings, worked out once
        self.problem = ""  # why the checks could not run (a broken checks.yaml, glossary or lexicon)

    def marks(self, message: SourceMessage) -> tuple[Mark, ...]:
        """The marks of ``message``'s entry in this language's catalog of its domain."""
        if self.lang == self.station.source_language:
            return ()
        if message.domain not in self._catalogs:
            self._load(message.domain)
        found = self._catalogs[message.domain].get(f"{message.context}\x04{message.text}")
        return found if found is not None else self._absent[message.domain]

    def _load(self, domain: str) -> None:
        path = po_path(self.root, self.lang, domain)
        shown = display_path(path, self.root)
        self._catalogs[domain] = {}
        if not path.exists():
            self._absent[domain] = (Mark("error", "missing", shown, "no such catalog (run 'pipeline i18n update')"),)
            return
        update = "the message is not in the catalog (run 'pipeline i18n update')"
        self._absent[domain] = (Mark("error", "missing", shown, update),)
        key = self._digest(path)
        cached = self.cache_dir / f"{self.lang}.{domain}.json"
        entries = _read_cache(cached, key)
        if entries is None:
            try:
                entries = self._check(path)
            except PipelineError as error:  # a catalog the build could not read either
                where = str(error.location) if error.location else shown
                self._absent[domain] = (Mark("error", "catalog", where, f"cannot be read: {error.message}"),)
                return
            if not self.problem:  # a broken settings file is reported on every build until fixed
                document = {"format": MARKS_FORMAT, "key": key, "entries": entries}
                atomic_write_text(cached, json.dumps(document, ensure_ascii=False, sort_keys=True))
        self._catalogs[domain] = {name: tuple(Mark(*fields) for fields in found) for name, found in entries.items()}

    def _digest(self, catalog: Path) -> str:
        """The catalog's content and everything else that shapes its findings."""
        if not self._settings:
            self._settings = self._settings_digest()
        return hashlib.sha256(self._settings.encode() + b"\0" + catalog.read_bytes()).hexdigest()

    def _settings_digest(self) -> str:
        """The same for every catalog of the language: the speech rules and lexicons (as the
        speech-text store sees them), the station, the check settings, and the checks' code."""
        policy = self.station.speech_settings(self.lang).unknown_latin
        digest = hashlib.sha256(f"{MARKS_FORMAT}\0{fingerprint(self.root, self.lang, policy)}\0".encode())
        sources = [self.root / STATION_FILE, *(self.root / p for p in _CHECK_SETTINGS)]
        for path in (*sources, Path(__file__), *sorted(_I18N_CODE.glob("*.py"))):
            digest.update(f"{path.name}\0".encode())
            digest.update(path.read_bytes() if path.is_file() else b"(none)")
        return digest.hexdigest()

    def _check(self, path: Path) -> dict[str, list[list[str]]]:
        """Run the translators' checks on one catalog: findings by ``context\\x04msgid``."""
        from pipeline.i18n.checks import CheckContext, check_catalog, load_check_config, load_glossary
        from pipeline.i18n.pofile import read_po_file
        from pipeline.speech import load_lexicon

        catalog = read_po_file(path, self.root)
        entries = {f"{entry.msgctxt or ''}\x04{entry.msgid}": entry for entry in catalog.messages()}
        lines = {entry.msgstr_line or entry.line: name for name, entry in entries.items()}
        found: dict[str, list[list[str]]] = {name: [] for name in entries}
        try:
            context = CheckContext(
                lang=self.lang,
                source_lang=self.station.source_language,
                station=self.station,
                lexicon=load_lexicon(self.root, self.lang),
                glossary=load_glossary(self.root / GLOSSARY_FILE, self.root),
                config=load_check_config(self.root),
            )
        except PipelineError as error:
            self.problem = f"the translation checks could not run: {error}"
            return found
        for finding in check_catalog(catalog, context):
            name = lines.get(finding.line)
            if name is not None:
                where = f"{finding.path}:{finding.line}"
                found[name].append([finding.severity, finding.check, where, finding.message])
        return found


def _read_cache(path: Path, key: str) -> dict[str, list[list[str]]] | None:
    """The findings kept for ``key``; None when the file is missing, for other inputs, or damaged."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("key") != key or document.get("format") != MARKS_FORMAT:
        return None
    entries = document.get("entries")
    if not isinstance(entries, dict) or not all(_is_findings(found) for found in entries.values()):
        return None
    return entries


def _is_findings(found: object) -> bool:
    return isinstance(found, list) and all(
        isinstance(fields, list) and len(fields) == 4 and all(isinstance(f, str) for f in fields) for fields in found
    )
