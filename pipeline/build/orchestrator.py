"""The build: episode scripts and catalogs in; levelled, tagged audio and its companions out.

Entry point: :func:`build`. It reads like the table of contents of the
pipeline: choose what to build, render every episode in every language (all
catalogs and scripts are checked before any audio is made), resolve the
voices, plan each output folder (which segment files are missing or have
changed inputs), then — holding the project's build lock — run the segment
jobs on an executor (the local worker pool, or a Dask cluster's when the
request names a scheduler: :mod:`pipeline.build.cluster`) and finish each
folder as its last job completes. A
failure fails only its episode and language; the :class:`BuildReport` says
what happened to each.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.audio.ffmpeg import tool_path
from pipeline.build.assemble import FolderPlan, assemble_target
from pipeline.build.filehashes import FileHashes
from pipeline.build.lock import build_lock
from pipeline.build.runlog import BuildObserver, NullObserver
from pipeline.build.segments import SegmentJob, SegmentMade, prepare_worker, segment_job, voice_keys, warm_up_worker
from pipeline.build.workers import DEFAULT_TIMEOUT, WorkerHooks, WorkerPool
from pipeline.delivery.review import LanguageBuild, write_review_pages
from pipeline.errors import CatalogError, ClusterError, ConfigError, PipelineError, SourceLocation, UsageError
from pipeline.formats.manifests import DATE_KEY, LEFT_OUT_KEY, SCRIPT_KEY, SOURCES_KEY, ManifestWriter
from pipeline.formats.output import Tags, segment_file_name, target_folder
from pipeline.fsutil import commit_staged, links_between, remove_partials, replace_links
from pipeline.i18n.catalogs import Translator
from pipeline.project.fingerprints import Fingerprints, source_files
from pipeline.project.layout import CACHE_DIR, FILE_HASHES, OUTPUT_DIR, REVIEW_CACHE_DIR, SPEECH_TEXT_DIR
from pipeline.project.script import Episode, Project
from pipeline.project.station import Profile, Station
from pipeline.render import LocalisedEpisode, MissingTranslation, RenderedSegment, render_episode
from pipeline.speech.store import stored_normaliser
from pipeline.text.durations import estimate_seconds
from pipeline.tts import Voice, close_backends, closing_backends, get_backend, resolve_voice

# Built, unchanged, incomplete or failed; in a dry run, "to build" or "up to date".
TargetStatus = Literal["built", "unchanged", "incomplete", "failed", "to build", "up to date"]


@dataclass(frozen=True)
class BuildRequest:
    """What to build, where, and how."""

    episodes: tuple[str, ...] = ()  # ids; empty means every episode of the project
    languages: tuple[str, ...] = ()  # empty means every station language
    profiles: tuple[str, ...] = ()  # empty means the station's default profile
    out: Path = OUTPUT_DIR
    allow_incomplete: bool = False
    jobs: int = 0  # worker processes; 0 means one per CPU
    fail_fast: bool = False
    job_timeout: float = DEFAULT_TIMEOUT
    dry_run: bool = False
    scheduler: str = ""  # a Dask scheduler's address: run the segment jobs there (absolute paths needed)


@dataclass
class TargetOutcome:
    """What happened (or, in a dry run, would happen) to one episode × language × profile."""

    episode: str
    lang: str
    profile: str
    status: TargetStatus
    folder: Path | None = None
    audio_seconds: float = 0.0
    segments: int = 0
    made: int = 0  # segment files made this run
    synthesised: int = 0
    cached: int = 0
    files_written: int = 0
    missing: list[MissingTranslation] = field(default_factory=list)
    untranslated_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # file → why it must be made

    @property
    def label(self) -> str:
        """``radio-reach [ko, player]``."""
        return f"{self.episode} [{self.lang}, {self.profile}]"


@dataclass
class Coverage:
    """How much of one language's text can be spoken."""

    messages: int = 0
    missing: int = 0
    seconds_blocked: float = 0.0


