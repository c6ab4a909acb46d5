"""One module per ``pipeline`` command; shared helpers for loading the project."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import UsageError, display_path
from pipeline.project.layout import EPISODES_DIR, OUTPUT_DIR, is_project
from pipeline.project.script import Project, load_project


def project_root(args: argparse.Namespace) -> Path:
    """The content folder named by ``--project``, checked to exist."""
    root = Path(args.project)
    if not is_project(root):
        raise UsageError(f"{root}: not a content folder (no scripts_src/ inside); use --project DIR")
    return root


def output_folder(args: argparse.Namespace, root: Path) -> Path:
    """The folder named by ``--out``, or ``output/`` in the project."""
    return Path(args.out) if args.out else root / OUTPUT_DIR


def load(args: argparse.Namespace) -> Project:
    """Load and validate the project named by ``--project``."""
    return load_project(project_root(args))


def is_episode_path(name: str) -> bool:
    """True when a command-line episode argument names a file rather than an id."""
    return name.endswith((".yaml", ".yml"))


def load_selection(root: Path, names: Sequence[str]) -> tuple[Project, tuple[str, ...]]:
    """The project and the ids of the episodes named by id or by file.

    Only files are named: just those scripts are loaded (a draft can be built
    on its own). Otherwise every episode under ``scripts_src/episodes`` is
    loaded as well, and the ids are checked against them.
    """
    paths = [Path(name) for name in names if is_episode_path(name)]
    ids = [name for name in names if not is_episode_path(name)]
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such episode file")
    files: list[Path] | None = None
    if paths:
        files = [] if not ids else sorted((root / EPISODES_DIR).glob("*.yaml"))
        known = {f.resolve() for f in files}
        files += [p for p in paths if p.resolve() not in known]
    project = load_project(root, episode_files=files)
    shown = {display_path(path, root) for path in paths}
    from_files = [episode.id for episode in project.episodes.values() if episode.path in shown]
    return project, tuple(dict.fromkeys([*ids, *from_files]))
