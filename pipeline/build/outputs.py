"""What an output folder holds: earlier builds, and episodes whose script is gone.

Entry points: :func:`holds_build` (does a folder still hold a finished build
of its episode), :func:`retracted_folders` (episode folders under ``output/``
with no script under ``scripts_src/episodes`` or ``scripts_src/drafts``:
every build lists them, ``pipeline clean --retracted`` removes them) and
:func:`script_ids`.

An episode folder is ``<out>/<episode id>/`` holding at least one
``<lang>[-<profile>]/manifest.json``; folders whose names start with ``_``
(``_logs``, ``_report``, ``_review``) or ``.`` belong to the tools, not to an
episode.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import ConfigError, PipelineError, SourceLocation, display_path
from pipeline.formats.manifests import MANIFEST_NAME
from pipeline.project.layout import DRAFTS_DIR, EPISODES_DIR
from pipeline.project.yamlsource import load_located


def holds_build(folder: Path, episode_file: str) -> bool:
    """True when ``folder``'s manifest lists the whole-episode file: a finished build is there."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = data.get("files") if isinstance(data, dict) else None
    return isinstance(files, dict) and episode_file in files and (folder / episode_file).exists()


def script_ids(root: Path, strict: bool = False) -> set[str]:
    """The id of every episode script and draft of the project. An unreadable script is skipped
    (loading the project reports it) or, when ``strict``, raises: then nobody can tell whether
    an output folder is its episode's."""
    ids = set()
    for folder in (EPISODES_DIR, DRAFTS_DIR):
        for path in sorted((root / folder).glob("*.yaml")):
            try:
                data = load_located(path, display_path(path, root)).data
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


def retracted_folders(root: Path, out: Path, strict: bool = False) -> list[Path]:
    """Episode folders under ``out`` whose episode has no script in the project any more
    (``strict``: see :func:`script_ids`)."""
    folders = episode_folders(out)
    if not folders:
        return []
    known = script_ids(root, strict)
    return [folder for folder in folders if folder.name not in known]
