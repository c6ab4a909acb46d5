"""The content model: segment templates and episode scripts, loaded and validated.

Entry points: :func:`load_project` (station + templates + every episode under
``scripts_src/episodes``) and :func:`load_episode_file` (one script, e.g. a
draft written by ``pipeline ingest``). Loading validates everything and
raises :class:`~pipeline.errors.ValidationFailed` listing every problem with
its ``file:line``.

A *template* (``scripts_src/templates/<name>.yaml``) declares the fields a
segment supplies and the parts that are spoken: each part has text with
``{placeholders}``, a voice role and pauses. An *episode*
(``scripts_src/episodes/*.yaml``) has an id, a title, a date and an ordered
list of segments; each segment names a template and gives its fields. An
episode may name the station languages it is made in (``languages: [en]``,
e.g. while no translation exists): it is built, counted and reported only in
those.
"""

from __future__ import annotations

import datetime as dt
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import Problem, SourceLocation, ValidationFailed, display_path
from pipeline.project.layout import EPISODES_DIR, TEMPLATES_DIR
from pipeline.project.schema import Checker
from pipeline.project.station import Station, load_station
from pipeline.project.yamlsource import KeyPath, LocatedDocument, load_located

FieldType = Literal["text", "paragraphs", "date", "number"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "paragraphs", "date", "number")
GLOBAL_PLACEHOLDERS = ("station", "episode_title", "episode_date")
SHARED_DOMAIN = "station"
RESERVED_FIELD_NAMES = ("id", "template", *GLOBAL_PLACEHOLDERS)


@dataclass(frozen=True)
class FieldSpec:
    """A field a template expects from its segments."""

    name: str
    type: FieldType
    optional: bool = False
    description: str = ""


@dataclass(frozen=True)
class TemplatePart:
    """One spoken part of a template."""

    template: str
    index: int  # 1-based position in the template
    text: str
    voice: str
    pause_before: float
    pause_after: float
    placeholders: tuple[str, ...]
    location: SourceLocation
    unless: str | None = None  # skip the part when this optional field is given
    repeat: int = 1  # 2, 3 … for a part whose text an earlier part of the template already has

    @property
    def context(self) -> str:
        """The gettext context of this part's text (see :mod:`pipeline.i18n.messages`): the
        template's, whatever the part's position, so inserting a part changes no other."""
        return f"{self.template}.parts" + (f"#{self.repeat}" if self.repeat > 1 else "")

    @property
    def is_translatable(self) -> bool:
        """False when the text is nothing but placeholders and spaces."""
        return bool(literal_text(self.text).strip(" \t\n.,:;!?-"))


@dataclass(frozen=True)
class Template:
    """A segment template: the fields it takes and the parts it speaks."""

    name: str
    description: str
    fields: dict[str, FieldSpec]
    parts: tuple[TemplatePart, ...]
    path: str

    def list_field_of(self, part: TemplatePart) -> str | None:
        """The paragraphs field a part repeats over (text exactly ``{field}``), if any."""
        if len(part.placeholders) == 1:
            name = part.placeholders[0]
            spec = self.fields.get(name)
            if spec and spec.type == "paragraphs" and part.text.strip() == "{" + name + "}":
                return name
        return None


@dataclass(frozen=True)
class TextValue:
    """A ``text`` field's value: one translatable line."""

    name: str
    value: str
    location: SourceLocation
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class ParagraphsValue:
    """A ``paragraphs`` field's value: translatable paragraphs, each with where it is written."""

    name: str
    value: tuple[str, ...]
    location: SourceLocation
    item_locations: tuple[SourceLocation, ...]
    type: Literal["paragraphs"] = "paragraphs"


@dataclass(frozen=True)
class DateValue:
    """A ``date`` field's value, spoken in each language's long form."""

    name: str
    value: dt.date
    location: SourceLocation
    type: Literal["date"] = "date"


@dataclass(frozen=True)
class NumberValue:
    """A ``number`` field's value, spoken in each language's digits and separators."""

    name: str
    value: float
    location: SourceLocation
    type: Literal["number"] = "number"


