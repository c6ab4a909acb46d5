"""``pipeline clean``: remove built outputs and caches, or only the outputs of retracted episodes.

``pipeline clean`` removes the output folder and the build caches under
``.cache/`` (what ``make clean`` runs); ``--retracted`` removes only the
episode folders whose script is gone and the language folders an episode is
no longer made in (every build lists them);
``--dry-run`` says what would go. It holds the build lock, so it never
removes files a running build is writing.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from pipeline.build.lock import build_lock
from pipeline.build.outputs import retracted_folders
from pipeline.commands import output_folder, project_root
from pipeline.project.layout import CACHE_DIR, LOCK_FILE
from pipeline.project.script import load_project


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``clean`` command."""
    parser = subparsers.add_parser(
        "clean",
        parents=[common],
        help="remove built outputs and caches (or only retracted episodes' outputs)",
        description="Remove the output folder and the build caches (.cache/); with --retracted, only the "
        "output folders of episodes whose script is gone and of languages an episode is no longer made in.",
    )
    parser.add_argument(
        "--retracted", action="store_true", help="only output folders no script makes any more (listed by every build)"
    )
    parser.add_argument("--out", metavar="DIR", help="output folder (default: output/ in the project)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Remove (or list) what was asked for, holding the build lock."""
    root = project_root(args)
    out = output_folder(args, root)
    with build_lock(root, "clean"):
        if args.retracted:  # the whole project is loaded: a script with problems stops it here
            wanted = retracted_folders(load_project(root), out, strict=True)
        else:
            wanted = [out, *_cache_entries(root)]
        doomed = [path for path in wanted if path.exists()]
        verb = "would remove" if args.dry_run else "removed"
        for path in doomed:
            files, size = _measure(path)
            if not args.dry_run:
                _remove(path)
            print(f"{verb} {path} ({files} files, {size / 1_000_000:.1f} MB)")
    if not doomed:
        print("nothing to remove")
    return 0


def _cache_entries(root: Path) -> list[Path]:
    """Everything under ``.cache/`` but the lock this command holds."""
    folder = root / CACHE_DIR
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.iterdir()) if path != root / LOCK_FILE]


def _measure(path: Path) -> tuple[int, int]:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
