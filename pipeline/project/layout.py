"""Every path of a content folder, named once.

A content folder (a *project*) holds what producers and translators edit and
what builds leave behind::

    scripts_src/station.yaml            the station            STATION_FILE
    scripts_src/templates/*.yaml        segment templates      TEMPLATES_DIR
    scripts_src/episodes/*.yaml         episode scripts        EPISODES_DIR
    scripts_src/drafts/                 ingest's drafts        DRAFTS_DIR
    scripts_src/ingest.yaml             ingest's stop-lists    INGEST_FILE
    locales/templates/<domain>.pot      catalog templates      POT_DIR
    locales/<lang>/LC_MESSAGES/*.po     translations           po_path()
    locales/<lang>/lexicon.yaml         project pronunciations lexicon_path()
    locales/checks.yaml, glossary.yaml  check settings         CHECKS_FILE, GLOSSARY_FILE
    .cache/                             caches and the lock    CACHE_DIR (tts, mo, levels, speech-text, review)
    .cache/coverage.json                translation coverage   COVERAGE_MEMO
    .cache/built.json                   episodes found built   BUILT_MEMO
    .cache/ingest/written.json          drafts ingest wrote    INGEST_LEDGER (never pruned)
    output/                             built audio            OUTPUT_DIR
    output/_logs/, output/_report/      a build's log, report  LOGS_FOLDER, REPORT_FOLDER
    output/_review/                     review pages           REVIEW_FOLDER
    .cache/ and output/_logs/ cluster-check/   a cluster build's token files   CLUSTER_CHECK_FOLDER

Paths here are relative to the project root; callers join them to it. Nothing
else in the package spells these names, so a layout change is made here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SCRIPTS_DIR = Path("scripts_src")
STATION_FILE = SCRIPTS_DIR / "station.yaml"
TEMPLATES_DIR = SCRIPTS_DIR / "templates"
EPISODES_DIR = SCRIPTS_DIR / "episodes"
DRAFTS_DIR = SCRIPTS_DIR / "drafts"
INGEST_FILE = SCRIPTS_DIR / "ingest.yaml"

LOCALES_DIR = Path("locales")
POT_DIR = LOCALES_DIR / "templates"
CATALOG_FOLDER = "LC_MESSAGES"
LEXICON_NAME = "lexicon.yaml"
CHECKS_FILE = LOCALES_DIR / "checks.yaml"
GLOSSARY_FILE = LOCALES_DIR / "glossary.yaml"

CACHE_DIR = Path(".cache")
TTS_CACHE = "tts"  # synthesised speech, content-addressed
MO_CACHE = "mo"  # compiled catalogs
LEVELS_CACHE = "levels"  # measured loudness blocks of made segments
SPEECH_TEXT_CACHE = "speech-text"  # normalised sentences kept between builds
REVIEW_CACHE = "review"  # the translators' check findings of each catalog, for the review pages
# The speech and loudness-block caches keep an entry in the folder named by the first hex digit of
# its key (a cold build makes at most 16 folders; 256 before: 150 of them for the sample station's
# 232 utterances); entries of the earlier layout, by the first two digits, are still read.
CACHE_SHARD_DIGITS = 1
EARLIER_CACHE_SHARD_DIGITS = 2
MO_CACHE_DIR = CACHE_DIR / MO_CACHE
SPEECH_TEXT_DIR = CACHE_DIR / SPEECH_TEXT_CACHE
REVIEW_CACHE_DIR = CACHE_DIR / REVIEW_CACHE
FILE_HASHES = CACHE_DIR / "file-hashes.json"
COVERAGE_MEMO = CACHE_DIR / "coverage.json"  # translation coverage per catalog, kept between builds
BUILT_MEMO = CACHE_DIR / "built.json"  # episodes a build found built, and what they were made from
LOCK_FILE = CACHE_DIR / "build.lock"
INGEST_LEDGER = CACHE_DIR / "ingest" / "written.json"  # hashes of the drafts ingest wrote

OUTPUT_DIR = Path("output")
LOGS_FOLDER = "_logs"  # inside an output folder: a build's JSON-lines logs
REPORT_FOLDER = "_report"  # inside an output folder: the run report
REVIEW_FOLDER = "_review"  # inside an output folder: the review pages (script and audio side by side)
CLUSTER_CHECK_FOLDER = "cluster-check"  # in .cache/ and output/_logs/: tokens cluster workers read back
# For operators and reviewers only: never copied to a card.
OPERATOR_FOLDERS = (LOGS_FOLDER, REPORT_FOLDER, REVIEW_FOLDER)


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """Every command's ``--project`` (also read before a build's command is parsed: see
    :mod:`pipeline.build.early_workers`)."""
    parser.add_argument(
        "--project",
        metavar="DIR",
        default=".",
        help="content folder holding scripts_src/ and locales/ (default: current folder)",
    )


def is_project(root: Path) -> bool:
    """True when ``root`` is a content folder (it has a ``scripts_src`` folder)."""
    return (root / SCRIPTS_DIR).is_dir()


def project_of(path: Path) -> Path | None:
    """The content folder a file under ``scripts_src`` belongs to, if it is under one."""
    for folder in path.parents:
        if folder.name == SCRIPTS_DIR.name:
            return folder.parent
    return None


def lexicon_path(root: Path, lang: str) -> Path:
    """The project's own pronunciations for ``lang``."""
    return root / LOCALES_DIR / lang / LEXICON_NAME


def catalog_folder(root: Path, lang: str) -> Path:
    """The folder of ``lang``'s ``.po`` files."""
    return root / LOCALES_DIR / lang / CATALOG_FOLDER


def language_of_catalog(path: Path) -> str | None:
    """The language a ``.po`` file is for, read from its ``<lang>/LC_MESSAGES`` folder."""
    parts = path.parts
    return parts[parts.index(CATALOG_FOLDER) - 1] if CATALOG_FOLDER in parts[1:] else None


def po_path(root: Path, lang: str, domain: str) -> Path:
    """The translations of one domain (an episode, or the station's shared strings) into ``lang``."""
    return catalog_folder(root, lang) / f"{domain}.po"


def pot_path(root: Path, domain: str) -> Path:
    """The ``.pot`` template of one domain."""
    return root / POT_DIR / f"{domain}.pot"