# A segment's value for one field, tagged by ``type``.
FieldValue = TextValue | ParagraphsValue | DateValue | NumberValue


@dataclass(frozen=True)
class Segment:
    """One segment of an episode: a template filled with field values."""

    id: str
    number: int  # 1-based position in the episode
    template: str
    fields: dict[str, FieldValue]
    location: SourceLocation


@dataclass(frozen=True)
class Source:
    """Where an episode's facts come from (metadata, not spoken)."""

    publication: str
    title: str = ""
    date: dt.date | None = None
    file: str = ""
    url: str = ""


@dataclass(frozen=True)
class Episode:
    """An episode script: id, title, date and ordered segments."""

    id: str
    title: str
    date: dt.date
    segments: tuple[Segment, ...]
    path: str
    title_location: SourceLocation
    sources: tuple[Source, ...] = ()
    description: str = ""
    languages: tuple[str, ...] = ()  # the station languages it is made in; empty means all

    def is_made_in(self, lang: str) -> bool:
        """True when the episode is built in ``lang`` (every station language unless it names some)."""
        return not self.languages or lang in self.languages


@dataclass
class Project:
    """A content folder: its station, templates and episodes."""

    root: Path
    station: Station
    templates: dict[str, Template]
    episodes: dict[str, Episode] = field(default_factory=dict)
    loaded_ns: int = 0  # time.time_ns() when loading began (0: not loaded from files by load_project)


def placeholders_of(text: str) -> list[tuple[str, str, str | None]]:
    """Each ``{name}`` in ``text`` as (name, format_spec, conversion); raises ValueError."""
    found = []
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            found.append((name, spec or "", conversion))
    return found


def literal_text(text: str) -> str:
    """``text`` with its placeholders removed."""
    return "".join(literal for literal, *_ in string.Formatter().parse(text))


def load_project(root: Path, episode_files: Iterable[Path] | None = None) -> Project:
    """Load and validate the station, all templates and the episodes; report every problem.

    ``episode_files`` defaults to every ``*.yaml`` under ``scripts_src/episodes``.
    """
    loaded_ns = time.time_ns()
    problems: list[Problem] = []
    station = _collect(problems, load_station, root)
    templates, template_problems = read_templates(root, station)
    problems.extend(template_problems)
    if episode_files is None:
        episode_files = sorted((root / EPISODES_DIR).glob("*.yaml"))
    episodes: dict[str, Episode] = {}
    for path in episode_files:
        languages = station.languages if station else None
        episode = _collect(problems, load_episode_file, path, root, templates, languages)
        if episode is None:
            continue
        if episode.id in episodes:
            other = episodes[episode.id].path
            problems.append(
                Problem(
                    SourceLocation(episode.path, 1, "id"),
                    f"episode id '{episode.id}' is already used by {other}",
                )
            )
            continue
        episodes[episode.id] = episode
    if problems:
        raise ValidationFailed(problems)
    assert station is not None
    return Project(root, station, {name: t for name, t in templates.items() if t}, episodes, loaded_ns)


def _collect(problems: list[Problem], loader: Any, *args: Any) -> Any:
    try:
        return loader(*args)
    except ValidationFailed as failed:
        problems.extend(failed.problems)
        return None


def load_templates(root: Path, station: Station | None) -> dict[str, Template]:
    """Every template under ``scripts_src/templates``, keyed by file stem; all problems at once."""
    templates, problems = read_templates(root, station)
    if problems:
        raise ValidationFailed(problems)
    return {name: template for name, template in templates.items() if template is not None}


TemplateTable = dict[str, "Template | None"]


