"""``pipeline cache``: what the build caches hold, and pruning what has not been used lately."""

from __future__ import annotations

import argparse
import re
import time

from pipeline.build.caches import CACHE_KINDS, SpeechDensity, built_minutes, entries, prune, speech_density
from pipeline.commands import output_folder, project_root
from pipeline.errors import UsageError
from pipeline.project.layout import TTS_CACHE

_AGE = re.compile(r"^(\d+)([dhm])$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``cache`` command with ``stats`` and ``prune``."""
    parser = subparsers.add_parser("cache", help="inspect or prune the build caches", description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", parents=[common], help="entries and bytes per cache")
    stats.add_argument(
        "--out", metavar="DIR", help="the output folder to set the speech cache against (default: output/)"
    )
    stats.set_defaults(run=run_stats)
    prune = actions.add_parser("prune", parents=[common], help="delete entries not used lately")
    prune.add_argument(
        "--older-than", default="30d", metavar="AGE", help="unused for longer than AGE: 30d, 12h, 90m (default 30d)"
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    prune.set_defaults(run=run_prune)


def run_stats(args: argparse.Namespace) -> int:
    """One line per cache: entries, size, oldest and newest use; the speech cache's bytes per minute
    of the speech it holds and, when the output folder holds built audio, per minute of that."""
    root = project_root(args)
    found = entries(root)
    for kind in CACHE_KINDS:
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
    density = speech_density(found)
    if density.minutes or density.unmeasured:
        print(_density_line(density))
    out = output_folder(args, root)
    built = built_minutes(out) if density.minutes else 0.0
    if built:
        print(
            f"{TTS_CACHE}: {density.size / built / 1_000_000:.3f} MB per minute of built audio "
            f"({built:.1f} minutes in {out.as_posix()}, pauses included)"
        )
    return 0


def _density_line(density: SpeechDensity) -> str:
    """``tts: 1.346 MB per minute of cached speech (24.4 minutes)``, and what was left out of it."""
    per_minute = density.bytes_per_minute / 1_000_000
    line = f"{TTS_CACHE}: {per_minute:.3f} MB per minute of cached speech ({density.minutes:.1f} minutes)"
    if density.unmeasured:
        line += (
            f"; {density.unmeasured} entries from before FLAC left out"
            " (misses: a build that meets one deletes it, `cache prune` the rest)"
        )
    return line


def run_prune(args: argparse.Namespace) -> int:
    """Delete entries unused for longer than ``--older-than``; say what was (or would be) freed."""
    limit = parse_age(args.older_than)
    cutoff = time.time() - limit
    root = project_root(args)
    count, freed = prune(root, cutoff, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {count} entries unused for more than {args.older_than} ({_megabytes(freed)})")
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
