"""``pipeline i18n``: the translator workflow, from scripts to compiled catalogs.

Subcommands (each a ``run_*`` function below):

* ``extract`` — write ``locales/templates/<domain>.pot`` from the scripts;
* ``update`` — merge the templates into every language's catalogs;
* ``init --lang xx`` — add a language: catalogs and ``station.yaml`` entries;
* ``compile`` — ``.po`` → ``.mo`` in the build cache (fuzzy left out);
* ``stats`` — progress per language and episode, ``--json`` for scripts;
* ``check`` — speech-aware QA with compiler-style findings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from rich.console import Console

from pipeline.commands import load, project_root
from pipeline.errors import CatalogError, CatalogInvalid, SourceLocation, UsageError, display_path
from pipeline.fsutil import atomic_write_text
from pipeline.i18n.budget import localise_notes
from pipeline.i18n.catalogs import compile_into_cache, compile_problems
from pipeline.i18n.checks import (
    CheckConfig,
    CheckContext,
    Finding,
    check_catalog,
    load_check_config,
    load_glossary,
)
from pipeline.i18n.extract import write_templates
from pipeline.i18n.merge import MergeReport, NotesFilter, merge_catalog, new_catalog
from pipeline.i18n.messages import STATION_NAME_CONTEXT
from pipeline.i18n.plurals import plural_forms
from pipeline.i18n.pofile import PoEntry, PoFile, read_po_file, write_po_file
from pipeline.i18n.station_edit import add_language
from pipeline.i18n.stats import project_stats, stats_document, stats_table
from pipeline.project.layout import (
    GLOSSARY_FILE,
    POT_DIR,
    STATION_FILE,
    catalog_folder,
    is_project,
    language_of_catalog,
    po_path,
)
from pipeline.project.script import SHARED_DOMAIN, Project, load_project
from pipeline.project.station import Station, load_station
from pipeline.speech import load_lexicon


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``pipeline i18n`` and its subcommands."""
    parser = subparsers.add_parser(
        "i18n",
        help="translator workflow: extract, update, init, compile, stats, check",
        description="Extract translatable text, keep catalogs up to date, compile and check them.",
    )
    commands = parser.add_subparsers(dest="i18n_command", metavar="SUBCOMMAND")
    commands.required = True

    extract = commands.add_parser(
        "extract", parents=[common], help="write locales/templates/<domain>.pot from the scripts"
    )
    extract.set_defaults(run=run_extract)

    update = commands.add_parser("update", parents=[common], help="merge the templates into every language's catalogs")
    _add_lang_option(update)
    update.add_argument(
        "--fuzzy",
        action="store_true",
        help="also guess translations for new messages from similar old ones (marked fuzzy)",
    )
    update.set_defaults(run=run_update)

    init = commands.add_parser("init", parents=[common], help="add a language: catalogs and station.yaml entries")
    init.add_argument("--lang", required=True, metavar="LANG", help="language code, e.g. ja")
    init.add_argument(
        "--voice",
        metavar="ID",
        help="espeak-ng voice id for every role (default: the language code; "
        "'pipeline voices --lang LANG' lists installed voices)",
    )
    init.set_defaults(run=run_init)

    compile_ = commands.add_parser(
        "compile", parents=[common], help="compile catalogs into the build cache (.cache/mo)"
    )
    _add_lang_option(compile_)
    compile_.add_argument("--use-fuzzy", action="store_true", help="include translations marked fuzzy")
    compile_.set_defaults(run=run_compile)

    stats = commands.add_parser("stats", parents=[common], help="translated, fuzzy and missing messages and speech")
    _add_lang_option(stats)
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.set_defaults(run=run_stats)

    check = commands.add_parser("check", parents=[common], help="speech-aware checks of translated catalogs")
    _add_lang_option(check)
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument(
        "targets",
        nargs="*",
        metavar="EPISODE|PO",
        help="episodes (their catalogs and the station strings they speak) or catalog files "
        "(default: every catalog of the project)",
    )
    check.set_defaults(run=run_check)


def _add_lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        action="append",
        metavar="LANG",
        help="only this language (repeatable; default: every language but the source)",
    )


def _target_languages(station: Station, wanted: list[str] | None) -> list[str]:
    targets = [lang for lang in station.languages if lang != station.source_language]
    if not wanted:
        return targets
    for lang in wanted:
        if lang not in targets:
            raise UsageError(
                f"--lang {lang}: not a translated language of the station (known: {', '.join(targets) or 'none'})"
            )
    return list(dict.fromkeys(wanted))


# --------------------------------------------------------------------------- extract