@dataclass
class BuildReport:
    """Every target's outcome, translation coverage per language, and where the logs are."""

    outcomes: list[TargetOutcome] = field(default_factory=list)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        """0 when everything asked for was built (or, dry run, could be), 1 otherwise."""
        fine = ("built", "unchanged", "to build", "up to date")
        return 0 if all(o.status in fine for o in self.outcomes) else 1


@dataclass
class _Target:
    """One output folder being made: its plan, manifest, jobs and outcome."""

    outcome: TargetOutcome
    plan: FolderPlan | None = None
    manifest: ManifestWriter | None = None
    jobs: list[SegmentJob] = field(default_factory=list)
    pending: int = 0


def build(
    project: Project,
    request: BuildRequest,
    observer: BuildObserver | None = None,
    executor: Executor | None = None,
) -> BuildReport:
    """Build the requested episodes, languages and profiles of ``project``."""
    started = time.monotonic()
    observer = observer or NullObserver()
    episodes = select_episodes(project, request.episodes)
    languages = select_languages(project.station, request.languages)
    profiles = select_profiles(project.station, request.profiles)
    for tool in ("ffmpeg", "ffprobe"):
        tool_path(tool)  # fail before any work when one is missing
    localised = render_all(project, episodes, languages)
    with closing_backends():
        voices, voice_errors = resolve_voices(project.station, all_segments(localised.values()))
        hashes = FileHashes.load(project.root / FILE_HASHES)
        targets = plan_targets(project, localised, profiles, voices, voice_errors, request, hashes)
        report = BuildReport(coverage=coverage(project, localised), dry_run=request.dry_run)
        if not request.dry_run:
            with build_lock(project.root) as previous, cluster_executor(project, request, targets, executor) as cluster:
                if previous:
                    observer.note(f"a previous build ({_holder(previous)}) did not finish; its lock was taken over")
                observer.start(targets=len(targets), jobs=sum(len(t.jobs) for t in targets))
                try:
                    run_targets(project, targets, request, observer, executor or cluster)
                    review_pages(project, localised, targets, request.out, profiles[0])
                finally:
                    hashes.save()
    report.outcomes = [target.outcome for target in targets]
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
    hooks = WorkerHooks(initializer=prepare_worker, warm_up=warm_up_worker)
    return open_cluster(request.scheduler, probe, shared, request.job_timeout, hooks)


def _holder(previous: dict[str, object]) -> str:
    return f"pid {previous.get('pid')} on {previous.get('host')}"


def select_episodes(project: Project, wanted: Iterable[str]) -> list[Episode]:
    """The episodes named (all when none are), in the order given."""
    wanted = list(wanted)
    if not wanted:
        return list(project.episodes.values())
    unknown = [name for name in wanted if name not in project.episodes]
    if unknown:
        known = ", ".join(project.episodes) or "none"
        raise UsageError(f"unknown episode {', '.join(unknown)} (known: {known})")
    return [project.episodes[name] for name in dict.fromkeys(wanted)]


def select_languages(station: Station, wanted: Iterable[str]) -> list[str]:
    """The station languages named (all when none are)."""
    wanted = list(wanted)
    unknown = [lang for lang in wanted if lang not in station.languages]
    if unknown:
        known = ", ".join(station.languages)
        raise UsageError(f"unknown language {', '.join(unknown)} (station languages: {known})")
    return list(dict.fromkeys(wanted)) or list(station.languages)


def select_profiles(station: Station, wanted: Iterable[str]) -> list[Profile]:
    """The output profiles named (the station default when none are)."""
    names = list(dict.fromkeys(wanted)) or [station.default_profile]
    unknown = [name for name in names if name not in station.profiles]
    if unknown:
        raise UsageError(f"unknown profile {', '.join(unknown)} (profiles: {', '.join(station.profiles)})")
    return [station.profiles[name] for name in names]


