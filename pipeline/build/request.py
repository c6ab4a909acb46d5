"""What a build is asked for, checked before anything is written, and the build's own workers.

Entry points: :class:`BuildRequest`, :func:`check_request` (the usage errors
in a request: unknown episode, language, profile or segment), the selections
(:func:`select_episodes`, :func:`select_languages`, :func:`select_profiles`)
and :func:`local_workers`: the build's own pool, its workers started at once
when the build will surely make files (:func:`makes_new_folders`).

This module needs only the loaded project, the worker pool and the output
layout, not the stages (rendering, speech, assembling, review pages, report):
``pipeline build`` starts the workers from here before it imports those, so
that the worker server's start (a Python interpreter and the audio stack)
overlaps their import as well as the rendering and planning.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.build.early_workers import make_pool
from pipeline.build.workers import DEFAULT_RECYCLE_AFTER, DEFAULT_TIMEOUT, PoolOnDemand, WorkerPool
from pipeline.errors import UsageError
from pipeline.formats.manifests import MANIFEST_NAME
from pipeline.formats.output import target_folder
from pipeline.project.layout import OUTPUT_DIR
from pipeline.project.script import Episode, Project
from pipeline.project.station import Profile, Station


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
    force: bool = False  # make the selected files again whatever their manifests say
    segments: tuple[str, ...] = ()  # only these segments of the named episodes
    fresh_speech: bool = False  # synthesise again instead of reading the speech cache


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


def check_segments(episodes: list[Episode], wanted: Iterable[str]) -> None:
    """``--segment`` ids must belong to the episodes named on the command line."""
    wanted = list(wanted)
    if not wanted:
        return
    known = list(dict.fromkeys(segment.id for episode in episodes for segment in episode.segments))
    unknown = [name for name in wanted if name not in known]
    if unknown:
        names = ", ".join(episode.id for episode in episodes)
        raise UsageError(f"unknown segment {', '.join(unknown)} in {names} (segments: {', '.join(known)})")


def check_request(project: Project, request: BuildRequest) -> None:
    """Raise the usage error in ``request`` (unknown episode, language, profile or segment), if any,
    before anything is written."""
    select_languages(project.station, request.languages)
    select_profiles(project.station, request.profiles)
    check_segments(select_episodes(project, request.episodes), request.segments)


def local_pool(
    request: BuildRequest, recycle_after: int = DEFAULT_RECYCLE_AFTER, fork_from_server: bool | None = None
) -> WorkerPool:
    """The build's own worker processes (``--jobs``, one per CPU by default): see
    :func:`pipeline.build.early_workers.make_pool`. The build keeps the defaults of
    ``recycle_after`` and ``fork_from_server`` (:class:`WorkerPool`'s); a benchmark of the
    build's workers sets them."""
    return make_pool(request.jobs, request.job_timeout, recycle_after, fork_from_server)


def makes_new_folders(
    project: Project, episodes: list[Episode], languages: list[str], profiles: list[Profile], request: BuildRequest
) -> bool:
    """Whether this build will surely make segment files, told before rendering: it is forced, or
    an output folder of an episode made in a selected language has no manifest (a new episode,
    language or profile; a cold build). A folder whose catalog turns out to be incomplete is then
    not built after all, and the workers started for it have cost their start only."""
    if request.dry_run or request.scheduler:
        return False
    if request.force:
        return True
    station = project.station
    return any(
        not (target_folder(request.out, episode.id, lang, profile.name, station) / MANIFEST_NAME).is_file()
        for episode in episodes
        for lang in languages
        if episode.is_made_in(lang)
        for profile in profiles
    )


def local_workers(project: Project, request: BuildRequest, started: PoolOnDemand | None = None) -> PoolOnDemand:
    """The build's own pool (made when first asked for, unless ``started`` is one the command
    line started already: :mod:`pipeline.build.early_workers`), its workers started now when the
    build will surely make files: their start then overlaps everything the build does before its
    first job. The caller holds it in a ``with`` block and hands it to
    :func:`pipeline.build.orchestrator.build`."""
    local = started or PoolOnDemand(functools.partial(local_pool, request))
    episodes = select_episodes(project, request.episodes)
    languages = select_languages(project.station, request.languages)
    profiles = select_profiles(project.station, request.profiles)
    if makes_new_folders(project, episodes, languages, profiles, request):
        local.get(start_workers=True)
    return local
