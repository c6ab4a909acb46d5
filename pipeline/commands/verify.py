"""``pipeline verify DIR``: check built files or a card before they travel.

Prints one line per finding (``path: problem``) and a summary line; exits 1
when anything was found, 0 when the files are clean.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.delivery.verify import verify_tree
from pipeline.errors import UsageError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``verify`` command."""
    parser = subparsers.add_parser(
        "verify",
        parents=[common],
        help="check built audio, lyrics, playlists and tags; exit 1 on any finding",
        description=(
            "Decode every audio file under DIR with ffmpeg, check it against its profile "
            "(from the nearest manifest.json) with ffprobe, look for identifying data in "
            "tags and bytes, compare sizes and sha256 with the manifest, and check LRC/SRT "
            "timing and playlist entries."
        ),
    )
    parser.add_argument("directory", metavar="DIR", help="an output folder or a card folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Verify the folder and print the findings and a summary."""
    root = Path(args.directory)
    if not root.is_dir():
        raise UsageError(f"{root}: no such folder")
    report = verify_tree(root, shown_root=args.directory.rstrip("/") or "/")
    for finding in report.findings:
        print(finding)
    print(report.summary())
    return 0 if report.clean else 1