def render_all(
    project: Project, episodes: list[Episode], languages: list[str], partial: bool = False
) -> dict[tuple[str, str], LocalisedEpisode]:
    """Every episode in every language, rendered before any audio is made (``partial``: a preview with gaps)."""
    rendered = {}
    for lang in languages:
        translator = Translator(project.root, lang, project.station.source_language)
        normalise = stored_normaliser(project.root / SPEECH_TEXT_DIR, project.root, project.station, lang)
        for episode in episodes:
            try:
                rendered[(episode.id, lang)] = render_episode(project, episode, lang, translator, normalise, partial)
            except CatalogError as error:  # a broken catalog fails its episodes, not the build
                rendered[(episode.id, lang)] = LocalisedEpisode(episode, lang, None, None, error=str(error))
        normalise.save(prune=len(episodes) == len(project.episodes))  # a partial render keeps the rest
    return rendered


def all_segments(localised: Iterable[LocalisedEpisode]) -> Iterator[RenderedSegment]:
    """Every rendered segment of every episode and language."""
    for item in localised:
        yield from item.segments


def resolve_voices(
    station: Station, segments: Iterable[RenderedSegment]
) -> tuple[dict[tuple[str, str], Voice], dict[str, PipelineError]]:
    """Installed voices for every (language, role) the rendered text needs; errors per language."""
    needed: set[tuple[str, str]] = set()
    for segment in segments:
        needed |= voice_keys(segment)
    voices: dict[tuple[str, str], Voice] = {}
    errors: dict[str, PipelineError] = {}
    for lang, role in sorted(needed):
        if lang not in station.voices or role not in station.voices[lang]:
            where = SourceLocation(station.path)
            errors.setdefault(lang, ConfigError(f"voices.{lang}.{role}: no voice configured", where))
            continue
        spec = station.voice(lang, role)
        try:
            voices[(lang, role)] = resolve_voice(spec, lang, role, get_backend(spec.backend))
        except PipelineError as error:
            errors.setdefault(lang, error)
    return voices, errors


def make_single_segment(
    project_root: Path, station: Station, segment: RenderedSegment, profile: Profile, destination: Path, tags: Tags
) -> SegmentMade:
    """One segment file made outside a build (``pipeline say --out``), exactly as a build makes it."""
    with closing_backends():
        voices, errors = resolve_voices(station, [segment])
        if errors:
            raise next(iter(errors.values()))
        made = _segment_maker()(segment_job(segment, voices, station.pauses, profile, destination, tags, project_root))
    if made.staged is not None:
        commit_staged(made.staged, destination)
    return made


def plan_targets(
    project: Project,
    localised: dict[tuple[str, str], LocalisedEpisode],
    profiles: list[Profile],
    voices: dict[tuple[str, str], Voice],
    voice_errors: dict[str, PipelineError],
    request: BuildRequest,
    hashes: FileHashes | None = None,
) -> list[_Target]:
    """One target per episode × language × profile, with the segment jobs it needs."""
    targets = []
    fingerprints = Fingerprints(project.root)
    for item in localised.values():
        for profile in profiles:
            targets.append(plan_target(project, item, profile, voices, voice_errors, request, hashes, fingerprints))
    return targets


