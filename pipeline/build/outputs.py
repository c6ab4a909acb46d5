"""What an output folder holds: earlier builds, and outputs no script makes any more.

Entry points: :func:`holds_build` (does a folder still hold a finished build
of its episode), :func:`retracted_folders` (what is under ``output/`` that no
script makes any more: every build lists these folders, ``pipeline clean
--retracted`` removes them) and :func:`script_ids`.

An episode folder is ``<out>/<episode id>/`` holding at least one
``<lang>[-<profile>]/manifest.json``; folders whose names start with ``_``
(``_logs``, ``_report``, ``_review``) or ``.`` belong to the tools, not to an
episode. Retracted are an episode folder whose id no script under
``scripts_src/episodes`` or ``scripts_src/drafts`` has, and, inside the folder
of a loaded episode, a language folder for a language or profile it is no
longer made in (``languages: [en]`` after a Korean build, a language or
profile taken out of ``station.yaml``): left alone, those would go on a card
as if current.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pipeline.errors import ConfigError, PipelineError, SourceLocation, display_path
from pipeline.formats.manifests import MANIFEST_NAME
from pipeline.formats.output import target_folder
from pipeline.project.layout import DRAFTS_DIR, EPISODES_DIR
from pipeline.project.script import Episode, Project
from pipeline.project.station import Station
from pipeline.project.yamlsource import load_located


def holds_build(folder: Path, episode_file: str) -> bool:
    """True when ``folder``'s manifest lists the whole-episode file: a finished build is there."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = data.get("files") if isinstance(data, dict) else None
    return isinstance(files, dict) and episode_file in files and (folder / episode_file).exists()


def script_ids(root: Path, strict: bool = False, loaded: Mapping[str, str] | None = None) -> set[str]:
    """The id of every episode script and draft of the project. An unreadable script is skipped
    (loading the project reports it) or, when ``strict``, raises: then nobody can tell whether
    an output folder is its episode's. ``loaded`` gives the id of scripts the caller has already
    read, by their shown path: they are not read again (a catalogue's scripts would be parsed twice)."""
    ids = set()
    loaded = loaded or {}
    for folder in (EPISODES_DIR, DRAFTS_DIR):
        for path in sorted((root / folder).glob("*.yaml")):
            shown = display_path(path, root)
            if shown in loaded:
                ids.add(loaded[shown])
                continue
            try:
                data = load_located(path, shown).data
            except PipelineError:
                if strict:
                    raise
                continue
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                ids.add(data["id"])
            elif strict:
                raise ConfigError("no episode id (id: ...)", SourceLocation(display_path(path, root), 1))
    return ids


def episode_folders(out: Path) -> list[Path]:
    """Every episode folder under ``out`` (see the module docstring)."""
    if not out.is_dir():
        return []
    return [
        folder
        for folder in sorted(out.iterdir())
        if folder.is_dir() and not folder.name.startswith(("_", ".")) and any(folder.glob(f"*/{MANIFEST_NAME}"))
    ]


def retracted_folders(project: Project, out: Path, strict: bool = False) -> list[Path]:
    """Episode and language folders under ``out`` that no script of ``project`` makes any more
    (``strict``: see :func:`script_ids`). Drafts not loaded into ``project`` keep all their folders."""
    folders = episode_folders(out)
    if not folders:
        return []
    known = script_ids(project.root, strict, {episode.path: episode.id for episode in project.episodes.values()})
    found = []
    for folder in folders:
        if folder.name not in known:
            found.append(folder)
            continue
        episode = project.episodes.get(folder.name)
        if episode is not None:
            made = _made_folder_names(project.station, episode, out)
            found += [
                leaf for leaf in sorted(folder.iterdir()) if (leaf / MANIFEST_NAME).exists() and leaf.name not in made
            ]
    return found


def _made_folder_names(station: Station, episode: Episode, out: Path) -> set[str]:
    """The language folders a build may make for ``episode``: each language it is made in × each profile."""
    return {
        target_folder(out, episode.id, lang, profile, station).name
        for lang in station.languages
        if episode.is_made_in(lang)
        for profile in station.profiles
    }
