"""``pipeline say``: print what the voices will read for a piece of text.

A quick check for translators and producers::

    pipeline say --lang ko "2022년 3월 21일, 4명 중 1명"
    echo "BTS와 K-pop" | pipeline say --lang ko

The text (or each line of standard input) is normalised with the project's
lexicons (``locales/<lang>/lexicon.yaml`` over the built-in ones; the English
one for words given to the English voice) and the station's speech settings,
and printed one line per chunk; a chunk read by another language's voice is
marked, e.g. ``[en] Crash Landing on You``. With ``--pronounced`` each input
line gives one output line: the text the role's voices are given, Korean
respelled as pronounced (합니다 → 함니다) where the voice's ``pronounce`` is
``standard``. With ``--out FILE.mp3`` the text is
also spoken by the station's voice, levelled and encoded like a segment.

``--entry FILE.po:LINE`` takes the text from a catalog instead: the parts a
build speaks for that entry, rendered by the build's renderer in a segment
that uses it (its voice role, pauses and normalisation; see
:mod:`pipeline.i18n.preview`), and with ``--out`` made by the build's own
segment code. Entry points: :func:`register` and :func:`run`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from pipeline.build.orchestrator import make_single_segment
from pipeline.commands import project_root
from pipeline.errors import SourceLocation, UsageError, display_path
from pipeline.formats.output import Tags
from pipeline.i18n.preview import entry_at, find_catalog, parse_entry_reference, spoken_parts
from pipeline.project.script import load_project
from pipeline.project.station import UNKNOWN_LATIN_POLICIES, Station, load_station
from pipeline.render import RenderedSegment, SpokenPart, SpokenSentence
from pipeline.speech import SpeechChunk, normaliser_for, voice_text
from pipeline.text.sentences import split_sentences


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
    parser.add_argument("--lang", required=True, metavar="LANG", help="language of the text (e.g. ko, en)")
    parser.add_argument(
        "--unknown-latin",
        choices=UNKNOWN_LATIN_POLICIES,
        help="what to do with Latin words no lexicon entry covers (default: the station's speech.<lang>.unknown_latin)",
    )
    parser.add_argument(
        "--pronounced",
        action="store_true",
        help="print what the voices are given, Korean respelled as pronounced (one line per input line)",
    )
    parser.add_argument("--out", metavar="FILE", help="also speak it with the station's voice into FILE (.mp3)")
    parser.add_argument("--role", default="host", help="voice role for --out and --pronounced (default: host)")
    parser.add_argument("--profile", metavar="NAME", help="output profile for --out (default: the station's)")
    parser.add_argument(
        "--entry",
        metavar="FILE.po:LINE",
        help="say the catalog entry written at LINE of FILE.po as a build would (its part's voice and pauses)",
    )
    parser.add_argument("text", nargs="*", help="the text to say (default: each line of standard input)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the normalised text; return the exit status."""
    root = project_root(args)
    station = load_station(root)
    if args.lang not in station.languages:
        known = ", ".join(station.languages)
        raise UsageError(f"--lang {args.lang}: the station has no such language (known: {known})")
    if args.entry:
        return _say_entry(root, args)
    normalise = normaliser_for(root, station, args.lang, args.unknown_latin)
    lines = list(_lines(args.text))
    if args.pronounced and args.role not in station.roles:
        raise UsageError(f"--role {args.role}: no such voice role (known: {', '.join(station.roles)})")
    for line in lines:
        chunks = normalise(line)
        if args.pronounced:
            print(" ".join(_shown(chunk, args.lang, _voice_text(station, chunk, args.role)) for chunk in chunks))
        else:
            for chunk in chunks:
                print(_shown(chunk, args.lang))
    if args.out:
        sentences = tuple(SpokenSentence(s, tuple(normalise(s))) for s in split_sentences(" ".join(lines), args.lang))
        origin = SourceLocation("<say>")
        text = " ".join(lines)
        segment = RenderedSegment("say", 1, text[:60], (SpokenPart(args.role, sentences, 0.2, 0.0, origin),), origin)
        seconds = speak_to_file(root, station, args.lang, args.profile, segment, Path(args.out))
        print(f"wrote {args.out} ({seconds:.1f} s)", file=sys.stderr)
    return 0