def plan_target(
    project: Project,
    item: LocalisedEpisode,
    profile: Profile,
    voices: dict[tuple[str, str], Voice],
    voice_errors: dict[str, PipelineError],
    request: BuildRequest,
    hashes: FileHashes | None = None,
    fingerprints: Fingerprints | None = None,
) -> _Target:
    """Which segment files of one output folder must be made, and why (``hashes`` may remember
    the sha256 of files an earlier build made; ``fingerprints`` those of the project's files)."""
    outcome = TargetOutcome(item.episode.id, item.lang, profile.name, "to build")
    outcome.missing = item.missing()
    outcome.untranslated_seconds = round(
        sum(estimate_seconds(m.msgid, project.station.source_language) for m in outcome.missing), 1
    )
    target = _Target(outcome)
    if item.error:
        outcome.status, outcome.errors = "failed", [item.error]
        return target
    if not item.can_build or (outcome.missing and not request.allow_incomplete):
        outcome.status = "incomplete"
        return target
    needed_langs = {lang for segment in item.segments for lang, _ in voice_keys(segment)}
    blocked = [str(voice_errors[code]) for code in sorted(needed_langs) if code in voice_errors]
    if blocked:
        outcome.status, outcome.errors = "failed", blocked[:1]
        return target
    folder = target_folder(request.out, item.episode.id, item.lang, profile.name, project.station)
    outcome.folder = folder
    # A folder reached through a link is not this build's: it is made afresh (and the link
    # replaced by a real folder before anything is written).
    linked = bool(links_between(request.out, folder))
    manifest = ManifestWriter(folder, hashes) if linked else ManifestWriter.load(folder, hashes)
    sources = source_files(project.root, project.station, item.episode, item.lang, needed_langs)
    _describe(manifest, item, profile, (fingerprints or Fingerprints(project.root)).record(sources))
    album, artist = item.title or "", item.station_name or ""
    segments = []
    for track, segment in enumerate(item.segments, 1):
        name = segment_file_name(segment.number, segment.id, profile)
        tags = Tags(segment.title, artist, album, track, len(item.segments), item.lang)
        job = segment_job(segment, voices, project.station.pauses, profile, folder / name, tags, project.root)
        reason = _why_make(manifest, name, job.input_hash, job.inputs)
        if reason:
            outcome.reasons[name] = reason
            target.jobs.append(job)
        segments.append((name, segment))
    outcome.segments = len(segments)
    target.plan = FolderPlan(item, profile, folder, tuple(segments), artist, album)
    target.manifest = manifest
    if not target.jobs and all(manifest.entry(name) for name, _ in segments):
        outcome.status = "up to date"
    target.pending = len(target.jobs)
    return target


def _describe(
    manifest: ManifestWriter, item: LocalisedEpisode, profile: Profile, sources: dict[str, str | None]
) -> None:
    filters = [f.kind for f in profile.filters]
    build: dict[str, object] = {
        SCRIPT_KEY: item.episode.path,
        SOURCES_KEY: sources,
        DATE_KEY: item.episode.date.isoformat(),
    }
    if item.incomplete:
        build[LEFT_OUT_KEY] = sorted(item.incomplete)
    manifest.describe(item.episode.id, item.lang, item.title or "", {**asdict(profile), "filters": filters}, build)


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


def run_targets(
    project: Project,
    targets: list[_Target],
    request: BuildRequest,
    observer: BuildObserver,
    executor: Executor | None,
) -> None:
    """Run every segment job; finish each folder when its last job is done.

    Runs under the build lock: only then are the temporary files an
    interrupted build left behind swept away (before it, they may be another
    running build's files in the making).
    """
    remove_partials(project.root / CACHE_DIR)
    for target in targets:
        if target.outcome.folder is not None:
            for link in replace_links(request.out, target.outcome.folder):
                observer.note(f"{link}: was a symbolic link inside the output folder; replaced by a folder")
            remove_partials(target.outcome.folder)
        if target.jobs and target.manifest is not None:
            target.manifest.save()  # unfinished (not 'complete') until its folder is assembled
    owned_pool = None
    if executor is None:
        executor = owned_pool = WorkerPool(
            request.jobs or os.cpu_count() or 1,
            timeout=request.job_timeout,
            initializer=prepare_worker,
            warm_up=warm_up_worker,
            finalizer=close_backends,
        )
    pool = executor
    futures: dict[Future[SegmentMade], tuple[_Target, SegmentJob, float]] = {}
    try:
        for target in targets:
            if target.plan is not None and not target.jobs:
                _finish(project, target, observer)
            for job in target.jobs:
                futures[pool.submit(_segment_maker(), job)] = (target, job, time.monotonic())
        for future in as_completed(futures):
            target, job, submitted = futures[future]
            if future.cancelled():
                continue
            _record(target, job, future, observer, time.monotonic() - submitted)
            target.pending -= 1
            if target.pending == 0:
                _finish(project, target, observer)
            if request.fail_fast and target.outcome.errors:
                _stop_early(futures, targets, observer)
                break
    except BaseException:
        if owned_pool is not None:
            owned_pool.abort()  # interrupted: running jobs must not finish after the build has stopped
        raise
    finally:
        if owned_pool is not None:
            owned_pool.shutdown(wait=True, cancel_futures=True)


