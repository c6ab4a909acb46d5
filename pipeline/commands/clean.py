"""``pipeline clean``: remove built outputs and caches, or only the outputs of retracted episodes.

``pipeline clean`` removes the output folder and the build caches under
``.cache/`` (what ``make clean`` runs); ``--retracted`` removes only the
episode folders whose script is gone and the language folders an episode is
no longer made in (every build lists them), with the review pages of the
episodes it removes;
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
from pipeline.project.script import Project, load_project


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
        project = load_project(root) if args.retracted else None  # a script with problems stops it here
        wanted = retracted_folders(project, out, strict=True) if project else [out, *_cache_entries(root)]
        doomed = [path for path in wanted if path.exists()]
        verb = "would remove" if args.dry_run else "removed"
        for path in doomed:
            files, size = _measure(path)
            if not args.dry_run:
                _remove(path)
            print(f"{verb} {path} ({files} files, {size / 1_000_000:.1f} MB)")
        if project is not None:
            doomed += _review_pages(project, out, [path for path in doomed if path.parent == out], args.dry_run)
    if not doomed:
        print("nothing to remove")
    return 0


def _review_pages(project: Project, out: Path, episode_folders: list[Path], dry_run: bool) -> list[Path]:
    """The review pages of the removed episode folders: removed too (the index then lists the rest)."""
    from pipeline.delivery.review import pages_of, remove_pages

    episodes = [folder.name for folder in episode_folders]
    pages = pages_of(out, episodes) if dry_run else remove_pages(project, out, episodes)
    for page in pages:
        print(f"{'would remove' if dry_run else 'removed'} {page} (its review page)")
    return pages


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
