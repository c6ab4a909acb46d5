"""``pipeline verify PATH``: check built files, a card or a card image before they travel.

Prints one line per finding (``path: problem``) and a summary line; exits 1
when anything was found, 0 when the files are clean.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.delivery.fatimage import is_fat_image
from pipeline.delivery.verify import verify_tree
from pipeline.errors import UsageError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``verify`` command."""
    parser = subparsers.add_parser(
        "verify",
        parents=[common],
        help="check built audio, lyrics, playlists and tags; exit 1 on any finding",
        description=(
            "Decode every audio file under PATH (a folder, or every file inside a FAT32 card image, "
            "which is also checked with fsck.fat and for files written out of playback order) with "
            "ffmpeg, check it against its profile "
            "(from the nearest manifest.json) with ffprobe, look for identifying data in "
            "tags and bytes, compare sizes and sha256 with the manifest, and check LRC/SRT "
            "timing and playlist entries."
        ),
    )
    parser.add_argument(
        "directory", metavar="PATH", help="an output folder, a card (folder or mounted) or a FAT32 card image"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Verify the folder and print the findings and a summary."""
    root = Path(args.directory)
    if root.is_file() and is_fat_image(root):
        from pipeline.delivery.bundle import verify_image

        report = verify_image(root, shown_root=args.directory)
    elif root.is_dir():
        report = verify_tree(root, shown_root=args.directory.rstrip("/") or "/")
    else:
        raise UsageError(f"{root}: neither a folder nor a FAT32 card image")
    for finding in report.findings:
        print(finding)
    print(report.summary())
    return 0 if report.clean else 1
