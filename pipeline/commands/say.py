"""``pipeline say``: print what the voices will read for a piece of text.

A quick check for translators and producers::

    pipeline say --lang ko "2022년 3월 21일, 4명 중 1명"
    echo "BTS와 K-pop" | pipeline say --lang ko

The text (or each line of standard input) is normalised with the project's
lexicons (``locales/<lang>/lexicon.yaml`` over the built-in ones; the English
one for words given to the English voice) and the station's speech settings,
and printed one line per chunk; a chunk read by another language's voice is
marked, e.g. ``[en] Crash Landing on You``.
Entry points: :func:`register` and :func:`run`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from ..config import UNKNOWN_LATIN_POLICIES, load_station
from ..errors import UsageError
from ..speech import SpeechChunk, load_lexicon, normalise
from . import project_root


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``say`` command."""
    parser = subparsers.add_parser(
        "say",
        parents=[common],
        help="print the text a voice will read, after normalisation",
        description=(
            "Normalise text the way a build does before synthesis and print it, one line per "
            "part; parts read by another language's voice are marked like '[en] …'."
        ),
    )
    parser.add_argument(
        "--lang", required=True, metavar="LANG", help="language of the text (e.g. ko, en)"
    )
    parser.add_argument(
        "--unknown-latin",
        choices=UNKNOWN_LATIN_POLICIES,
        help="what to do with Latin words no lexicon entry covers "
        "(default: the station's speech.<lang>.unknown_latin)",
    )
    parser.add_argument(
        "text", nargs="*", help="the text to say (default: each line of standard input)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the normalised text; return the exit status."""
    root = project_root(args)
    station = load_station(root)
    if args.lang not in station.languages:
        known = ", ".join(station.languages)
        raise UsageError(f"--lang {args.lang}: the station has no such language (known: {known})")
    lexicon = load_lexicon(root, args.lang)
    english = load_lexicon(root, "en")
    policy = args.unknown_latin or station.speech_settings(args.lang).unknown_latin
    for line in _lines(args.text):
        for chunk in normalise(line, args.lang, lexicon, policy, english_lexicon=english):
            print(_shown(chunk, args.lang))
    return 0


def _lines(words: list[str]) -> Iterable[str]:
    if words:
        return [" ".join(words)]
    if sys.stdin.isatty():
        raise UsageError("give the text to say, or pipe it on standard input")
    return sys.stdin.read().splitlines()


def _shown(chunk: SpeechChunk, lang: str) -> str:
    return chunk.text if chunk.lang == lang else f"[{chunk.lang}] {chunk.text}"
