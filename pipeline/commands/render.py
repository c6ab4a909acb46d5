"""``pipeline render``: print what would be spoken, segment by segment, without making audio.

Entry points: :func:`register`, :func:`run` and :func:`print_episode`. Each part
is printed as normalised (the default), as written (``--written``) or as its
voices are given it, Korean respelled as pronounced (``--pronounced``). With
``--allow-incomplete`` segments with missing translations are printed too, each
missing string a marked gap: a translator's preview.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.build.orchestrator import render_all, select_episodes, select_languages
from pipeline.commands import load_selection, project_root
from pipeline.errors import CatalogError
from pipeline.project.station import VoiceSpec
from pipeline.render import LocalisedEpisode, SpokenPart
from pipeline.speech import SpeechChunk, voice_text

Voices = dict[str, dict[str, VoiceSpec]]


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``render`` command."""
    parser = subparsers.add_parser(
        "render",
        parents=[common],
        help="print the final spoken text of an episode (no audio)",
        description="Print each segment's spoken text as the speech engine will read it.",
    )
    parser.add_argument("episode", metavar="EPISODE", help="episode id, or path to an episode .yaml")
    parser.add_argument("--lang", required=True, metavar="LANG", help="language to render")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--written", action="store_true", help="print the text as written, not as spoken")
    shown.add_argument(
        "--pronounced",
        action="store_true",
        help="print the text the voices are given, Korean respelled as pronounced (합니다 → 함니다)",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="also print segments with missing translations, each gap marked (exit 0)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Render one episode in one language; exit 1 when segments are missing translations.

    With ``--allow-incomplete`` every segment is printed, a missing string as
    a marked gap, and the exit status is 0: a translator's preview.
    """
    project, ids = load_selection(project_root(args), [args.episode])
    episodes = select_episodes(project, ids)
    languages = select_languages(project.station, [args.lang])
    partial = args.allow_incomplete
    localised = render_all(project, episodes, languages, partial)[(episodes[0].id, args.lang)]
    if localised.error:  # never the English text under another language's heading
        raise CatalogError(localised.error)
    voices = project.station.voices if args.pronounced else None
    print_episode(localised, written=args.written, pronounced_by=voices)
    for missing in localised.missing():
        print(str(missing), file=sys.stderr)
    return 0 if localised.is_complete or partial else 1


def print_episode(localised: LocalisedEpisode, written: bool = False, pronounced_by: Voices | None = None) -> None:
    """One block per segment: a heading, then one line per part with its voice role; with
    ``pronounced_by`` (the station's voices), each chunk as its voice is given it.

    Nothing is shown in the source language under another language's
    heading: a missing title or part is a marked gap.
    """
    print(f"# {localised.title or GAP_MARK} [{localised.lang}]")
    for segment in localised.segments:
        print(f"\n## {segment.number:02d} {segment.id}: {segment.title}")
        for part in segment.parts:
            print(f"[{part.role}] {_part_text(part, localised.lang, written, pronounced_by)}")
    shown = {segment.id for segment in localised.segments}
    for segment_id in localised.incomplete:
        if segment_id not in shown:
            print(f"\n## {segment_id}: not rendered (missing translations)")


GAP_MARK = "⟨not translated⟩"  # as the review pages mark a gap


def _part_text(part: SpokenPart, lang: str, written: bool, pronounced_by: Voices | None) -> str:
    if part.gap is not None:
        return f"{GAP_MARK} {part.gap.lookup.reason()}"
    if written:
        return " ".join(sentence.written for sentence in part.sentences)
    return " ".join(
        _show(chunk, lang, _given(chunk, part.role, pronounced_by))
        for sentence in part.sentences
        for chunk in sentence.chunks
    )


def _given(chunk: SpeechChunk, role: str, voices: Voices | None) -> str:
    spec = voices.get(chunk.lang, {}).get(role) if voices is not None else None
    return voice_text(chunk, spec.pronounce) if spec is not None else chunk.text


def _show(chunk: SpeechChunk, lang: str, text: str) -> str:
    return text if chunk.lang == lang else f"[{chunk.lang}: {text}]"
