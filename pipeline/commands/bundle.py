"""``pipeline bundle``: lay out built episodes for an SD card (or a zip), with a capacity plan.

Prints the plan (hours, bytes with cluster rounding, what did not fit),
refuses with exit 1 and writes nothing when the selection exceeds the card
or the staged card fails ``verify``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.commands import project_root
from pipeline.delivery.bundle import CardDoesNotFit, CardFailedVerification, make_bundle
from pipeline.project.layout import OUTPUT_DIR
from pipeline.project.station import load_station


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``bundle`` command."""
    parser = subparsers.add_parser(
        "bundle",
        parents=[common],
        help="lay out built episodes for an SD card or a zip, with a capacity plan",
        description=(
            "Copy the built episodes of one profile from output/ into a card layout: "
            "<lang>/<episode>/ folders of numbered MP3s, LRC lyrics, the transcript and "
            "playlists; top-level playlists per language and LISTEN.txt (Korean and English). "
            "The result is verified before it is written."
        ),
    )
    parser.add_argument("--profile", metavar="NAME", help="output profile to bundle (default: the station's)")
    parser.add_argument(
        "--lang",
        metavar="CODE",
        action="append",
        default=[],
        help="language to include; repeat for several (default: every built language)",
    )
    parser.add_argument(
        "--episode",
        metavar="ID",
        nargs="+",
        action="extend",
        default=[],
        help="episodes to include, in card order (default: every built episode)",
    )
    parser.add_argument(
        "--card",
        metavar="SIZE",
        required=True,
        help="card size: 8GB, 512MB, 1TB are decimal (GB = 10^9 bytes); 8GiB, 512MiB are binary (GiB = 2^30 bytes)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        required=True,
        help="new or empty folder to write the card into; with --zip, the zip file to write",
    )
    parser.add_argument(
        "--zip",
        action="store_true",
        help="write a zip of the card instead (sorted entries, fixed timestamps from "
        "SOURCE_DATE_EPOCH, default 1980-01-01; byte-reproducible)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Bundle, print the plan, and say where the card is."""
    root = project_root(args)
    profile = args.profile or load_station(root).default_profile
    out = Path(args.out)
    if args.zip and out.suffix.lower() != ".zip":
        out = out.with_name(f"{out.name}.zip")
    try:
        plan, report = make_bundle(root / OUTPUT_DIR, profile, args.card, out, args.lang, args.episode, args.zip)
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
    print(f"card written to {out}")
    return 0