def run_extract(args: argparse.Namespace) -> int:
    """Write one template per domain; report what changed."""
    project = load(args)
    report = write_templates(project)
    root = project.root
    for path in report.written:
        print(f"wrote {display_path(path, root)}")
    for path in report.removed:
        print(f"removed {display_path(path, root)} (no such episode any more)")
    print(
        f"{report.messages} messages in {len(report.written) + len(report.unchanged)} templates "
        f"({len(report.written)} written, {len(report.unchanged)} unchanged)"
    )
    return 0


# --------------------------------------------------------------------------- update


def _templates(root: Path) -> dict[str, PoFile]:
    folder = root / POT_DIR
    paths = sorted(folder.glob("*.pot")) if folder.is_dir() else []
    if not paths:
        raise UsageError(f"{display_path(folder, root)}: no templates; run 'pipeline i18n extract' first")
    return {path.stem: read_po_file(path, root) for path in paths}


def run_update(args: argparse.Namespace) -> int:
    """Merge every template into every target language's catalog.

    Every existing catalog is read before any is written, so a broken one
    stops the run with nothing changed. A catalog without a header gets the
    one a new catalog would have (msgfmt refuses a catalog without).
    """
    root = project_root(args)
    station = load_station(root)
    templates = _templates(root)
    languages = _target_languages(station, args.lang)
    existing = {
        (lang, domain): read_po_file(path, root)
        for lang in languages
        for domain in templates
        if (path := po_path(root, lang, domain)).exists()
    }
    for lang in languages:
        notes = _notes_for(lang, station)
        for domain, template in templates.items():
            path = po_path(root, lang, domain)
            shown = display_path(path, root)
            catalog = existing.get((lang, domain))
            if catalog is None:
                write_po_file(path, _new_catalog(root, template, lang, path, notes))
                print(f"{shown}: created ({len(template.messages())} messages to translate)")
                continue
            if catalog.header is None:
                header = "".join(f"{name}: {value}\n" for name, value in _new_header(template, lang))
                catalog.entries.insert(0, PoEntry("", header))
            report = merge_catalog(catalog, template, args.fuzzy, notes)
            changed = write_po_file(path, catalog)
            print(f"{shown}: {_describe_merge(report) if changed else 'unchanged'}")
        _warn_orphans(root, lang, templates)
    return 0


def _notes_for(lang: str, station: Station) -> NotesFilter:
    return lambda notes: localise_notes(notes, lang, station)


def _describe_merge(report: MergeReport) -> str:
    parts = [
        f"{report.added} new" if report.added else "",
        f"{report.source_changed} edited in the script (kept as fuzzy)" if report.source_changed else "",
        f"{report.moved} moved (kept as fuzzy)" if report.moved else "",
        f"{report.fuzzy_matched} guessed (fuzzy)" if report.fuzzy_matched else "",
        f"{report.revived} back from obsolete" if report.revived else "",
        f"{report.renamed} moved to stable contexts (unchanged)" if report.renamed else "",
        f"{report.obsoleted} made obsolete" if report.obsoleted else "",
        f"{report.dropped} untranslated removed" if report.dropped else "",
    ]
    return ", ".join(p for p in parts if p) or "references and notes refreshed"


def _warn_orphans(root: Path, lang: str, templates: dict[str, PoFile]) -> None:
    folder = catalog_folder(root, lang)
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        if path.stem not in templates:
            print(
                f"{display_path(path, root)}: warning: no template {path.stem}.pot; left as it is",
                file=sys.stderr,
            )