def _say_entry(root: Path, args: argparse.Namespace) -> int:
    """Print, and with ``--out`` speak, the parts a build speaks for one catalog entry."""
    if args.text:
        raise UsageError("give either --entry or the text to say, not both")
    if args.unknown_latin or args.role != "host":
        raise UsageError("--entry speaks the entry as the build would: --unknown-latin and --role do not apply")
    given, line = parse_entry_reference(args.entry)
    path = find_catalog(given, root)
    folder_lang = path.resolve().parent.parent.name if path.resolve().parent.name == "LC_MESSAGES" else None
    if folder_lang is not None and folder_lang != args.lang:
        raise UsageError(f"--entry {args.entry}: a '{folder_lang}' catalog, but --lang is {args.lang}")
    entry = entry_at(path, line, root)
    project = load_project(root)
    if path.suffix == ".pot" and args.lang != project.station.source_language:
        raise UsageError(f"--entry {args.entry}: a template holds no translation; give the {args.lang} catalog")
    segment = spoken_parts(project, args.lang, path.stem, entry, display_path(path, root))
    for part in segment.parts:
        chunks = [chunk for sentence in part.sentences for chunk in sentence.chunks]
        if args.pronounced:  # what the part's voices are given, as the build gives it
            voiced = (_shown(chunk, args.lang, _voice_text(project.station, chunk, part.role)) for chunk in chunks)
            print(f"[{part.role}] {' '.join(voiced)}")
        else:
            for chunk in chunks:
                print(f"[{part.role}] {_shown(chunk, args.lang)}")
    if args.out:
        seconds = speak_to_file(root, project.station, args.lang, args.profile, segment, Path(args.out))
        print(f"wrote {args.out} ({seconds:.1f} s)", file=sys.stderr)
    return 0


def speak_to_file(
    root: Path,
    station: Station,
    lang: str,
    profile_name: str | None,
    segment: RenderedSegment,
    out: Path,
) -> float:
    """Speak ``segment`` with the station's voices for ``lang`` into ``out``, as a build makes a
    segment file (synthesis, levelling, encoding); its duration."""
    profile = station.profiles.get(profile_name or station.default_profile)
    if profile is None:
        raise UsageError(f"--profile {profile_name}: no such profile (known: {', '.join(station.profiles)})")
    if out.suffix.lower() != f".{profile.extension}":
        raise UsageError(f"--out {out}: profile '{profile.name}' writes .{profile.extension} files")
    unknown = sorted({part.role for part in segment.parts} - set(station.roles))
    if unknown:
        raise UsageError(f"--role {unknown[0]}: no such voice role (known: {', '.join(station.roles)})")
    tags = Tags(segment.title[:60], station.name, "", 1, 1, lang)
    return make_single_segment(root, station, segment, profile, out.resolve(), tags).duration


def _lines(words: list[str]) -> Iterable[str]:
    if words:
        return [" ".join(words)]
    if sys.stdin.isatty():
        raise UsageError("give the text to say, or pipe it on standard input")
    return sys.stdin.read().splitlines()


def _shown(chunk: SpeechChunk, lang: str, text: str | None = None) -> str:
    text = chunk.text if text is None else text
    return text if chunk.lang == lang else f"[{chunk.lang}] {text}"


def _voice_text(station: Station, chunk: SpeechChunk, role: str) -> str:
    """What the station's ``role`` voice for the chunk's language is given."""
    spec = station.voices.get(chunk.lang, {}).get(role)
    return voice_text(chunk, spec.pronounce) if spec is not None else chunk.text
