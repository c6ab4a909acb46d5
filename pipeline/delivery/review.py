"""Review pages: every episode's script in each language, line by line, beside its audio.

Entry points: :func:`write_review_pages` (the build's stage: writes
``<out>/_review/<episode>.html`` for every episode built and
``<out>/_review/index.html``), :func:`review_checks` (the translators' check
findings the pages show, which a build reads while its jobs run),
:func:`review_page` (the page model of one episode, a plain data structure)
and :func:`match_cues`.

A page holds, per segment, its title, an audio player per language with the
file's status, loudness and duration from ``manifest.json``, and one row per
spoken part: the source language beside each other language, one line per
sentence. A line that is in the audio carries its cue (the seconds the LRC
and SRT files give it), so the page can play exactly that line; a line that
is not says why. Lines whose catalog entries are untranslated, fuzzy, absent
or fail a translators' check carry marks with the catalog's ``file:line``
(:mod:`pipeline.delivery.review_marks`). The HTML is made by
:mod:`pipeline.delivery.review_html`.

Cues are matched to sentences by their written text, in order: a sentence
that was not spoken (nothing left to say after normalisation) has no cue,
and when the cues of a file do not all match (the audio is older than the
text) no line of it gets one.
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.delivery.review_marks import CatalogMarks, Mark
from pipeline.errors import CatalogError, SourceLocation
from pipeline.formats.lyrics import Cue
from pipeline.formats.manifests import ManifestWriter
from pipeline.formats.output import target_folder
from pipeline.fsutil import write_if_changed
from pipeline.i18n.catalogs import Lookup, Translator
from pipeline.i18n.messages import EPISODE_TITLE_CONTEXT, SourceMessage
from pipeline.project.layout import REVIEW_FOLDER
from pipeline.project.script import SHARED_DOMAIN, Episode, Project
from pipeline.render import LocalisedEpisode, RenderedSegment, SpokenPart, render_episode
from pipeline.speech import SpeechChunk

INDEX_NAME = "index.html"
READY = "ready"  # a segment's audio is there
LEFT_OUT = "left out"  # the segment is not in the language's audio (a translation is missing)
NOT_BUILT = "not built"  # the language's folder was not built (incomplete or failed)
GAP = "⟨not translated⟩"  # in the shown text of a left-out segment, where a translation is missing
EARLIER = "built earlier"  # a language this build did not touch: its folder as an earlier build left it
TEXT_ONLY = "text only"  # the source language when the station does not broadcast in it
AUDIO_READY = ("built", "unchanged", "partial", EARLIER)  # partial: built without the segments left out

MarkLookup = Callable[[str, SourceMessage], tuple[Mark, ...]]  # (language, message) -> marks


@dataclass(frozen=True)
class LanguageBuild:
    """One language of an episode as the build left it: the rendered text and its folder."""

    localised: LocalisedEpisode
    status: str  # the folder's build status: built, unchanged, partial, incomplete, failed, interrupted (or EARLIER)
    folder: Path | None = None
    files: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # the manifest's file records
    errors: tuple[str, ...] = ()
    # The text of the segments left out, with GAP for each missing translation (shown, never spoken).
    with_gaps: LocalisedEpisode | None = None

    @property
    def lang(self) -> str:
        """The language code."""
        return self.localised.lang


@dataclass(frozen=True)
class Line:
    """One sentence in one language; ``cue`` when it is in the audio, else ``note`` says why not."""

    text: str
    cue: Cue | None = None
    note: str = ""


@dataclass(frozen=True)
class Cell:
    """One spoken part in one language."""

    lang: str
    lines: tuple[Line, ...]
    marks: tuple[Mark, ...] = ()
    note: str = ""  # why the part has no text or audio in this language


@dataclass(frozen=True)
class Row:
    """One spoken part: its voice role and a cell per language, the source language first."""

    role: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Audio:
    """A segment's file in one language: where it is (relative to the page) and what was measured."""

    lang: str
    status: str  # READY, LEFT_OUT or NOT_BUILT
    title: str
    href: str | None = None
    duration: float | None = None
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None
    note: str = ""