def _new_header(template: PoFile, lang: str) -> list[tuple[str, str]]:
    """Header fields of a new catalog, as msginit writes them, with GNU's plural rule."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M%z")
    locale = Locale.parse(lang)
    return [
        ("Project-Id-Version", template.header_field("Project-Id-Version") or ""),
        ("Report-Msgid-Bugs-To", template.header_field("Report-Msgid-Bugs-To") or ""),
        ("POT-Creation-Date", template.header_field("POT-Creation-Date") or now),
        ("PO-Revision-Date", now),
        ("Last-Translator", ""),
        ("Language-Team", locale.get_display_name("en") or lang),
        ("Language", lang),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Plural-Forms", plural_forms(lang)),
    ]


def _invitation(template: PoFile, lang: str, path: str) -> list[str]:
    """The comments that open a new catalog: what it is, and how to translate and check it."""
    language = Locale.parse(lang).get_display_name("en") or lang
    header = template.header
    what = header.comments[0] if header is not None and header.comments else template.path
    return [
        f"{language} ({lang}) translation of {what}",
        "Translate every msgstr; keep {placeholders} exactly as they are. The notes above",
        "each message say which voice speaks it and how long the translation may take.",
        "Put your name in Last-Translator; Language-Team is who reviews it.",
        f"Check your work:  pipeline i18n check --lang {lang}",
        f"Hear one entry:   pipeline say --lang {lang} --entry {path}:LINE --out line.mp3",
    ]


def _new_catalog(root: Path, template: PoFile, lang: str, path: Path, notes: NotesFilter) -> PoFile:
    catalog = new_catalog(template, _new_header(template, lang), notes)
    assert catalog.header is not None
    catalog.header.comments = _invitation(template, lang, display_path(path, root))
    return catalog


# --------------------------------------------------------------------------- init


def run_init(args: argparse.Namespace) -> int:
    """Add a language to the station and create its catalogs."""
    root = project_root(args)
    lang = args.lang
    try:
        Locale.parse(lang)
    except (UnknownLocaleError, ValueError) as exc:
        raise UsageError(f"--lang {lang}: unknown language code") from exc
    station = load_station(root)
    if lang == station.source_language:
        raise UsageError(f"--lang {lang}: that is the language the scripts are written in")
    templates = _templates(root)
    station_path = root / STATION_FILE
    station_text = None
    if lang not in station.languages:
        shown = display_path(station_path, root)
        station_text = add_language(station_path.read_text(encoding="utf-8"), shown, lang, args.voice)
    notes = _notes_for(lang, station)  # a new language gets the default rate the file will say
    created = 0
    for domain, template in templates.items():
        path = po_path(root, lang, domain)
        if path.exists():
            print(f"{display_path(path, root)}: exists, left as it is")
            continue
        write_po_file(path, _new_catalog(root, template, lang, path, notes))
        print(f"{display_path(path, root)}: created")
        created += 1
    if station_text is not None:
        atomic_write_text(station_path, station_text)
        print(
            f"{display_path(station_path, root)}: added '{lang}' to languages, voices and "
            f"speaking_rate (check the voices with 'pipeline voices --lang {lang}')"
        )
    print(f"{lang}: {created} catalogs created")
    return 0


# --------------------------------------------------------------------------- compile


def run_compile(args: argparse.Namespace) -> int:
    """Compile every catalog of the target languages; nothing is written if one is broken."""
    root = project_root(args)
    station = load_station(root)
    catalogs = [
        (lang, path)
        for lang in _target_languages(station, args.lang)
        for path in sorted(catalog_folder(root, lang).glob("*.po"))
    ]
    problems = []
    for _, path in catalogs:
        problems.extend(compile_problems(read_po_file(path, root), args.use_fuzzy))
    if problems:
        raise CatalogInvalid(problems)
    for lang, path in catalogs:
        result = compile_into_cache(root, lang, path.stem, args.use_fuzzy)
        left_out = f", {result.fuzzy_left_out} fuzzy left out" if result.fuzzy_left_out else ""
        print(
            f"{display_path(path, root)} -> {display_path(result.target, root)}: "
            f"{result.compiled} messages{left_out}, {result.untranslated} untranslated"
        )
    if not catalogs:
        print("no catalogs to compile (run 'pipeline i18n update')")
    return 0


# --------------------------------------------------------------------------- stats


def run_stats(args: argparse.Namespace) -> int:
    """Print progress as a table, or as JSON with ``--json``."""
    project = load(args)
    rows = project_stats(project, _target_languages(project.station, args.lang))
    if args.json:
        print(json.dumps(stats_document(project, rows), ensure_ascii=False, indent=2))
    else:
        # Pipes and log files get the whole table rather than 80 truncated columns.
        Console(width=None if sys.stdout.isatty() else 120).print(stats_table(rows))
    return 0


# --------------------------------------------------------------------------- check


def run_check(args: argparse.Namespace) -> int:
    """Check catalogs; exit 1 on errors (and on warnings with ``--strict``).

    Errors are printed before warnings, each in file and line order, and a
    summary counts them by check. A catalog that cannot be read is an error
    like any other, and the rest are still checked.
    """
    root = Path(args.project)
    in_project = is_project(root)
    station = load_station(root) if in_project else None
    targets = _check_targets(args, root, station)
    config = load_check_config(root) if in_project else CheckConfig()
    glossary = load_glossary(root / GLOSSARY_FILE, root) if in_project else []
    findings: list[Finding] = []
    for target in targets:
        shown = display_path(target.path, root)
        if not target.path.exists():
            findings.append(Finding(shown, 0, "error", "catalog", "no catalog yet (run 'pipeline i18n update')"))
            continue
        try:
            catalog = read_po_file(target.path, root)
        except CatalogError as error:
            where = error.location or SourceLocation(shown)
            findings.append(Finding(where.path, where.line or 0, "error", "catalog", error.message))
            continue
        lang = target.lang or _language_of(catalog, target.path)
        context = CheckContext(
            lang=lang,
            source_lang=station.source_language if station else "en",
            station=station,
            lexicon=load_lexicon(root if in_project else None, lang),
            glossary=glossary,
            config=config,
        )
        findings.extend(f for f in check_catalog(catalog, context) if target.wants(catalog, f))
    findings.sort(key=lambda f: (f.severity != "error", f.path, f.line, f.check))
    for finding in findings:
        print(finding)
    print(_check_summary(findings, len(targets)), file=sys.stderr)
    errors = sum(1 for f in findings if f.severity == "error")
    return 1 if errors or (args.strict and len(findings) > errors) else 0


@dataclass(frozen=True)
class _CheckTarget:
    """One catalog to check, its language if known, and the contexts wanted (None: all)."""

    path: Path
    lang: str | None
    contexts: frozenset[str] | None = None

    def wants(self, catalog: PoFile, finding: Finding) -> bool:
        if self.contexts is None:
            return True
        entry = next((e for e in catalog.messages() if (e.msgstr_line or e.line) == finding.line), None)
        return entry is None or entry.msgctxt in self.contexts


def _check_targets(args: argparse.Namespace, root: Path, station: Station | None) -> list[_CheckTarget]:
    """Catalog files named, the catalogs of the episodes named, or every catalog of the project."""
    files = [Path(t) for t in args.targets if t.endswith((".po", ".pot"))]
    episodes = [t for t in args.targets if not t.endswith((".po", ".pot"))]
    only = args.lang[0] if args.lang and len(args.lang) == 1 else None
    targets = [_CheckTarget(path, only) for path in files]
    if files and not episodes:
        return targets
    if station is None:
        project_root(args)  # explains that --project is not a content folder
    assert station is not None
    languages = _target_languages(station, args.lang)
    if not episodes:
        folders = [catalog_folder(root, lang) for lang in languages]
        return targets + [
            _CheckTarget(p, lang) for lang, f in zip(languages, folders, strict=True) for p in sorted(f.glob("*.po"))
        ]
    project = load_project(root)
    unknown = [e for e in episodes if e not in project.episodes]
    if unknown:
        known = ", ".join(sorted(project.episodes)) or "none"
        raise UsageError(f"unknown episode {', '.join(unknown)} (episodes: {known})")
    spoken = frozenset(_station_contexts(project, episodes))
    for lang in languages:
        targets.extend(_CheckTarget(po_path(root, lang, e), lang) for e in dict.fromkeys(episodes))
        targets.append(_CheckTarget(po_path(root, lang, SHARED_DOMAIN), lang, spoken))
    return targets  # a catalog not made yet is reported like one that cannot be read


def _station_contexts(project: Project, episodes: list[str]) -> set[str]:
    """The station strings the episodes speak: the station name and their templates' parts."""
    used = {
        project.episodes[e].segments[i].template for e in episodes for i in range(len(project.episodes[e].segments))
    }
    contexts = {STATION_NAME_CONTEXT}
    contexts.update(part.context for name in used for part in project.templates[name].parts)
    return contexts


def _check_summary(findings: list[Finding], catalogs: int) -> str:
    """``2 errors (numbers 1, quotes 1), 3 warnings (length 3) in 4 catalogs``."""

    def count(severity: str) -> str:
        chosen = [f.check for f in findings if f.severity == severity]
        counts = sorted(Counter(chosen).items(), key=lambda item: (-item[1], item[0]))
        by_check = ", ".join(f"{name} {number}" for name, number in counts)
        noun = f"{severity}{'s' * (len(chosen) != 1)}"
        return f"{len(chosen)} {noun}" + (f" ({by_check})" if by_check else "")

    return f"{count('error')}, {count('warning')} in {catalogs} catalog{'s' * (catalogs != 1)}"


def _language_of(catalog: PoFile, path: Path) -> str:
    """The language a catalog is in: its ``Language`` header, else its folder."""
    declared = catalog.header_field("Language")
    if declared:
        return declared.replace("-", "_").split("_")[0]
    lang = language_of_catalog(path.resolve())
    if lang:
        return lang
    raise UsageError(f"{path}: cannot tell its language; add a 'Language:' header or use --lang")
