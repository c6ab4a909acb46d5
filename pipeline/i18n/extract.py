"""Extraction: the project's translatable messages as gettext templates (.pot).

Entry points: :func:`template_catalogs` (one template per domain, in
memory), :func:`write_templates` (``locales/templates/<domain>.pot``,
rewritten only when a message changed) and :func:`babel_extract`, the
extractor registered under Babel's ``babel.extractors`` entry point as
``pipeline_yaml`` so that ``pybabel extract -F babel.cfg`` finds the same
messages.

Each message carries the context of :mod:`pipeline.i18n.messages`, a ``#:``
reference to the YAML line it is written on, and ``#.`` notes for the
translator: the voice that speaks it, the English duration estimate and the
budget for the translation (:mod:`pipeline.i18n.budget`). Template parts
with ``{placeholders}`` are flagged ``python-brace-format`` so that
``msgfmt --check`` verifies them too.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pipeline.errors import PipelineError, display_path
from pipeline.i18n.budget import translator_notes
from pipeline.i18n.messages import STATION_NAME_CONTEXT, SourceMessage, episode_messages, shared_messages
from pipeline.i18n.pofile import FUZZY, PoEntry, PoFile, po_bytes, read_po_file, write_po_file
from pipeline.project.layout import EPISODES_DIR, POT_DIR, pot_path, project_of
from pipeline.project.script import SHARED_DOMAIN, Project, load_project, placeholders_of

BRACE_FORMAT = "python-brace-format"
_DATE_PLACEHOLDER = "YEAR-MO-DA HO:MI+ZONE"


@dataclass
class ExtractReport:
    """Which template files were written, left alone or removed."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    messages: int = 0


def domain_messages(project: Project) -> dict[str, list[SourceMessage]]:
    """Every domain's messages: the shared ``station`` domain, then each episode."""
    domains = {SHARED_DOMAIN: shared_messages(project)}
    for episode in project.episodes.values():
        domains[episode.id] = episode_messages(project, episode)
    return domains


def template_entry(message: SourceMessage, project: Project) -> PoEntry:
    """The .pot entry of one message."""
    location = message.location
    reference = f"{location.path}:{location.line}" if location.line else location.path
    flags = [BRACE_FORMAT] if is_format_string(message) else []
    return PoEntry(
        message.text,
        msgctxt=message.context,
        extracted=translator_notes(message, project.station),
        references=[reference],
        flags=flags,
    )


def is_format_string(message: SourceMessage) -> bool:
    """True for template parts with ``{placeholders}``; episode text is never formatted."""
    if message.domain != SHARED_DOMAIN or message.context == STATION_NAME_CONTEXT:
        return False
    try:
        return bool(placeholders_of(message.text))
    except ValueError:
        return False


def template_catalogs(project: Project, created: str = _DATE_PLACEHOLDER) -> dict[str, PoFile]:
    """One template catalog per domain, dated ``created``."""
    catalogs = {}
    for domain, messages in domain_messages(project).items():
        header = PoEntry("", _header_text(project, domain, created))
        header.comments = _header_comments(project, domain)
        header.flags = [FUZZY]
        entries = [header, *(template_entry(message, project) for message in messages)]
        catalogs[domain] = PoFile(entries)
    return catalogs


def _header_text(project: Project, domain: str, created: str) -> str:
    fields = [
        ("Project-Id-Version", f"{project.station.name} {domain}"),
        ("Report-Msgid-Bugs-To", ""),
        ("POT-Creation-Date", created),
        ("PO-Revision-Date", _DATE_PLACEHOLDER),
        ("Last-Translator", "FULL NAME <EMAIL@ADDRESS>"),
        ("Language-Team", "LANGUAGE <LL@li.org>"),
        ("Language", ""),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    return "".join(f"{name}: {value}\n" for name, value in fields)


def _header_comments(project: Project, domain: str) -> list[str]:
    station = project.station.name
    if domain == SHARED_DOMAIN:
        what = f"{station}: the station name and the spoken parts of the segment templates."
    else:
        episode = project.episodes[domain]
        what = f"{station}: episode '{domain}' ({episode.path})."
    return [what, "Made by 'pipeline i18n extract' from the scripts: edit those, not this file."]


def write_templates(project: Project, now: dt.datetime | None = None) -> ExtractReport:
    """Write every domain's template; one whose messages did not change keeps its bytes."""
    root = project.root
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M%z")
    report = ExtractReport()
    catalogs = template_catalogs(project)
    for domain, catalog in catalogs.items():
        path = pot_path(root, domain)
        report.messages += len(catalog.messages())
        previous = _previous_template(path, root)
        if previous is not None:
            catalog.width = previous.wrap_width()  # the file keeps its wrapping
            catalog.set_header_field("POT-Creation-Date", previous.header_field("POT-Creation-Date") or stamp)
            if path.read_bytes() == po_bytes(catalog):
                report.unchanged.append(path)
                continue
        catalog.set_header_field("POT-Creation-Date", stamp)
        write_po_file(path, catalog)
        report.written.append(path)
    folder = root / POT_DIR
    for stale in sorted(folder.glob("*.pot")) if folder.is_dir() else []:
        if stale.stem not in catalogs:
            stale.unlink()
            report.removed.append(stale)
    return report


def _previous_template(path: Path, root: Path) -> PoFile | None:
    if not path.exists():
        return None
    try:
        return read_po_file(path, root)
    except PipelineError:
        return None  # a damaged template is simply written anew


# --------------------------------------------------------------------------- Babel


def babel_extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor for the YAML scripts (``[pipeline_yaml: ...]`` in babel.cfg).

    Yields ``(line, "pgettext", (context, text), notes)`` for every message
    written in the file, exactly as ``pipeline i18n extract`` sees it; a
    project that does not validate stops the run with its problems listed.
    """
    path = Path(getattr(fileobj, "name", "")).resolve()
    root = _project_root(path, options)
    try:
        project, messages = _messages_of_file(root, path)
    except PipelineError as error:
        print(str(error), file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    for message in messages:
        notes = translator_notes(message, project.station)
        yield (message.location.line or 1, "pgettext", (message.context, message.text), notes)


def _project_root(path: Path, options: dict[str, Any]) -> Path:
    if options.get("project"):
        return Path(options["project"]).resolve()
    return project_of(path) or path.parent


def _messages_of_file(root: Path, path: Path) -> tuple[Project, list[SourceMessage]]:
    shown = display_path(path, root)
    in_episodes = path.parent == (root / EPISODES_DIR).resolve()
    project = load_project(root, [path] if in_episodes else [])
    if in_episodes:
        messages = [m for e in project.episodes.values() for m in episode_messages(project, e)]
    else:
        messages = [m for m in shared_messages(project) if m.location.path == shown]
    return project, messages
