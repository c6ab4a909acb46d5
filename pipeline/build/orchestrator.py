"""The build: episode scripts and catalogs in; levelled, tagged audio and its companions out.

Entry point: :func:`build`. It reads like the table of contents of the
pipeline: choose what to build, list output folders whose script is gone,
then — holding the project's build lock — take the episodes the memo of the
last build finds unchanged (:mod:`pipeline.build.built_memo`), render each other episode in each
language it is made in, resolve its voices and plan its output folders
(which segment files are missing or have changed inputs, or are forced; only
the ``--segment`` ones when named) one at a time (:class:`Planner`), each
folder's jobs submitted as soon as it is planned, so that the first start
while the rest is rendered; measure translation coverage while they run, and
finish each folder as its last job completes. The jobs run on an executor:
the local worker pool, or a Dask cluster's when the request names a
scheduler (:mod:`pipeline.build.cluster`; every folder is then planned
before the cluster is reached). Nothing is committed before every folder is
planned: an error found while planning one stops the build with nothing made. A failure fails
only its episode and language; the :class:`~pipeline.build.outcomes.BuildReport`
says what happened to each, and its exit status. A signal stops the workers
at once and the folders not finished are reported ``interrupted``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, as_completed, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.audio.ffmpeg import tool_path
from pipeline.build.assemble import FolderPlan, assemble_target, import_for_joining
from pipeline.build.built_memo import BuiltMemo
from pipeline.build.filehashes import FileHashes
from pipeline.build.interrupt import signal_number
from pipeline.build.lock import build_lock
from pipeline.build.outcomes import BuildProblem, BuildReport, Coverage, TargetOutcome, TargetStatus, signal_name
from pipeline.build.outputs import holds_build, retracted_folders
from pipeline.build.request import (
    BuildRequest,
    check_request,
    check_segments,
    local_pool,
    local_workers,
    select_episodes,
    select_languages,
    select_profiles,
)
from pipeline.build.runlog import BuildObserver, NullObserver
from pipeline.build.segments import (
    SegmentJob,
    SegmentMade,
    expected_seconds,
    make_segment_file,
    prepare_worker,
    segment_job,
    voice_keys,
)
from pipeline.build.timeline import mark
from pipeline.build.workers import PoolOnDemand, WorkerHooks
from pipeline.errors import (
    CatalogError,
    ClusterError,
    ClusterLost,
    ConfigError,
    PipelineError,
    SourceLocation,
)
from pipeline.formats.manifests import DATE_KEY, LEFT_OUT_KEY, SCRIPT_KEY, SOURCES_KEY, ManifestWriter
from pipeline.formats.output import Tags, episode_file_name, segment_file_name, target_folder
from pipeline.fsutil import commit_staged, links_between, remove_partials, replace_links
from pipeline.i18n.catalogs import Translator
from pipeline.project.fingerprints import Fingerprints, source_files
from pipeline.project.layout import (
    BUILT_MEMO,
    CACHE_DIR,
    COVERAGE_MEMO,
    FILE_HASHES,
    REVIEW_CACHE_DIR,
    SPEECH_TEXT_DIR,
)
from pipeline.project.script import Episode, Project
from pipeline.project.station import Profile, Station
from pipeline.render import LocalisedEpisode, RenderedSegment, render_episode
from pipeline.speech import SpeechChunk
from pipeline.speech.store import stored_normaliser
from pipeline.text.durations import blocked_seconds
from pipeline.tts import Voice, closing_backends, get_backend, resolve_voice

if TYPE_CHECKING:  # the review pages' machinery is imported once the jobs are submitted
    from pipeline.delivery.review_marks import CatalogMarks

__all__ = [
    "BuildReport",
    "BuildRequest",
    "Coverage",
    "TargetOutcome",
    "TargetStatus",
    "build",
    "check_request",
    "render_all",
    "select_episodes",
    "select_languages",
]


# A folder's manifest is saved with the segment files recorded so far at most this often (and
# whenever the run ends or stops): saved after every file, a folder of n segments cost n saves
# of a growing manifest (500 segments: 3.6 s of CPU), so a build stopped halfway keeps what it made.
PROGRESS_SAVE_SECONDS = 1.0


@dataclass
class _Target:
    """One output folder being made: its plan, manifest, jobs and outcome."""

    outcome: TargetOutcome
    profile: Profile
    plan: FolderPlan | None = None
    manifest: ManifestWriter | None = None
    jobs: list[SegmentJob] = field(default_factory=list)
    pending: int = 0
    out_of_date: list[str] = field(default_factory=list)  # segment files left as they are (--segment)
    saved_at: float = float("-inf")  # time.monotonic() of the manifest's last save with new records (never)
    unchanged: bool = False  # its episode was found unchanged without rendering (see built_memo)


def build(
    project: Project,
    request: BuildRequest,
    observer: BuildObserver | None = None,
    executor: Executor | None = None,
    workers: PoolOnDemand | None = None,
) -> BuildReport:
    """Build the requested episodes, languages and profiles of ``project``.

    A signal (Ctrl-C, or SIGTERM/SIGHUP inside :func:`~pipeline.build.interrupt.stop_on_signals`)
    stops the workers at once; the report then says what was finished and the run is
    ``interrupted``. When the build will surely make files (an output folder it makes has no
    manifest yet, or ``--force``), the local workers start before rendering, so that their start
    overlaps it and the planning of the first folder; otherwise they start when the first job
    is submitted.
    ``workers`` is the local pool when the caller made it (:func:`~pipeline.build.request.local_workers`,
    which has started the workers already when they are surely needed); the build stops it when
    it ends, as it does the one it makes otherwise.
    """
    started = time.monotonic()
    observer = observer or NullObserver()
    episodes = select_episodes(project, request.episodes)
    languages = select_languages(project.station, request.languages)
    profiles = select_profiles(project.station, request.profiles)
    check_segments(episodes, request.segments)
    for tool in ("ffmpeg", "ffprobe"):
        tool_path(tool)  # fail before any work when one is missing
    report = BuildReport(dry_run=request.dry_run, subset=describe_subset(project, request))
    hashes = FileHashes.load(project.root / FILE_HASHES)
    fingerprints = Fingerprints(project.root)
    memo = BuiltMemo(project.root / BUILT_MEMO, fingerprints)  # read under the build lock
    planner = Planner(project, episodes, languages, profiles, request, hashes, memo, fingerprints)
    try:
        if workers is None:  # the build's own pool; none is started for jobs run on ``executor``
            workers = (
                local_workers(project, request)
                if executor is None
                else PoolOnDemand(functools.partial(local_pool, request))
            )
        with workers as local, closing_backends():
            report.retracted = retracted_folders(project, request.out)
            if request.dry_run:
                planner.plan_all()
                report.coverage = coverage(project, episodes, languages)
            else:
                checks: dict[str, CatalogMarks] = {}
                meanwhile = functools.partial(
                    while_jobs_start, project, episodes, languages, planner.targets, report, checks
                )
                pages = functools.partial(
                    review_pages, project, planner.localised, planner.targets, request.out, profiles[0], checks
                )
                remember = functools.partial(remember_built, project, planner, request, memo)

                def then() -> None:
                    pages()
                    remember()

                run_locked(
                    project,
                    planner,
                    request,
                    observer,
                    executor,
                    local,
                    hashes,
                    report.retracted,
                    then,
                    meanwhile,
                )
    except KeyboardInterrupt as stop:
        report.interrupted = signal_number(stop)
        stop_unfinished(planner.targets, observer, report.interrupted)
    report.outcomes = [target.outcome for target in planner.in_order()]
    report.seconds = time.monotonic() - started
    if not request.dry_run:
        observer.finish(report)
    return report


def cluster_executor(
    project: Project, request: BuildRequest, targets: list[_Target], executor: Executor | None
) -> contextlib.AbstractContextManager[Executor | None]:
    """The Dask cluster's executor (connected and its workers checked) when the build names a
    scheduler and has jobs to run; otherwise nothing, and ``distributed`` is never imported."""
    jobs = [job for target in targets for job in target.jobs]
    if executor is not None or not request.scheduler or not jobs:
        return contextlib.nullcontext()
    try:
        from pipeline.build.cluster import open_cluster
    except ModuleNotFoundError as error:
        if error.name not in ("distributed", "dask"):
            raise
        raise ClusterError("--scheduler needs Dask: pip install 'broadcast-pipeline[cluster]'") from None
    from pipeline.build.worker_env import probe_for, token_folders

    probe = probe_for(project.root, project.station, jobs)
    shared = token_folders(project.root / CACHE_DIR, request.out)
    hooks = WorkerHooks(initializer=prepare_worker)
    folders = [target.outcome.folder for target in targets if target.jobs and target.outcome.folder is not None]
    return open_cluster(request.scheduler, probe, shared, request.job_timeout, hooks, staged_in=folders)


def _holder(previous: dict[str, object]) -> str:
    return f"pid {previous.get('pid')} on {previous.get('host')}"


def describe_subset(project: Project, request: BuildRequest) -> str:
    """What the run was limited to (empty when it builds every episode in every language)."""
    limits = []
    if request.episodes:
        limits.append(f"episodes {', '.join(request.episodes)}")
    if request.languages and set(request.languages) != set(project.station.languages):
        limits.append(f"languages {', '.join(request.languages)}")
    if request.segments:
        limits.append(f"segments {', '.join(request.segments)}")
    return "; ".join(limits)


def render_all(
    project: Project,
    episodes: list[Episode],
    languages: list[str],
    partial: bool = False,
    made_in_only: bool = False,
) -> dict[tuple[str, str], LocalisedEpisode]:
    """Every episode in every language, rendered before any audio is made (``partial``: a preview
    with gaps; ``made_in_only``: only in the languages each episode's script allows)."""
    return dict(render_each(project, episodes, languages, partial, made_in_only))


def render_each(
    project: Project,
    episodes: list[Episode],
    languages: list[str],
    partial: bool = False,
    made_in_only: bool = False,
) -> Iterator[tuple[tuple[str, str], LocalisedEpisode]]:
    """:func:`render_all` one episode and language at a time, languages outermost; each
    language's speech-text store is saved once its last episode is rendered."""
    for lang in languages:
        chosen = [e for e in episodes if e.is_made_in(lang)] if made_in_only else episodes
        if not chosen:
            continue
        translator = Translator(project.root, lang, project.station.source_language)
        normalise = stored_normaliser(project.root / SPEECH_TEXT_DIR, project.root, project.station, lang)
        for episode in chosen:
            try:
                localised = render_episode(project, episode, lang, translator, normalise, partial)
            except CatalogError as error:  # a broken catalog fails its episodes, not the build
                localised = LocalisedEpisode(episode, lang, None, None, error=str(error), error_location=error.location)
            yield (episode.id, lang), localised
        normalise.save(prune=len(episodes) == len(project.episodes))  # a partial render keeps the rest


class VoiceBook:
    """The installed voices of the (language, role) pairs met so far, each resolved once, and
    the error of each pair that cannot be spoken (not configured, or not installed)."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self.voices: dict[tuple[str, str], Voice] = {}
        self.errors: dict[tuple[str, str], PipelineError] = {}

    def add(self, segments: Iterable[RenderedSegment]) -> None:
        """Resolve the pairs ``segments`` need that were not met before."""
        for key in sorted(_needed_voices(segments) - self.voices.keys() - self.errors.keys()):
            lang, role = key
            if lang not in self.station.voices or role not in self.station.voices[lang]:
                self.errors[key] = ConfigError(
                    f"voices.{lang}.{role}: no voice configured", SourceLocation(self.station.path)
                )
                continue
            spec = self.station.voice(lang, role)
            try:
                self.voices[key] = resolve_voice(spec, lang, role, get_backend(spec.backend))
            except PipelineError as error:
                self.errors[key] = error

    def blocking(self, segments: Iterable[RenderedSegment]) -> list[PipelineError]:
        """The errors of the pairs ``segments`` need, in the pairs' order."""
        return [self.errors[key] for key in sorted(_needed_voices(segments)) if key in self.errors]


def _needed_voices(segments: Iterable[RenderedSegment]) -> set[tuple[str, str]]:
    """The (language, role) pairs that speak in ``segments``."""
    needed: set[tuple[str, str]] = set()
    for segment in segments:
        needed |= voice_keys(segment)
    return needed


def resolve_voices(
    station: Station, segments: Iterable[RenderedSegment]
) -> tuple[dict[tuple[str, str], Voice], dict[str, PipelineError]]:
    """Installed voices for every (language, role) the rendered text needs; errors per language."""
    book = VoiceBook(station)
    book.add(segments)
    errors: dict[str, PipelineError] = {}
    for (lang, _), error in sorted(book.errors.items()):
        errors.setdefault(lang, error)
    return book.voices, errors


class Planner:
    """The build's output folders, rendered and planned one episode and language at a time, in
    the order their jobs are submitted: iterating yields each folder's targets as soon as they
    are planned (those planned already first), so that a folder's jobs can start while the next
    is rendered. ``targets`` and ``localised`` hold everything planned so far."""

    def __init__(
        self,
        project: Project,
        episodes: list[Episode],
        languages: list[str],
        profiles: list[Profile],
        request: BuildRequest,
        hashes: FileHashes | None = None,
        memo: BuiltMemo | None = None,
        fingerprints: Fingerprints | None = None,
    ) -> None:
        self.project, self.profiles, self.request, self.hashes = project, profiles, request, hashes
        self.episodes, self.languages, self.memo = episodes, languages, memo
        self.targets: list[_Target] = []
        self.localised: dict[tuple[str, str], LocalisedEpisode] = {}
        self.voices = VoiceBook(project.station)
        self._rendered: Iterator[tuple[tuple[str, str], LocalisedEpisode]] | None = None
        self._fingerprints = fingerprints or Fingerprints(project.root)
        self._done = False

    def __iter__(self) -> Iterator[_Target]:
        index = 0
        while index < len(self.targets) or self._plan_next():
            yield self.targets[index]
            index += 1

    def plan_all(self) -> list[_Target]:
        """Render and plan every folder not planned yet; every target."""
        while self._plan_next():
            pass
        return self.targets

    def in_order(self) -> list[_Target]:
        """Every target so far in build order: languages, then episodes, then profiles (the
        episodes found unchanged are planned first, without rendering)."""
        languages = {lang: index for index, lang in enumerate(self.languages)}
        episodes = {episode.id: index for index, episode in enumerate(self.episodes)}
        profiles = {profile.name: index for index, profile in enumerate(self.profiles)}

        def place(target: _Target) -> tuple[int, int, int]:
            outcome = target.outcome
            return languages.get(outcome.lang, 0), episodes.get(outcome.episode, 0), profiles[target.profile.name]

        return sorted(self.targets, key=place)

    def _plan_next(self) -> bool:
        """Render the next episode and language and plan its folders; False when none is left.
        The first call takes the episodes the memo finds unchanged instead."""
        if self._done:
            return False
        if self._rendered is None:
            left = self._take_unchanged()
            self._rendered = render_each(self.project, left, self.languages, made_in_only=True)
            if len(left) < len(self.episodes):
                return True
        rendered = next(self._rendered, None)
        if rendered is None:
            self._done = True
            mark("rendered")
            mark("planned")
            return False
        key, item = rendered
        self.localised[key] = item
        self.voices.add(item.segments)
        for profile in self.profiles:
            target = plan_target(
                self.project, item, profile, self.voices, self.request, self.hashes, self._fingerprints
            )
            self.targets.append(target)
        return True

    def _take_unchanged(self) -> list[Episode]:
        """Add the targets of every episode the memo finds unchanged (see :mod:`pipeline.build.built_memo`);
        return the others, which are rendered and planned."""
        if self.memo is None or self.hashes is None:
            return self.episodes
        self.memo.read()
        if not self.memo.entries:
            return self.episodes
        profiles = {profile.name: profile for profile in self.profiles}
        left = []
        for episode in self.episodes:
            outcomes = self.memo.unchanged(self.project, episode, self.request, self.profiles, self.hashes)
            if outcomes is None:
                left.append(episode)
                continue
            for outcome in outcomes:
                self.targets.append(_Target(outcome, profiles[outcome.profile], unchanged=True))
        mark("unchanged found", episodes=len(self.episodes) - len(left))
        return left


def remember_built(project: Project, planner: Planner, request: BuildRequest, memo: BuiltMemo) -> None:
    """After the review pages are written: record in the memo every episode rendered this run
    whose folders all ended built or unchanged with nothing left out, forget the other
    rendered ones, and save it."""
    by_episode: dict[str, list[_Target]] = {}
    for target in planner.in_order():
        if not target.unchanged:
            by_episode.setdefault(target.outcome.episode, []).append(target)
    for episode_id, targets in by_episode.items():
        episode = project.episodes[episode_id]
        if all(_cleanly_built(target) for target in targets):
            outcomes = [target.outcome for target in targets]
            files = [target.manifest.files if target.manifest is not None else {} for target in targets]
            memo.record(project, episode, request, planner.profiles, outcomes, files)
        else:
            memo.forget(episode_id)
    memo.save()


def _cleanly_built(target: _Target) -> bool:
    """Whether a folder ended complete: built or unchanged, nothing failed, left out or stale."""
    outcome = target.outcome
    problems = outcome.errors or outcome.dropped or outcome.missing or outcome.notes or target.out_of_date
    return outcome.status in ("built", "unchanged") and target.plan is not None and not problems and not outcome.stale


def make_single_segment(
    project_root: Path, station: Station, segment: RenderedSegment, profile: Profile, destination: Path, tags: Tags
) -> SegmentMade:
    """One segment file made outside a build (``pipeline say --out``), exactly as a build makes it."""
    with closing_backends():
        voices, errors = resolve_voices(station, [segment])
        if errors:
            raise next(iter(errors.values()))
        made = make_segment_file(segment_job(segment, voices, station.pauses, profile, destination, tags, project_root))
        if made.staged is not None:  # before the engines are closed, which can take a while
            commit_staged(made.staged, destination)
    return made


def plan_target(
    project: Project,
    item: LocalisedEpisode,
    profile: Profile,
    voices: VoiceBook,
    request: BuildRequest,
    hashes: FileHashes | None = None,
    fingerprints: Fingerprints | None = None,
) -> _Target:
    """Which segment files of one output folder must be made, and why (``hashes`` may remember
    the sha256 of files an earlier build made; ``fingerprints`` those of the project's files)."""
    outcome = TargetOutcome(item.episode.id, item.lang, profile.name, "to build")
    outcome.folder = target_folder(request.out, item.episode.id, item.lang, profile.name, project.station)
    outcome.missing = item.missing()
    outcome.untranslated_seconds = round(blocked_seconds([m.msgid for m in outcome.missing], project.station), 1)
    target = _Target(outcome, profile)
    if item.error:
        where = item.error_location
        problem = BuildProblem("catalog", item.error, where.path if where else None, where.line if where else None)
        return _not_built(target, "failed", [problem])
    if not item.can_build or (outcome.missing and not request.allow_incomplete):
        return _not_built(target, "incomplete")
    needed_langs = {lang for segment in item.segments for lang, _ in voice_keys(segment)}
    blocked = voices.blocking(item.segments)
    if blocked:
        return _not_built(target, "failed", [problem_of("voice", blocked[0])])
    if item.incomplete:
        _record_dropped(project, item, outcome)
    folder = outcome.folder
    # A folder reached through a link is not this build's: it is made afresh (and the link
    # replaced by a real folder before anything is written).
    linked = bool(links_between(request.out, folder))
    manifest = ManifestWriter(folder, hashes) if linked else ManifestWriter.load(folder, hashes)
    outcome.stale = episode_file_name(item.episode.id, profile) in manifest.files  # until this run makes it
    sources = source_files(project.root, project.station, item.episode, item.lang, needed_langs)
    _describe(manifest, item, profile, (fingerprints or Fingerprints(project.root)).record(sources))
    album, artist = item.title or "", item.station_name or ""
    segments = []
    for track, segment in enumerate(item.segments, 1):
        name = segment_file_name(segment.number, segment.id, profile)
        tags = Tags(segment.title, artist, album, track, len(item.segments), item.lang)
        job = segment_job(segment, voices.voices, project.station.pauses, profile, folder / name, tags, project.root)
        job = replace(job, fresh_speech=request.fresh_speech)
        reason = _why_make(manifest, name, job.input_hash, job.inputs)
        if request.segments and segment.id not in request.segments:
            if reason:
                target.out_of_date.append(name)
        elif reason or request.force:
            outcome.reasons[name] = reason or "forced (--force)"
            target.jobs.append(job)
        segments.append((name, segment))
    outcome.segments = len(segments)
    target.plan = FolderPlan(item, profile, folder, tuple(segments), artist, album)
    target.manifest = manifest
    if not target.jobs and not request.force and all(manifest.entry(name) for name, _ in segments):
        outcome.status = "up to date"
    target.pending = len(target.jobs)
    return target


def _not_built(target: _Target, status: TargetStatus, errors: Iterable[BuildProblem] = ()) -> _Target:
    """A folder this run does not make: stale when it still holds an earlier build."""
    target.outcome.status = status
    target.outcome.errors.extend(errors)
    target.outcome.stale = _holds_build(target)
    return target


def _holds_build(target: _Target) -> bool:
    outcome = target.outcome
    assert outcome.folder is not None
    return holds_build(outcome.folder, episode_file_name(outcome.episode, target.profile))


def _record_dropped(project: Project, item: LocalisedEpisode, outcome: TargetOutcome) -> None:
    """Each segment an ``--allow-incomplete`` build leaves out, and the source speech it holds."""
    spoken = source_texts(project, item.episode)
    seconds = 0.0
    for segment in item.episode.segments:
        if segment.id not in item.incomplete:
            continue
        missing = item.incomplete[segment.id]
        lost = blocked_seconds([spoken.get(segment.id, "")], project.station)
        seconds += lost
        where = segment.location
        text = (
            f"{where}: {item.lang}: segment '{segment.id}' left out: {len(missing)} string(s) not translated, "
            f"{lost:.1f} s of speech"
        )
        outcome.dropped.append(BuildProblem("dropped", text, where.path, where.line, None, segment.id))
    outcome.dropped_seconds = round(seconds, 1)


def source_texts(project: Project, episode: Episode) -> dict[str, str]:
    """Each segment's text as the source language speaks it (templates filled), by segment id."""
    source = project.station.source_language
    translator = Translator(project.root, source, source)
    rendered = render_episode(project, episode, source, translator, lambda text: [SpeechChunk(text, source)])
    return {segment.id: segment.written_text for segment in rendered.segments}


def _describe(
    manifest: ManifestWriter, item: LocalisedEpisode, profile: Profile, sources: dict[str, str | None]
) -> None:
    build: dict[str, object] = {
        SCRIPT_KEY: item.episode.path,
        SOURCES_KEY: sources,
        DATE_KEY: item.episode.date.isoformat(),
    }
    if item.incomplete:
        build[LEFT_OUT_KEY] = sorted(item.incomplete)
    manifest.describe(item.episode.id, item.lang, item.title or "", _profile_fields(profile), build)


@functools.lru_cache(maxsize=64)
def _profile_fields(profile: Profile) -> dict[str, object]:
    """The profile as a manifest records it (filters by kind), worked out once per build, not per folder.
    Callers must not change the dict."""
    return {**asdict(profile), "filters": [f.kind for f in profile.filters]}


def _why_make(manifest: ManifestWriter, name: str, wanted: str, inputs: dict[str, str]) -> str:
    """Empty when the file is current; otherwise why it must be made."""
    if manifest.is_current(name, wanted):
        return ""
    record = manifest.entry(name)
    if record is None:
        return "new file"
    changed = [kind for kind, value in inputs.items() if record.get("inputs", {}).get(kind) != value]
    if record.get("input_hash") == wanted or not changed:
        return "file missing or changed on disk"
    return "changed: " + ", ".join(changed)


def run_locked(
    project: Project,
    planner: Planner,
    request: BuildRequest,
    observer: BuildObserver,
    executor: Executor | None,
    local: PoolOnDemand,
    hashes: FileHashes,
    retracted: list[Path],
    then: Callable[[], None] = lambda: None,
    meanwhile: Callable[[], None] = lambda: None,
) -> None:
    """Under the project's build lock: plan and make every folder, announce the run, then run
    ``then`` (what is written from the finished folders: the review pages). The jobs run on
    ``executor``, the cluster's when the request names a scheduler (every folder is planned
    before the cluster is reached), or else on ``local``'s workers, each folder's submitted as
    soon as it is planned; once all are submitted, the build's own process runs ``meanwhile``
    (:func:`while_jobs_start`)."""
    with build_lock(project.root) as previous:
        if previous:
            observer.note(f"a previous build ({_holder(previous)}) did not finish; its lock was taken over")
        if executor is not None or request.scheduler:
            planner.plan_all()
        with cluster_executor(project, request, planner.targets, executor) as cluster:
            announce = functools.partial(_announce, request, observer, executor or cluster, retracted)
            try:
                run_targets(project, planner, request, observer, executor or cluster, local, announce, meanwhile)
                then()
                mark("review pages")
            finally:
                hashes.save()


def _announce(
    request: BuildRequest,
    observer: BuildObserver,
    executor: Executor | None,
    retracted: list[Path],
    targets: list[_Target],
) -> None:
    """Tell the observer what the run makes (every folder planned), the folders retracted, and
    the folders it does not build."""
    jobs = sum(len(t.jobs) for t in targets)
    workers = min(jobs, _worker_count(request, executor))
    observer.start(targets=len(targets), jobs=jobs, workers=workers)
    if retracted:
        observer.retracted([str(folder) for folder in retracted])
    for target in targets:
        if target.plan is None:  # not built this run: say so now
            observer.target_done(target.outcome)


def _worker_count(request: BuildRequest, executor: Executor | None) -> int:
    if executor is None:
        return request.jobs or os.cpu_count() or 1
    size = getattr(executor, "size", None) or getattr(executor, "_max_workers", None)
    return int(size or 1)


def run_targets(
    project: Project,
    planner: Iterable[_Target],
    request: BuildRequest,
    observer: BuildObserver,
    executor: Executor | None,
    local: PoolOnDemand,
    announce: Callable[[list[_Target]], None] = lambda targets: None,
    meanwhile: Callable[[], None] = lambda: None,
) -> None:
    """Run every segment job (on ``executor``, or else on ``local``'s workers) folder by folder
    as ``planner`` plans them, then ``announce`` every target and run ``meanwhile`` while the
    jobs run; finish each folder when its last job is done.

    Runs under the build lock: only then are the temporary files an
    interrupted build left behind swept away (before it, they may be another
    running build's files in the making), the speech cache's first, then each
    folder's before its jobs are submitted. When the run is interrupted, the
    local workers are stopped at once, killed mid-job, before the lock is let go. Once the
    last job is done they are told to stop and exit while the build finishes (``local`` waits
    for them when the build ends). Within each folder the jobs are submitted longest first
    (by the speaking time their text is expected to take), so that the run ends on short
    jobs and no worker waits long for the last one.
    """
    remove_partials(project.root / CACHE_DIR)
    pool = executor
    targets: list[_Target] = []
    futures: dict[Future[SegmentMade], tuple[_Target, SegmentJob, float]] = {}
    planned = False  # until every folder is planned, no manifest has been saved and nothing committed
    try:
        for target in planner:
            targets.append(target)
            if target.plan is not None and target.outcome.folder is not None:
                for link in replace_links(request.out, target.outcome.folder):
                    observer.note(f"{link}: was a symbolic link inside the output folder; replaced by a folder")
                remove_partials(target.outcome.folder)
            elif target.unchanged and target.outcome.folder is not None:  # (no link: the memo checked)
                remove_partials(target.outcome.folder)
            if target.jobs and pool is None:
                pool = local.get()  # a build with nothing to make starts no worker
            for job in sorted(target.jobs, key=expected_seconds, reverse=True):
                assert pool is not None
                futures[pool.submit(make_segment_file, job)] = (target, job, time.monotonic())
            if futures and len(futures) == len(target.jobs):
                mark("first submitted", jobs=len(futures))
        mark("submitted", jobs=len(futures))
        planned = True
        announce(targets)
        for target in targets:
            if target.plan is not None and not target.jobs:
                _finish(project, target, observer, request.force)
        _save_recorded(targets)  # before any file is put in place: workers only stage theirs, the build commits
        meanwhile()
        for future in as_completed(futures):
            target, job, submitted = futures[future]
            _relay_notes(pool, observer)
            if future.cancelled():
                continue
            if isinstance(future.exception(), ClusterLost):  # no job can finish any more
                observer.note(str(future.exception()))
                _stop_early(futures, targets, observer, f"not finished: {future.exception()}")
                break
            _record(target, job, future, observer, time.monotonic() - submitted)
            target.pending -= 1
            if target.pending == 0:
                _finish(project, target, observer, request.force)
            if request.fail_fast and target.outcome.errors:
                _stop_early(futures, targets, observer)
                _discard_running(futures, targets)
                break
        _save_recorded(targets)
    except BaseException:
        for future in futures:
            future.cancel()
        if executor is None:
            local.abort()  # interrupted: running jobs must not finish after the build has stopped
            _remove_staged(targets)  # a worker stopped while staging its file leaves the part behind
        if planned:  # (an error while planning: nothing was made, and nothing is written)
            with contextlib.suppress(OSError):  # what cannot be kept now is made again next time
                _save_recorded(targets)
        raise
    finally:
        if executor is None:
            local.release()


def _relay_notes(executor: Executor | None, observer: BuildObserver) -> None:
    """Say what the executor has to tell the operator (the cluster's: a worker it removed), here
    in the build's own thread."""
    take_notes = getattr(executor, "take_notes", None)
    for message in take_notes() if take_notes is not None else []:
        observer.note(message)


def while_jobs_start(
    project: Project,
    episodes: list[Episode],
    languages: list[str],
    targets: list[_Target],
    report: BuildReport,
    checks: dict[str, CatalogMarks],
) -> None:
    """What the build's own process works out once the jobs are submitted, while the workers
    start (and later compete with them for the CPU): the translation coverage of the report, and
    the translators' check findings (into ``checks``) of the episodes whose review pages the
    build writes, so that neither delays the first job nor follows the last one; and the
    imports of what comes later (joining episode files when jobs were submitted, the review
    pages' HTML, the summary's table)."""
    from pipeline.delivery import review_html  # noqa: F401
    from pipeline.delivery.review import review_checks

    report.coverage = coverage(project, episodes, languages)
    built = [project.episodes[target.outcome.episode] for target in targets if not target.unchanged]
    checks.update(review_checks(project, project.root / REVIEW_CACHE_DIR, built))
    if any(target.jobs for target in targets):
        import_for_joining()
    import pipeline.build.report  # noqa: F401  (rich, for the summary the command prints)

    mark("meanwhile")


def review_pages(
    project: Project,
    localised: dict[tuple[str, str], LocalisedEpisode],
    targets: list[_Target],
    out: Path,
    profile: Profile,
    checks: dict[str, CatalogMarks] | None = None,
) -> None:
    """Write the review page of every episode built, with the audio of ``profile`` (``checks``:
    the check findings read while the jobs ran, see :func:`while_jobs_start`)."""
    from pipeline.delivery.review import LanguageBuild, write_review_pages

    builds = [
        LanguageBuild(
            localised[(t.outcome.episode, t.outcome.lang)],
            t.outcome.status,
            t.outcome.folder,
            t.manifest.files if t.manifest is not None else {},
            tuple(str(error) for error in t.outcome.errors),
        )
        for t in targets
        if t.outcome.profile == profile.name and not t.unchanged
    ]
    write_review_pages(project, builds, out, profile.name, project.root / REVIEW_CACHE_DIR, checks or None)


def _record(
    target: _Target,
    job: SegmentJob,
    future: Future[SegmentMade],
    observer: BuildObserver,
    seconds: float,
) -> None:
    error = future.exception()
    if error is not None:
        where = job.segment.origin
        text = f"{where}: {job.destination.name}: {error}"
        target.outcome.errors.append(BuildProblem("segment", text, where.path, where.line, None, job.segment.id))
        observer.job_done(job, None, str(error), seconds)
        return
    made = future.result()
    assert target.manifest is not None
    committed = None  # the sha256 of what was put in place, as the worker hashed it
    if made.staged is not None:
        commit_staged(made.staged, job.destination)
        committed = made.sha256 or None
    target.manifest.record(
        job.destination.name,
        committed,
        kind="segment",
        segment=job.segment.id,
        title=job.segment.title,
        duration=made.duration,
        loudness_lufs=made.loudness_lufs,
        true_peak_dbtp=made.true_peak_dbtp,
        voices=sorted({voice.describe() for voice in job.voices.values()}),
        input_hash=job.input_hash,
        inputs=job.inputs,
        cues=[[cue.start, cue.end, cue.text] for cue in made.cues],
    )
    if time.monotonic() - target.saved_at >= PROGRESS_SAVE_SECONDS:
        target.manifest.save()
        target.saved_at = time.monotonic()
    mark("job recorded", file=job.label)
    outcome = target.outcome
    outcome.made += 1
    outcome.synthesised += made.synthesised
    outcome.cached += made.cached
    observer.job_done(job, made, None, seconds)


def _save_recorded(targets: list[_Target]) -> None:
    """Save the manifest of every folder with jobs: unfinished (not 'complete') until the folder
    is assembled, with the segment files recorded since its last save (a folder not assembled
    keeps what was made for it)."""
    for target in targets:
        if target.jobs and target.manifest is not None:
            target.manifest.save()  # nothing is written when it holds what the file does


def _finish(project: Project, target: _Target, observer: BuildObserver, force: bool = False) -> None:
    """Assemble a folder whose segment files all exist; or record why it failed."""
    outcome = target.outcome
    assert target.plan is not None and target.manifest is not None
    if not outcome.errors and target.out_of_date:
        outcome.notes.append(
            f"not assembled: {len(target.out_of_date)} other segment file(s) out of date "
            f"({', '.join(target.out_of_date)}); build the episode without --segment"
        )
    elif not outcome.errors:
        try:
            written = assemble_target(target.plan, target.manifest, project.root / CACHE_DIR, force)
            outcome.files_written = outcome.made + written
        except PipelineError as error:
            outcome.errors.append(problem_of("assemble", error))
        mark("assembled", folder=outcome.label)
    if outcome.errors:
        outcome.status = "failed"
    else:
        outcome.stale = bool(target.out_of_date)
        if outcome.dropped:
            outcome.status = "partial"
        else:
            outcome.status = "built" if outcome.files_written or outcome.made else "unchanged"
        files = target.manifest.files
        outcome.audio_seconds = sum(files.get(name, {}).get("duration", 0.0) for name, _ in target.plan.segments)
    observer.target_done(outcome)


def problem_of(kind: str, error: PipelineError) -> BuildProblem:
    """A build problem from an error, with the file and line it names."""
    where = error.location
    return BuildProblem(kind, str(error), where.path if where else None, where.line if where else None)


def _stop_early(
    futures: dict[Future[SegmentMade], tuple[_Target, SegmentJob, float]],
    targets: list[_Target],
    observer: BuildObserver,
    text: str = "not built: the build stopped at the first failure (--fail-fast)",
) -> None:
    for future in futures:
        future.cancel()
    for target in targets:
        if target.outcome.status == "to build":
            target.outcome.status = "failed"
            target.outcome.errors.append(BuildProblem("stopped", text))
            observer.target_done(target.outcome)


def _discard_running(
    futures: dict[Future[SegmentMade], tuple[_Target, SegmentJob, float]], targets: list[_Target]
) -> None:
    """After the build stopped at a failure: wait for the jobs that were already running (a
    running job cannot be cancelled; its timeout still applies), then remove what they staged.
    None of their files will be committed, and none may be left half-made in an output folder."""
    wait([future for future in futures if not future.cancelled()])
    _remove_staged(targets)


def _remove_staged(targets: list[_Target]) -> None:
    """Remove the files staged in the folders the build was making: once no job of the build
    runs, any left there will never be committed."""
    for target in targets:
        if target.jobs and target.outcome.folder is not None:
            remove_partials(target.outcome.folder)


def stop_unfinished(targets: list[_Target], observer: BuildObserver, signum: int) -> None:
    """After a signal: every folder not finished is ``interrupted``; the log says so."""
    name = signal_name(signum)
    for target in targets:
        outcome = target.outcome
        if outcome.status not in ("to build", "up to date"):
            continue
        outcome.status = "interrupted"
        outcome.errors.append(BuildProblem("interrupted", f"not finished: the build was stopped by {name}"))
        outcome.stale = _holds_build(target)
        observer.target_done(outcome)
    observer.interrupted(name)


def coverage(project: Project, episodes: list[Episode], languages: list[str]) -> dict[str, Coverage]:
    """Per target language: messages of the station and the built episodes, how many cannot be
    spoken, and the seconds they block (the figures of ``pipeline i18n stats``)."""
    from pipeline.i18n.coverage_memo import CoverageMemo
    from pipeline.i18n.stats import project_stats, totals

    targets = [lang for lang in languages if lang != project.station.source_language]
    memo = CoverageMemo(project.root / COVERAGE_MEMO)
    rows = project_stats(project, targets, episodes, broken_as_missing=True, memo=memo)
    memo.save(prune=len(episodes) == len(project.episodes) and len(languages) == len(project.station.languages))
    return {
        lang: Coverage(total.messages, total.messages - total.translated, round(total.blocked_seconds, 1))
        for lang, total in totals(rows).items()
    }