def review_pages(
    project: Project,
    localised: dict[tuple[str, str], LocalisedEpisode],
    targets: list[_Target],
    out: Path,
    profile: Profile,
) -> None:
    """Write the review page of every episode built, with the audio of ``profile``."""
    builds = [
        LanguageBuild(
            localised[(t.outcome.episode, t.outcome.lang)],
            t.outcome.status,
            t.outcome.folder,
            t.manifest.files if t.manifest is not None else {},
            tuple(t.outcome.errors),
        )
        for t in targets
        if t.outcome.profile == profile.name
    ]
    write_review_pages(project, builds, out, profile.name, project.root / REVIEW_CACHE_DIR)


def _segment_maker() -> Callable[[SegmentJob], SegmentMade]:
    """``make_segment``, imported on first use: it brings in the audio stack a no-op build never needs."""
    from pipeline.build.segment_audio import make_segment

    return make_segment


def _record(
    target: _Target,
    job: SegmentJob,
    future: Future[SegmentMade],
    observer: BuildObserver,
    seconds: float,
) -> None:
    error = future.exception()
    if error is not None:
        target.outcome.errors.append(f"{job.segment.origin}: {job.destination.name}: {error}")
        observer.job_done(job, None, str(error), seconds)
        return
    made = future.result()
    assert target.manifest is not None
    if made.staged is not None:
        commit_staged(made.staged, job.destination)
    target.manifest.record(
        job.destination.name,
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
    target.manifest.save()
    outcome = target.outcome
    outcome.made += 1
    outcome.synthesised += made.synthesised
    outcome.cached += made.cached
    observer.job_done(job, made, None, seconds)


def _finish(project: Project, target: _Target, observer: BuildObserver) -> None:
    """Assemble a folder whose segment files all exist; or record why it failed."""
    outcome = target.outcome
    assert target.plan is not None and target.manifest is not None
    if not outcome.errors:
        try:
            outcome.files_written = outcome.made + assemble_target(
                target.plan, target.manifest, project.root / CACHE_DIR
            )
        except PipelineError as error:
            outcome.errors.append(str(error))
    if outcome.errors:
        outcome.status = "failed"
    else:
        outcome.status = "built" if outcome.files_written else "unchanged"
        outcome.audio_seconds = sum(target.manifest.files[name]["duration"] for name, _ in target.plan.segments)
    observer.target_done(outcome)


def _stop_early(
    futures: dict[Future[SegmentMade], tuple[_Target, SegmentJob, float]],
    targets: list[_Target],
    observer: BuildObserver,
) -> None:
    for future in futures:
        future.cancel()
    for target in targets:
        if target.outcome.status == "to build":
            target.outcome.status = "failed"
            target.outcome.errors.append("not built: the build stopped at the first failure (--fail-fast)")
            observer.target_done(target.outcome)


def coverage(project: Project, localised: dict[tuple[str, str], LocalisedEpisode]) -> dict[str, Coverage]:
    """Per language: messages in the built episodes, how many are missing, seconds they block."""
    from pipeline.i18n.messages import episode_messages, shared_messages

    result: dict[str, Coverage] = {}
    episodes = {item.episode.id: item.episode for item in localised.values()}
    total = len(shared_messages(project)) + sum(len(episode_messages(project, e)) for e in episodes.values())
    missing: dict[str, dict[tuple[str, str], str]] = {}
    for (_, lang), item in localised.items():
        result.setdefault(lang, Coverage(messages=total))
        for message in item.missing():
            missing.setdefault(lang, {})[(str(message.location), message.msgid)] = message.msgid
    for lang, messages in missing.items():
        result[lang].missing = len(messages)
        source = project.station.source_language
        result[lang].seconds_blocked = round(sum(estimate_seconds(text, source) for text in messages.values()), 1)
    return result
