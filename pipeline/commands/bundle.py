"""``pipeline bundle``: put finished, current episodes on an SD card (a mounted card, a folder,
a zip or a FAT32 image), in playback order, with a capacity plan.

Prints the plan (card order, hours, bytes in whole clusters, what did not
fit, what was left out as not ready); refuses with exit 1, one line per
folder, when a built folder is not ready (unless ``--skip-unready``); refuses
with exit 1 and leaves nothing written when the selection exceeds the card
or the card fails ``verify``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.commands import project_root
from pipeline.delivery.bundle import BundleRequest, CardDoesNotFit, CardFailedVerification, make_bundle
from pipeline.errors import UsageError
from pipeline.project.layout import OUTPUT_DIR
from pipeline.project.station import load_station


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``bundle`` command."""
    parser = subparsers.add_parser(
        "bundle",
        parents=[common],
        help="put finished episodes on an SD card, a zip or a FAT32 image, in playback order",
        description=(
            "Copy the built episodes of one profile into a card layout: <lang>/<episode>/ folders "
            "of numbered MP3s, LRC lyrics, the transcript and playlists; top-level playlists per "
            "language and LISTEN.txt (Korean and English). Only folders whose build finished, "
            "whose files are all there and whose sources have not changed go on a card. Files "
            "and folders are written in playback order and verified."
        ),
    )
    parser.add_argument("--profile", metavar="NAME", help="output profile to bundle (default: the station's)")
    parser.add_argument(
        "--from",
        dest="built",
        metavar="DIR",
        help="the build's output folder (default: output/ of the project; for builds made with 'build --out DIR')",
    )
    parser.add_argument(
        "--lang",
        metavar="CODE",
        action="append",
        default=[],
        help="language to include, in card order; repeat for several (default: every built language, "
        "in the station's card order)",
    )
    parser.add_argument(
        "--episode",
        metavar="ID",
        nargs="+",
        action="extend",
        default=[],
        help="episodes to include, in card order (default: every built episode, newest first)",
    )
    parser.add_argument(
        "--card",
        metavar="SIZE",
        help="card size: 8GB, 512MB, 1TB are decimal (GB = 10^9 bytes); 8GiB, 512MiB are binary "
        "(GiB = 2^30 bytes); not needed when --out is a mounted card (its size is read)",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--out",
        metavar="PATH",
        help="a mounted card or a new or empty folder to write the card into; with --zip, the zip file",
    )
    target.add_argument(
        "--image",
        metavar="FILE",
        help="write a FAT32 image of a --card SIZE card instead (sparse; files in playback order), for imaging tools",
    )
    parser.add_argument(
        "--zip",
        action="store_true",
        help="write a zip of the card instead (playback order, fixed timestamps from "
        "SOURCE_DATE_EPOCH, default 1980-01-01; byte-reproducible)",
    )
    parser.add_argument(
        "--skip-unready",
        action="store_true",
        help="leave out built folders that are not ready (unfinished, incomplete, older than their "
        "sources, retracted) and list them in the plan and LISTEN.txt's operator notes, instead of refusing",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Bundle, print the plan, and say where the card is."""
    root = project_root(args)
    station = load_station(root)
    if args.zip and args.image:
        raise UsageError("--zip and --image: choose one")
    out = Path(args.out) if args.out else None
    if args.zip and out is not None and out.suffix.lower() != ".zip":
        out = out.with_name(f"{out.name}.zip")
    request = BundleRequest(
        built=Path(args.built) if args.built else root / OUTPUT_DIR,
        project_root=root,
        profile=args.profile or station.default_profile,
        card_label=args.card,
        out=out,
        image=Path(args.image) if args.image else None,
        languages=tuple(args.lang),
        episodes=tuple(args.episode),
        as_zip=args.zip,
        skip_unready=args.skip_unready,
        order=station.card,
    )
    try:
        plan, report = make_bundle(request)
    except CardDoesNotFit as refusal:
        print("\n".join(refusal.plan.lines()))
        raise
    except CardFailedVerification as refusal:
        print("\n".join(refusal.plan.lines()))
        for finding in refusal.report.findings:
            print(finding)
        raise
    print("\n".join(plan.lines()))
    print(report.summary())
    print(f"card written to {request.image or out}")
    return 0
