"""Episodes a build found unchanged, kept so that the next build need not render or plan them.

Entry point: :class:`BuiltMemo`. A no-op build of a large catalogue spends
most of its time rendering every episode in every language, planning every
output folder and finishing folders that have nothing to make, only to find
that each one is current. After a build, every episode whose folders all
ended built or unchanged (no error, nothing left out) is recorded in
``.cache/built.json`` with:

- the digest of everything besides its own files that could shape any of
  its folders or its review page (:func:`context_key`): the package's code,
  Python and every installed distribution's version, each configured voice
  as resolved and its engine's version, the request (output folder,
  profiles, ``--allow-incomplete``), and the content of every project file
  that is not one episode's own: ``station.yaml``, the templates, the
  lexicons, the check settings and glossary, the shared catalogs (every file
  under ``scripts_src`` but the episodes and drafts, every file under
  ``locales`` but the ``.pot`` templates and the episodes' catalogs);
- the digest of its own files (:func:`episode_inputs`): the script and its
  catalog in every station language (or that there is none);
- each folder's ``manifest.json`` and the review page, by size,
  modification time and inode, with every file the manifest lists and its
  sha256, and the manifests of the station languages it is not made in (the
  review page shows them).

The next build takes an episode as unchanged, without rendering it, only
when all of that still holds: the two digests are equal, no watched file has
changed or was modified in the last :data:`~pipeline.build.filehashes.SETTLE_SECONDS`,
no folder is reached through a symbolic link, and every listed file still has
its sha256 (by :class:`~pipeline.build.filehashes.FileHashes`: read again
whenever its size or modification time moved). The episode is then reported
``unchanged`` exactly as a full check would report it; anything else renders
and plans it as before. A build records an episode only when none of its
files, nor any project file in the context, was modified since the project
was loaded (less the settling time), so an edit made while a build runs is
never taken as built. The memo is used only for builds of every station
language, without ``--force``, ``--fresh-speech`` or ``--segment``; a
missing or unreadable memo only costs the full check.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.build.filehashes import SETTLE_SECONDS, FileHashes, absolute_name, settled
from pipeline.build.outcomes import TargetOutcome, TargetStatus
from pipeline.build.request import BuildRequest
from pipeline.errors import PipelineError
from pipeline.formats.output import target_folder
from pipeline.fsutil import atomic_write_text, links_between
from pipeline.project.fingerprints import Fingerprints, relative_name
from pipeline.project.layout import (
    CATALOG_FOLDER,
    DRAFTS_DIR,
    EPISODES_DIR,
    LOCALES_DIR,
    POT_DIR,
    REVIEW_FOLDER,
    SCRIPTS_DIR,
    po_path,
)
from pipeline.project.script import Episode, Project
from pipeline.project.station import Profile, Station
from pipeline.tts import get_backend, resolve_voice

MEMO_FORMAT = 2
MANIFEST_NAME = "manifest.json"
_PACKAGE = Path(__file__).resolve().parent.parent
Signature = list[int] | None  # size, modification time (ns), inode; None: the file does not exist


class BuiltMemo:
    """The episodes recorded as built, and the check that they still are (see the module)."""

    def __init__(self, path: Path, fingerprints: Fingerprints) -> None:
        self.path = path
        self.fingerprints = fingerprints  # the project files' sha256, each read once per build (the planner's)
        self.entries: dict[str, dict[str, Any]] = {}  # by episode id; read by :meth:`read`
        self._context: str | None = None
        self._shared: list[Path] | None = None
        self._shared_modified: bool | None = None  # whether a shared file changed since loading
        self._changed = False

    def read(self) -> None:
        """Read the memo from its file again (a build does it once it holds the build lock, so
        another build's memo is not overwritten with an older one); empty when the file is
        missing, unreadable or of another format."""
        self.entries, self._changed = {}, False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        usable = isinstance(data, dict) and data.get("format") == MEMO_FORMAT
        if usable and isinstance(data.get("episodes"), dict):
            self.entries = data["episodes"]

    def context(self, project: Project, request: BuildRequest, profiles: Sequence[Profile]) -> str:
        """:func:`context_key`, worked out once per build."""
        if self._context is None:
            self._context = context_key(project, request, profiles, self.shared_files(project), self.fingerprints)
        return self._context

    def shared_files(self, project: Project) -> list[Path]:
        """:func:`shared_files`, listed once per build."""
        if self._shared is None:
            self._shared = shared_files(project)
        return self._shared

    def unchanged(
        self,
        project: Project,
        episode: Episode,
        request: BuildRequest,
        profiles: Sequence[Profile],
        hashes: FileHashes,
    ) -> list[TargetOutcome] | None:
        """The outcomes of ``episode``'s folders when it is recorded and nothing it is made from
        or made into has changed since (see the module); None when it must be checked in full."""
        entry = self.entries.get(episode.id)
        if not entry or not applies(project.station, request):
            return None
        if entry.get("context") != self.context(project, request, profiles):
            return None
        if entry.get("inputs") != episode_inputs(project, episode, self.fingerprints):
            return None
        expected = _folders(project, episode, request, profiles)
        recorded = entry.get("folders", [])
        if [(f.get("lang"), f.get("profile"), f.get("folder")) for f in recorded] != expected:
            return None
        if not _watched_unchanged(entry.get("watched", {})):
            return None
        if not all(_files_intact(request.out, folder, hashes) for folder in recorded):
            return None
        status: TargetStatus = "up to date" if request.dry_run else "unchanged"
        return [
            TargetOutcome(
                episode.id,
                folder["lang"],
                folder["profile"],
                status,
                Path(folder["folder"]),
                audio_seconds=float(folder["audio_seconds"]),
                segments=int(folder["segments"]),
            )
            for folder in recorded
        ]

    def record(
        self,
        project: Project,
        episode: Episode,
        request: BuildRequest,
        profiles: Sequence[Profile],
        outcomes: Sequence[TargetOutcome],
        files: Sequence[dict[str, Any]],
    ) -> None:
        """Keep ``episode`` as built, its folders' outcomes and manifest files as this build left
        them; forget it instead when any of its inputs changed while the build ran."""
        self.forget(episode.id)
        if not applies(project.station, request) or request.dry_run:
            return
        loaded = project.loaded_ns or time.time_ns()
        if self._shared_modified is None:
            self._shared_modified = _modified_since(self.shared_files(project), loaded)
        if self._shared_modified or _modified_since(_episode_files(project, episode), loaded):
            return
        manifests = [Path(str(outcome.folder)) / MANIFEST_NAME for outcome in outcomes]
        watched = {absolute_name(path): signature(path) for path in manifests}
        page, *others = _review_watch(project, episode, request, profiles)
        if signature(page) is None:  # no page to keep: the next build must write it
            return
        for path in (page, *others):
            watched[absolute_name(path)] = signature(path)
        self.entries[episode.id] = {
            "context": self.context(project, request, profiles),
            "inputs": episode_inputs(project, episode, self.fingerprints),
            "folders": [
                {
                    "lang": outcome.lang,
                    "profile": outcome.profile,
                    "folder": str(outcome.folder),
                    "segments": outcome.segments,
                    "audio_seconds": outcome.audio_seconds,
                    "files": {name: record.get("sha256") for name, record in sorted(listed.items())},
                }
                for outcome, listed in zip(outcomes, files, strict=True)
            ],
            "watched": watched,
        }
        self._changed = True

    def forget(self, episode_id: str) -> None:
        """Take ``episode_id`` out of the memo (it must be checked in full next time)."""
        if self.entries.pop(episode_id, None) is not None:
            self._changed = True

    def keep_only(self, episode_ids: Iterable[str]) -> None:
        """Forget the episodes the project no longer has."""
        wanted = set(episode_ids)
        for episode_id in [e for e in self.entries if e not in wanted]:
            self.forget(episode_id)

    def save(self) -> None:
        """Write the memo when it changed; where the project cannot be written, it is only lost."""
        if not self._changed:
            return
        document = {"format": MEMO_FORMAT, "episodes": self.entries}
        try:
            atomic_write_text(self.path, json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
        except OSError:
            return
        self._changed = False


def applies(station: Station, request: BuildRequest) -> bool:
    """Whether a build of ``request`` may take episodes as unchanged from the memo."""
    every_language = not request.languages or set(request.languages) >= set(station.languages)
    return every_language and not (request.force or request.fresh_speech or request.segments)


def _folders(
    project: Project, episode: Episode, request: BuildRequest, profiles: Sequence[Profile]
) -> list[tuple[str, str, str]]:
    """(language, profile, folder) of every folder the build makes of ``episode``, in build order."""
    station = project.station
    return [
        (lang, profile.name, str(target_folder(request.out, episode.id, lang, profile.name, station)))
        for lang in station.languages
        if episode.is_made_in(lang)
        for profile in profiles
    ]


def _review_watch(project: Project, episode: Episode, request: BuildRequest, profiles: Sequence[Profile]) -> list[Path]:
    """The review page, and the manifests of the languages the episode is not made in (the page
    shows what earlier builds left there)."""
    station = project.station
    others = [lang for lang in station.languages if not episode.is_made_in(lang)]
    folders = [target_folder(request.out, episode.id, lang, profiles[0].name, station) for lang in others]
    return [request.out / REVIEW_FOLDER / f"{episode.id}.html", *(folder / MANIFEST_NAME for folder in folders)]


def _files_intact(out: Path, folder: dict[str, Any], hashes: FileHashes) -> bool:
    """Whether the folder is a real one under ``out`` and holds every file it was recorded with."""
    path = Path(folder["folder"])
    if links_between(out, path):
        return False
    base = f"{absolute_name(path)}{os.sep}"
    for name, digest in folder.get("files", {}).items():
        try:
            found = hashes.trusted(base + name) or hashes.sha256(path / name)
        except OSError:
            return False
        if digest is None or found != digest:
            return False
    return True


def _watched_unchanged(watched: dict[str, Signature]) -> bool:
    """Whether every watched file is as recorded, and none was modified too recently to tell."""
    for path, recorded in watched.items():
        found = signature(Path(path))
        if found != recorded or (found is not None and not settled(found[1])):
            return False
    return True


def signature(path: Path) -> Signature:
    """Size, modification time (ns) and inode of ``path``; None when it does not exist."""
    try:
        found = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino]


def _modified_since(paths: Iterable[Path], loaded_ns: int) -> bool:
    """Whether any of ``paths`` was modified after the project was loaded (less the settling time)."""
    limit = loaded_ns - SETTLE_SECONDS * 1e9
    for path in paths:
        found = signature(path)
        if found is not None and found[1] >= limit:
            return True
    return False


def _episode_files(project: Project, episode: Episode) -> list[Path]:
    """The files that are ``episode``'s own: its script and its catalog in every station language."""
    root = project.root
    return [root / episode.path, *(po_path(root, lang, episode.id) for lang in project.station.languages)]


def episode_inputs(project: Project, episode: Episode, fingerprints: Fingerprints) -> str:
    """Digest of ``episode``'s own files (each file's content, or that it does not exist)."""
    return _digest_files(fingerprints, _episode_files(project, episode))


def shared_files(project: Project) -> list[Path]:
    """Every project file that may shape more than one episode (see the module), sorted."""
    root = project.root
    own = {f"{episode_id}.po" for episode_id in project.episodes}
    found = [
        path
        for path in (root / SCRIPTS_DIR).rglob("*")
        if not path.is_relative_to(root / EPISODES_DIR) and not path.is_relative_to(root / DRAFTS_DIR)
    ]
    for path in (root / LOCALES_DIR).rglob("*"):
        if path.is_relative_to(root / POT_DIR) or (path.parent.name == CATALOG_FOLDER and path.name in own):
            continue
        found.append(path)
    return sorted(path for path in found if path.is_file())


def context_key(
    project: Project, request: BuildRequest, profiles: Sequence[Profile], shared: list[Path], fingerprints: Fingerprints
) -> str:
    """Digest of everything besides an episode's own files that shapes its folders and page
    (``shared``: the project's :func:`shared_files`; ``fingerprints``: of the project's files)."""
    digest = hashlib.sha256(f"{MEMO_FORMAT}\0{sys.version}\0".encode())
    digest.update(code_digest().encode())
    digest.update(_distributions().encode())
    digest.update(_voices(project.station).encode())
    request_part = [str(request.out.resolve()), [p.name for p in profiles], request.allow_incomplete]
    digest.update(json.dumps(request_part).encode())
    digest.update(_digest_files(fingerprints, shared).encode())
    return digest.hexdigest()


def code_digest() -> str:
    """Digest of every file of the installed ``pipeline`` package (its code and data)."""
    files = sorted(path for path in _PACKAGE.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    return _digest_files(Fingerprints(_PACKAGE), files)


def _distributions() -> str:
    """Every installed distribution's name and version, read from the names of the metadata
    folders on ``sys.path`` (``numpy-2.4.6.dist-info``), not from their files: parsing every
    METADATA through ``importlib.metadata`` took 64 ms, against a digest of 0.1 s in all."""
    found: set[str] = set()
    here = Path.cwd().resolve()
    for entry in sys.path:
        folder = Path(entry)
        if entry and folder.is_dir() and folder.resolve() != here:  # (not the working folder: `-m` adds it)
            found.update(info.name for pattern in ("*.dist-info", "*.egg-info") for info in folder.glob(pattern))
    return json.dumps(sorted(found))


def _voices(station: Station) -> str:
    """Each configured voice as resolved, with its engine's version; or why it cannot be."""
    described: dict[str, object] = {}
    for lang in sorted(station.voices):
        for role in sorted(station.voices[lang]):
            spec = station.voice(lang, role)
            try:
                backend = get_backend(spec.backend)
                voice = resolve_voice(spec, lang, role, backend)
                described[f"{lang}/{role}"] = [asdict(voice), backend.version(lang)]
            except PipelineError as error:
                described[f"{lang}/{role}"] = str(error)
    return json.dumps(described, sort_keys=True)


def _digest_files(fingerprints: Fingerprints, paths: Iterable[Path]) -> str:
    """Digest of each file's path (relative to the fingerprints' root) and sha256, or that it
    does not exist."""
    named = [relative_name(path, fingerprints.root) for path in paths]
    return hashlib.sha256(json.dumps([[name, fingerprints.of(name)] for name in named]).encode()).hexdigest()