def read_templates(root: Path, station: Station | None) -> tuple[TemplateTable, list[Problem]]:
    """Templates by name (``None`` for a template with problems) and the problems found."""
    folder = root / TEMPLATES_DIR
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        where = SourceLocation(display_path(folder, root))
        return {}, [Problem(where, "no templates found (*.yaml)")]
    problems: list[Problem] = []
    templates: dict[str, Template | None] = {}
    roles = station.roles if station else None
    for path in paths:
        try:
            document = load_located(path, display_path(path, root))
            templates[path.stem] = TemplateReader(document, path.stem, roles).read()
        except ValidationFailed as failed:
            templates[path.stem] = None
            problems.extend(failed.problems)
    return templates, problems


class TemplateReader:
    """Validates one template document."""

    def __init__(self, document: LocatedDocument, name: str, roles: tuple[str, ...] | None) -> None:
        self.doc = document
        self.name = name
        self.roles = roles
        self.check = Checker(document)

    def read(self) -> Template:
        """The validated template; raises ValidationFailed on any problem."""
        check = self.check
        if check.slug((), self.name) is None:
            raise ValidationFailed(
                [
                    Problem(
                        SourceLocation(self.doc.path, 1),
                        f"template file name must be a safe id: '{self.name}'",
                    )
                ]
            )
        data = check.mapping((), self.doc.data, ("parts",), ("description", "fields")) or {}
        description = data.get("description", "")
        if "description" in data:
            check.string(("description",), description)
        fields = self._fields(data.get("fields", {}))
        parts = self._parts(data.get("parts"), fields)
        if check.problems:
            raise ValidationFailed(check.problems)
        return Template(self.name, description, fields, tuple(parts), self.doc.path)

    def _fields(self, value: Any) -> dict[str, FieldSpec]:
        table = self.check.table(("fields",), value)
        fields: dict[str, FieldSpec] = {}
        for name, spec in (table or {}).items():
            path = ("fields", name)
            if name in RESERVED_FIELD_NAMES:
                self.check.fail_key(path, f"'{name}' is reserved and cannot be a field name")
                continue
            if self.check.slug(path, name) is None:
                continue
            entry = self.check.mapping(path, spec, ("type",), ("optional", "description"))
            if not entry:
                continue
            kind = self.check.choice((*path, "type"), entry.get("type"), FIELD_TYPES)
            optional = entry.get("optional", False)
            if not isinstance(optional, bool):
                self.check.fail((*path, "optional"), f"expected true or false, got {optional!r}")
            if kind:
                fields[name] = FieldSpec(name, kind, bool(optional), entry.get("description", ""))
        return fields

    def _parts(self, value: Any, fields: dict[str, FieldSpec]) -> list[TemplatePart]:
        items = self.check.sequence(("parts",), value) or []
        parts = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            part = self._part(("parts", i), i + 1, item, fields)
            if part:
                seen[part.text] = seen.get(part.text, 0) + 1
                parts.append(replace(part, repeat=seen[part.text]))
        return parts

    def _part(self, path: KeyPath, index: int, value: Any, fields: dict[str, FieldSpec]) -> TemplatePart | None:
        entry = self.check.mapping(path, value, ("text", "voice"), ("pause_before", "pause_after", "unless"))
        if entry is None:
            return None
        unless = entry.get("unless")
        if unless is not None and not (unless in fields and fields[unless].optional):
            optional = [name for name, spec in fields.items() if spec.optional]
            self.check.fail(
                (*path, "unless"),
                f"expected one of the optional fields [{', '.join(optional)}], got {unless!r}",
            )
            return None
        text = self.check.string((*path, "text"), entry.get("text")) if "text" in entry else None
        voice = entry.get("voice")
        if "voice" in entry:
            voice = (
                self.check.choice((*path, "voice"), voice, self.roles)
                if self.roles
                else self.check.string((*path, "voice"), voice)
            )
        before = self.check.number((*path, "pause_before"), entry.get("pause_before", 0.0), 0, 30)
        after = self.check.number((*path, "pause_after"), entry.get("pause_after", 0.0), 0, 30)
        if text is None or voice is None or before is None or after is None:
            return None
        names = self._placeholders((*path, "text"), text, fields)
        if names is None:
            return None
        return TemplatePart(
            self.name,
            index,
            text,
            voice,
            float(before),
            float(after),
            tuple(names),
            self.doc.at(path),
            unless,
        )

    def _placeholders(self, path: KeyPath, text: str, fields: dict[str, FieldSpec]) -> list[str] | None:
        try:
            found = placeholders_of(text)
        except ValueError as exc:
            self.check.fail(path, f"bad placeholder syntax: {exc} (write a literal brace as '{{{{' or '}}}}')")
            return None
        names = []
        known = [*fields, *GLOBAL_PLACEHOLDERS]
        for name, spec, conversion in found:
            if spec or conversion or not name.isidentifier():
                self.check.fail(path, f"placeholder '{{{name}}}' must be a plain field name like '{{title}}'")
                return None
            if name not in known:
                self.check.fail(path, f"unknown placeholder '{{{name}}}' (known: {', '.join(known)})")
                return None
            spec_of = fields.get(name)
            if spec_of and spec_of.type == "paragraphs" and text.strip() != "{" + name + "}":
                self.check.fail(
                    path,
                    f"'{{{name}}}' is a list of paragraphs: give it a part of its own (text: '{{{name}}}')",
                )
                return None
            names.append(name)
        return names


