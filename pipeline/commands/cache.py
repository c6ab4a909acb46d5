"""``pipeline cache``: what the build caches hold, and pruning what has not been used lately."""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.build.lock import build_lock
from pipeline.build.orchestrator import CACHE_DIR
from pipeline.commands import project_root
from pipeline.errors import UsageError

_AGE = re.compile(r"^(\d+)([dhm])$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}
# Each cache entry is a data file and a small record beside it; the record's time is the last use.
_KINDS = {
    "tts": (".wav", ".json"),
    "levels": (".npy", None),
    "mo": (".mo", ".mo.src"),
    "speech-text": (".json", None),
}


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``cache`` command with ``stats`` and ``prune``."""
    parser = subparsers.add_parser("cache", help="inspect or prune the build caches", description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", parents=[common], help="entries and bytes per cache")
    stats.set_defaults(run=run_stats)
    prune = actions.add_parser("prune", parents=[common], help="delete entries not used lately")
    prune.add_argument(
        "--older-than", default="30d", metavar="AGE", help="unused for longer than AGE: 30d, 12h, 90m (default 30d)"
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    prune.set_defaults(run=run_prune)


@dataclass
class Entry:
    """One cache entry: its files and when it was last used."""

    kind: str
    files: list[Path]
    last_used: float

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return sum(path.stat().st_size for path in self.files if path.exists())


def entries(root: Path) -> list[Entry]:
    """Every entry of every cache under the project's ``.cache``."""
    found = []
    for kind, (data_suffix, record_suffix) in _KINDS.items():
        folder = root / CACHE_DIR / kind
        for data in sorted(folder.rglob(f"*{data_suffix}")) if folder.exists() else []:
            record = data.with_name(data.name.removesuffix(data_suffix) + record_suffix) if record_suffix else None
            files = [data, record] if record and record.exists() else [data]
            found.append(Entry(kind, files, max(path.stat().st_mtime for path in files)))
    return found


def run_stats(args: argparse.Namespace) -> int:
    """One line per cache: entries, size, oldest and newest use."""
    found = entries(project_root(args))
    for kind in _KINDS:
        mine = [entry for entry in found if entry.kind == kind]
        if not mine:
            print(f"{kind:11s} empty")
            continue
        oldest, newest = min(e.last_used for e in mine), max(e.last_used for e in mine)
        print(
            f"{kind:11s} {len(mine):6d} entries  {_megabytes(sum(e.size for e in mine)):>9s}  "
            f"last used {_ago(newest)} (oldest {_ago(oldest)})"
        )
    print(f"{'total':11s} {len(found):6d} entries  {_megabytes(sum(e.size for e in found)):>9s}")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    """Delete entries unused for longer than ``--older-than``; say what was (or would be) freed."""
    limit = parse_age(args.older_than)
    cutoff = time.time() - limit
    root = project_root(args)
    stale = [entry for entry in entries(root) if entry.last_used < cutoff]
    freed = sum(entry.size for entry in stale)
    if not args.dry_run:
        with build_lock(root, "cache prune"):
            for entry in stale:
                for path in entry.files:
                    path.unlink(missing_ok=True)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {len(stale)} entries unused for more than {args.older_than} ({_megabytes(freed)})")
    return 0


def parse_age(text: str) -> float:
    """``30d`` / ``12h`` / ``90m`` → seconds."""
    match = _AGE.match(text.strip())
    if not match:
        raise UsageError(f"--older-than {text!r}: write a number and d, h or m (e.g. 30d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _ago(moment: float) -> str:
    days = (time.time() - moment) / 86400
    return f"{days:.0f} days ago" if days >= 1 else "today"