@dataclass(frozen=True)
class ReviewSegment:
    """One segment: where it is written, its audio per language and its rows."""

    id: str
    number: int
    origin: str
    audio: tuple[Audio, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class ReviewPage:
    """One episode's review page."""

    episode: str
    date: str
    profile: str
    languages: tuple[str, ...]  # the source language first
    titles: tuple[tuple[str, str], ...]  # (language, title)
    segments: tuple[ReviewSegment, ...]
    marks: tuple[Mark, ...] = ()  # of the episode title
    notes: tuple[str, ...] = ()  # problems that concern the whole page


def review_page(
    source: LanguageBuild,
    others: Sequence[LanguageBuild],
    marks: MarkLookup,
    page_dir: Path,
    profile: str,
) -> ReviewPage:
    """The page model of one episode: ``source`` beside each of ``others``."""
    builds = (source, *others)
    episode = source.localised.episode
    title_message = SourceMessage(episode.id, EPISODE_TITLE_CONTEXT, episode.title, episode.title_location)
    page_notes = [f"{b.lang}: {b.localised.error}" for b in builds if b.localised.error]
    return ReviewPage(
        episode=episode.id,
        date=episode.date.isoformat(),
        profile=profile,
        languages=tuple(b.lang for b in builds),
        titles=tuple((b.lang, b.localised.title or "") for b in builds),
        segments=tuple(_segment(builds, number, marks, page_dir) for number in range(len(episode.segments))),
        marks=_unique(mark for b in others for mark in marks(b.lang, title_message)),
        notes=tuple(page_notes),
    )


def page_summary(page: ReviewPage) -> list[str]:
    """One line per language: how many segments are in its audio, and its marks by severity."""
    lines = []
    for index, lang in enumerate(page.languages):
        audio = [a for segment in page.segments for a in segment.audio if a.lang == lang]
        if all(a.status == TEXT_ONLY for a in audio):
            continue
        ready = sum(1 for a in audio if a.status == READY)
        found = {m for s in page.segments for row in s.rows for m in row.cells[index].marks}
        if index:
            found |= set(page.marks)
        severities = [m.severity for m in found]
        counts = [_count(severities.count(kind), kind) for kind in ("error", "warning")] if index else []
        lines.append(" · ".join([f"{lang}: {ready} of {_count(len(audio), 'segment')} in the audio", *counts]))
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _segment(builds: Sequence[LanguageBuild], index: int, marks: MarkLookup, page_dir: Path) -> ReviewSegment:
    script = builds[0].localised.episode.segments[index]
    rendered = [_rendered(b.localised, script.id) for b in builds]
    audio = [_audio(b, segment, script.id, page_dir) for b, segment in zip(builds, rendered, strict=True)]
    cues = [_cues_by_sentence(b, segment, a) for b, segment, a in zip(builds, rendered, audio, strict=True)]
    gapped = [
        _rendered(b.with_gaps, script.id) if b.with_gaps and not s else None
        for b, s in zip(builds, rendered, strict=True)
    ]
    skeleton = next((s.parts for s in rendered if s is not None), ())
    rows = []
    for position in range(max((len(s.parts) for s in rendered if s is not None), default=0)):
        cells = [
            _cell(b, segment, skeleton, position, sentence_cues, a, marks, gaps)
            for b, segment, sentence_cues, a, gaps in zip(builds, rendered, cues, audio, gapped, strict=True)
        ]
        role = skeleton[position].role if position < len(skeleton) else ""
        rows.append(Row(role, tuple(cells)))
    return ReviewSegment(script.id, script.number, str(script.location), tuple(audio), tuple(rows))


def _rendered(localised: LocalisedEpisode, segment_id: str) -> RenderedSegment | None:
    return next((s for s in localised.segments if s.id == segment_id), None)


def _audio(build: LanguageBuild, segment: RenderedSegment | None, segment_id: str, page_dir: Path) -> Audio:
    """The segment's file in one language, or why there is none."""
    lang = build.lang
    title = segment.title if segment is not None else ""
    if segment is None:
        missing = build.localised.incomplete.get(segment_id) or build.localised.episode_missing
        why = missing[0].lookup.reason() if missing else "a catalog it needs cannot be read"
        return Audio(lang, LEFT_OUT, title, note=f"not in the audio: {why}")
    if build.status == TEXT_ONLY:
        return Audio(lang, TEXT_ONLY, title)
    if build.status == NOT_BUILT:
        return Audio(lang, NOT_BUILT, title, note=f"no audio: the {lang} episode has not been built yet")
    if build.status not in AUDIO_READY or build.folder is None:
        why = f"the {lang} episode was not built ({build.status})"
        return Audio(lang, NOT_BUILT, title, note=why + (f": {build.errors[0]}" if build.errors else ""))
    name, record = _segment_record(build.files, segment_id)
    if record is None:
        return Audio(lang, NOT_BUILT, title, note="no audio file for this segment")
    return Audio(
        lang,
        READY,
        title,
        href=_href(build.folder, name, page_dir),
        duration=_number(record.get("duration")),
        loudness_lufs=_number(record.get("loudness_lufs")),
        true_peak_dbtp=_number(record.get("true_peak_dbtp")),
        note="from an earlier build" if build.status == EARLIER else "",
    )


def _segment_record(files: Mapping[str, Mapping[str, Any]], segment_id: str) -> tuple[str, Mapping[str, Any] | None]:
    for name in sorted(files):
        record = files[name]
        if isinstance(record, Mapping) and record.get("kind") == "segment" and record.get("segment") == segment_id:
            return name, record
    return "", None


def _href(folder: Path, name: str, page_dir: Path) -> str:
    return urllib.parse.quote(f"{_relative_folder(folder, page_dir)}/{name}")


@functools.lru_cache(maxsize=4096)
def _relative_folder(folder: Path, page_dir: Path) -> str:
    """``folder`` as seen from the review pages, worked out once per folder, not per file."""
    return Path(os.path.relpath(folder, page_dir)).as_posix()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _cues_by_sentence(build: LanguageBuild, segment: RenderedSegment | None, audio: Audio) -> list[Cue | None] | None:
    """The cue of each sentence of the segment, in order; None when the file's cues do not fit."""
    if segment is None or audio.status != READY:
        return None
    _, record = _segment_record(build.files, segment.id)
    raw = record.get("cues", []) if record is not None else []
    try:
        cues = [Cue(float(start), float(end), str(text)) for start, end, text in raw]
    except (TypeError, ValueError):
        return None
    return match_cues([s.written for part in segment.parts for s in part.sentences], cues)


def match_cues(sentences: Sequence[str], cues: Sequence[Cue]) -> list[Cue | None] | None:
    """Each sentence's cue (None for a sentence that was not spoken); None when the cues are
    not the spoken sentences in order."""
    matched: list[Cue | None] = []
    next_cue = 0
    for text in sentences:
        if next_cue < len(cues) and cues[next_cue].text == text:
            matched.append(cues[next_cue])
            next_cue += 1
        else:
            matched.append(None)
    return matched if next_cue == len(cues) else None


def _cell(
    build: LanguageBuild,
    segment: RenderedSegment | None,
    skeleton: Sequence[SpokenPart],
    position: int,
    cues: list[Cue | None] | None,
    audio: Audio,
    marks: MarkLookup,
    gapped: RenderedSegment | None = None,
) -> Cell:
    """Part ``position`` in one language: its sentences with their cues, and its marks (for a
    segment left out, its text with gaps where translations are missing)."""
    part = segment.parts[position] if segment is not None and position < len(segment.parts) else None
    shape = part or (skeleton[position] if position < len(skeleton) else None)
    found = _unique(mark for message in (shape.messages if shape else ()) for mark in marks(build.lang, message))
    if part is None:
        shown = gapped.parts[position].sentences if gapped and position < len(gapped.parts) else ()
        return Cell(
            build.lang, tuple(Line(s.written) for s in shown), found, _absent(audio) or "no text in this language"
        )
    assert segment is not None
    first = sum(len(p.sentences) for p in segment.parts[:position])
    lines = []
    for offset, sentence in enumerate(part.sentences):
        cue = cues[first + offset] if cues is not None else None
        note = ""
        if cue is None and cues is not None:
            note = "not in the audio: nothing to speak"
        lines.append(Line(sentence.written, cue, note))
    return Cell(build.lang, tuple(lines), found, _absent(audio))


def _absent(audio: Audio) -> str:
    """Why a cell's lines are not in the audio, in short (its player says it in full)."""
    if audio.status == LEFT_OUT:
        return "not in the audio: the segment is left out"
    if audio.status == NOT_BUILT:
        return f"not in the audio: no {audio.lang} audio was built"
    return ""


def _unique(marks: Iterable[Mark]) -> tuple[Mark, ...]:
    return tuple(dict.fromkeys(marks))


# --------------------------------------------------------------------------- the build's stage


def review_checks(project: Project, cache_dir: Path, episodes: Sequence[Episode] = ()) -> dict[str, CatalogMarks]:
    """The translators' check findings in every station language, those of the catalogs of
    ``episodes`` and the station's read (or worked out) now, the others when a page asks."""
    station = project.station
    checks = {lang: CatalogMarks(project.root, station, lang, cache_dir) for lang in station.languages}
    domains = [*dict.fromkeys(episode.id for episode in episodes), SHARED_DOMAIN] if episodes else []
    for domain in domains:
        probe = SourceMessage(domain, "", "", SourceLocation(domain))
        for marks in checks.values():
            marks.marks(probe)  # a language's first question about a domain reads that catalog's findings
    return checks


def write_review_pages(
    project: Project,
    builds: Sequence[LanguageBuild],
    out: Path,
    profile: str,
    cache_dir: Path,
    checks: dict[str, CatalogMarks] | None = None,
) -> list[Path]:
    """Write the review page of every episode in ``builds`` and the index; return the pages
    written (unchanged pages are left as they are). ``checks``: the findings from
    :func:`review_checks`, when the caller has read them already."""
    from pipeline.delivery.review_html import page_html  # the HTML writer needs the model

    page_dir = out / REVIEW_FOLDER
    station = project.station
    if checks is None:
        checks = review_checks(project, cache_dir)

    def marks(lang: str, message: SourceMessage) -> tuple[Mark, ...]:
        return checks[lang].marks(message) if lang in checks else ()

    written = []
    for episode_id, in_build in _by_episode(builds).items():
        episode = project.episodes[episode_id]
        languages = [_with_gaps(project, b) for b in _with_earlier_builds(project, episode, in_build, out, profile)]
        source = _source_build(project, episode, languages)
        others = [b for b in languages if b.lang != station.source_language]
        page = review_page(source, others, marks, page_dir, profile)
        problems = tuple(sorted({c.problem for c in checks.values() if c.problem}))
        if problems:
            page = replace(page, notes=page.notes + problems)
        path = page_dir / f"{episode.id}.html"
        if write_if_changed(path, page_html(page).encode("utf-8")):
            written.append(path)
    _remove_stale_pages(project, page_dir, out)
    if _write_index(project, page_dir):
        written.append(page_dir / INDEX_NAME)
    return written


def _by_episode(builds: Sequence[LanguageBuild]) -> dict[str, list[LanguageBuild]]:
    grouped: dict[str, list[LanguageBuild]] = {}
    for build in builds:
        grouped.setdefault(build.localised.episode.id, []).append(build)
    return grouped


def _with_earlier_builds(
    project: Project, episode: Episode, in_build: list[LanguageBuild], out: Path, profile: str
) -> list[LanguageBuild]:
    """The languages of this build, and the station's other languages as earlier builds left them
    (so that a build of one language does not take the others off the page)."""
    station = project.station
    done = {b.lang: b for b in in_build}
    languages = []
    for lang in station.languages:
        if lang in done:
            languages.append(done[lang])
            continue
        folder = target_folder(out, episode.id, lang, profile, station)
        manifest = ManifestWriter.load(folder)
        if manifest.files:
            languages.append(LanguageBuild(_render_written(project, episode, lang), EARLIER, folder, manifest.files))
    return languages


def _source_build(project: Project, episode: Episode, languages: list[LanguageBuild]) -> LanguageBuild:
    source = project.station.source_language
    for build in languages:
        if build.lang == source:
            return build
    status = NOT_BUILT if source in project.station.languages else TEXT_ONLY
    return LanguageBuild(_render_written(project, episode, source), status)


class _GapTranslator(Translator):
    """Lookups that give GAP where a language has no usable translation, so that the rest of a
    segment left out of the audio can be shown around it."""

    def lookup(self, domain: str, context: str, msgid: str) -> Lookup:
        """The translation, or GAP in its place."""
        found = super().lookup(domain, context, msgid)
        return found if found.ok else replace(found, text=GAP)


def _with_gaps(project: Project, build: LanguageBuild) -> LanguageBuild:
    """``build`` with the text of its left-out segments (only when it has some)."""
    localised = build.localised
    if localised.error or not (localised.incomplete or localised.episode_missing):
        return build
    return replace(build, with_gaps=_render_written(project, localised.episode, build.lang, _GapTranslator))


def _render_written(
    project: Project, episode: Episode, lang: str, translator_type: type[Translator] = Translator
) -> LocalisedEpisode:
    """The episode's text in ``lang`` as written (not normalised: no audio is made from it)."""
    translator = translator_type(project.root, lang, project.station.source_language)
    try:
        return render_episode(project, episode, lang, translator, lambda text: [SpeechChunk(text, lang)])
    except CatalogError as error:  # as in a build: a broken catalog is reported, not raised
        return LocalisedEpisode(episode, lang, None, None, error=str(error))


def _write_index(project: Project, page_dir: Path) -> bool:
    """List every page in the folder (a build of some episodes, or of a draft alone, keeps the
    others' pages): the project's episodes in script order, then any others by id."""
    from pipeline.delivery.review_html import index_html, page_title

    pages = {page.stem: page for page in page_dir.glob("*.html") if page.name != INDEX_NAME}
    order = [e for e in project.episodes if e in pages] + sorted(set(pages) - set(project.episodes))
    listed = []
    for episode in order:
        with pages[episode].open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
        title, summary = page_title(head)
        listed.append((episode, title or episode, summary))
    return write_if_changed(page_dir / INDEX_NAME, index_html(listed).encode("utf-8"))


def pages_of(out: Path, episode_ids: Iterable[str]) -> list[Path]:
    """The review pages in ``out`` of those of ``episode_ids`` that have one."""
    pages = (out / REVIEW_FOLDER / f"{episode}.html" for episode in episode_ids)
    return [page for page in pages if page.is_file()]


def remove_pages(project: Project, out: Path, episode_ids: Iterable[str]) -> list[Path]:
    """Remove the review pages of ``episode_ids`` from ``out`` and list the others in the index
    again (``pipeline clean --retracted``, after it removed those episodes' folders); return
    the pages removed."""
    removed = pages_of(out, episode_ids)
    for page in removed:
        page.unlink()
    index = out / REVIEW_FOLDER / INDEX_NAME
    if removed and index.is_file():
        _write_index(project, index.parent)
    return removed


def _remove_stale_pages(project: Project, page_dir: Path, out: Path) -> None:
    """Pages of episodes that are neither in the project as loaded nor in the output folder
    (removed or renamed; a draft built on its own loads no other episode, and keeps their pages)."""
    if not page_dir.is_dir():
        return
    for page in page_dir.glob("*.html"):
        stale = page.stem not in project.episodes and not (out / page.stem).is_dir()
        if page.name != INDEX_NAME and stale:
            page.unlink(missing_ok=True)