def load_episode_file(
    path: Path,
    root: Path,
    templates: dict[str, Template | None],
    languages: tuple[str, ...] | None = None,
) -> Episode:
    """Load and validate one episode script against the templates (and the station's ``languages``)."""
    document = load_located(path, display_path(path, root))
    return EpisodeReader(document, templates, languages).read()


class EpisodeReader:
    """Validates one episode document against the known templates."""

    TOP_REQUIRED = ("id", "title", "date", "segments")
    TOP_OPTIONAL = ("description", "sources", "languages")
    SOURCE_KEYS = ("publication", "title", "date", "file", "url")

    def __init__(
        self,
        document: LocatedDocument,
        templates: Mapping[str, Template | None],
        station_languages: tuple[str, ...] | None = None,
    ) -> None:
        self.doc = document
        self.templates = templates
        self.station_languages = station_languages  # None: the station is unknown (or invalid)
        self.check = Checker(document)
        self.skipped = False  # a segment uses a template that has problems of its own

    def read(self) -> Episode:
        """The validated episode; raises ValidationFailed on any problem."""
        check = self.check
        data = check.mapping((), self.doc.data, self.TOP_REQUIRED, self.TOP_OPTIONAL) or {}
        episode_id = check.slug(("id",), data.get("id")) if "id" in data else None
        if episode_id == SHARED_DOMAIN:
            check.fail(("id",), f"'{SHARED_DOMAIN}' is reserved for the station-wide catalog")
        title = check.string(("title",), data.get("title")) if "title" in data else None
        date = check.date(("date",), data.get("date")) if "date" in data else None
        description = data.get("description", "")
        if "description" in data:
            check.string(("description",), description)
        sources = self._sources(data.get("sources", []))
        languages = self._languages(data["languages"]) if "languages" in data else ()
        segments = self._segments(data.get("segments")) if "segments" in data else []
        if check.problems or self.skipped:
            raise ValidationFailed(check.problems)
        assert episode_id and title and date
        return Episode(
            episode_id,
            title.strip(),
            date,
            tuple(segments),
            self.doc.path,
            self.doc.at(("title",)),
            tuple(sources),
            description,
            languages,
        )

    def _languages(self, value: Any) -> tuple[str, ...]:
        """``languages: [en]``: station languages, each once."""
        items = self.check.sequence(("languages",), value) or []
        chosen: list[str] = []
        for i, item in enumerate(items):
            path = ("languages", i)
            if self.station_languages is not None:
                lang = self.check.choice(path, item, self.station_languages)
            else:
                lang = self.check.string(path, item)
            if lang is None:
                continue
            if lang in chosen:
                self.check.fail(path, f"language '{lang}' is listed twice")
                continue
            chosen.append(lang)
        return tuple(chosen)

    def _sources(self, value: Any) -> list[Source]:
        items = self.check.sequence(("sources",), value, allow_empty=True) or []
        sources = []
        for i, item in enumerate(items):
            path = ("sources", i)
            entry = self.check.mapping(path, item, ("publication",), self.SOURCE_KEYS[1:])
            if not entry:
                continue
            texts = {}
            for key in ("publication", "title", "file", "url"):
                if key in entry:
                    texts[key] = self.check.string((*path, key), entry[key]) or ""
            date = self.check.date((*path, "date"), entry["date"]) if "date" in entry else None
            sources.append(
                Source(
                    texts.get("publication", ""),
                    texts.get("title", ""),
                    date,
                    texts.get("file", ""),
                    texts.get("url", ""),
                )
            )
        return sources

    def _segments(self, value: Any) -> list[Segment]:
        items = self.check.sequence(("segments",), value) or []
        segments: list[Segment] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            segment = self._segment(("segments", i), i + 1, item)
            if segment is None:
                continue
            if segment.id in seen:
                self.check.fail(
                    ("segments", i, "id"),
                    f"segment id '{segment.id}' is already used by segments[{seen[segment.id]}]",
                )
                continue
            seen[segment.id] = i
            segments.append(segment)
        return segments

    def _segment(self, path: KeyPath, number: int, value: Any) -> Segment | None:
        check = self.check
        if not isinstance(value, dict):
            check.fail(path, f"expected a mapping with 'id' and 'template', got {type(value).__name__}")
            return None
        for key in ("id", "template"):
            if key not in value:
                check.fail(path, f"missing key '{key}'")
        segment_id = check.slug((*path, "id"), value["id"]) if "id" in value else None
        template_name = value.get("template")
        template = self.templates.get(template_name) if isinstance(template_name, str) else None
        if template is None and template_name in self.templates:
            self.skipped = True  # the template's own problems are reported; don't pile on
            return None
        if "template" in value and template is None:
            known = ", ".join(sorted(self.templates)) or "none"
            check.fail((*path, "template"), f"unknown template {template_name!r} (known: {known})")
        if template is None or segment_id is None:
            return None
        fields = self._fields(path, value, template)
        if fields is None:
            return None
        return Segment(segment_id, number, template.name, fields, self.doc.at(path))

    def _fields(self, path: KeyPath, value: dict[str, Any], template: Template) -> dict[str, FieldValue] | None:
        check = self.check
        before = len(check.problems)
        for key in value:
            if key not in ("id", "template") and key not in template.fields:
                known = ", ".join(template.fields) or "none"
                check.fail_key(
                    (*path, key),
                    f"unknown field '{key}' for template '{template.name}' (fields: {known})",
                )
        for name, spec in template.fields.items():
            if name not in value and not spec.optional:
                check.fail(path, f"missing field '{name}' (template '{template.name}' requires it)")
        fields: dict[str, FieldValue] = {}
        for name, spec in template.fields.items():
            if name in value:
                parsed = self._field_value((*path, name), spec, value[name])
                if parsed is not None:
                    fields[name] = parsed
        return fields if len(check.problems) == before else None

    def _field_value(self, path: KeyPath, spec: FieldSpec, value: Any) -> FieldValue | None:
        check = self.check
        at = self.doc.at(path)
        if spec.type == "text":
            text = check.string(path, value)
            return TextValue(spec.name, " ".join(text.split()), at) if text else None
        if spec.type == "paragraphs":
            items = check.sequence(path, value)
            if items is None:
                return None
            texts = [check.string((*path, i), item) for i, item in enumerate(items)]
            if any(t is None for t in texts):
                return None
            kept = [(" ".join(t.split()), self.doc.at((*path, i))) for i, t in enumerate(texts) if t]
            return ParagraphsValue(spec.name, tuple(t for t, _ in kept), at, tuple(where for _, where in kept))
        if spec.type == "date":
            date = check.date(path, value)
            return DateValue(spec.name, date, at) if date else None
        number = check.number(path, value, -1e15, 1e15)
        return NumberValue(spec.name, number, at) if number is not None else None
