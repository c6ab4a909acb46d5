"""Pieces of text that normalisation passes rewrite, and the chunks they end up as.

Entry points: :class:`SpeechChunk`, :class:`Piece`, :func:`rewrite` and
:func:`to_chunks`. A normaliser starts from one *written* piece; each pass
replaces the spans its pattern matches with *spoken* pieces in a language,
and later passes only see the written pieces that are left. At the end every
piece is spoken; :func:`to_chunks` merges neighbours read by the same voice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

# Punctuation a chunk may consist of only; such a chunk joins the chunk before it.
_PUNCTUATION_ONLY = re.compile(r"^[\s.,;:!?…'\"()\[\]-]*$")


@dataclass(frozen=True)
class SpeechChunk:
    """A run of speakable text and the language whose voice reads it; ``pronounced`` is the
    text respelled as it is said (Korean, :mod:`pipeline.speech.pronounce`), None when the
    normaliser was not asked for it."""

    text: str
    lang: str
    pronounced: str | None = None


@dataclass(frozen=True)
class Piece:
    """Part of a sentence: still written (``lang`` is None) or already spoken in ``lang``."""

    text: str
    lang: str | None = None

    @property
    def written(self) -> bool:
        """True while later passes may still rewrite this text."""
        return self.lang is None


Replacement = str | Piece | Sequence[Piece] | None


def rewrite(
    pieces: Iterable[Piece],
    pattern: re.Pattern[str],
    replace: Callable[[re.Match[str]], Replacement],
    lang: str,
) -> list[Piece]:
    """Replace every match of ``pattern`` in the written pieces with what ``replace`` returns.

    A plain string becomes spoken text in ``lang``; ``None`` leaves the match
    written for later passes.
    """
    result: list[Piece] = []
    for piece in pieces:
        if not piece.written:
            result.append(piece)
            continue
        position = 0
        for match in pattern.finditer(piece.text):
            replacement = replace(match)
            if replacement is None:
                continue
            if match.start() > position:
                result.append(Piece(piece.text[position : match.start()]))
            result.extend(_as_pieces(replacement, lang))
            position = match.end()
        if position < len(piece.text):
            result.append(Piece(piece.text[position:]))
    return result


def finish(pieces: Iterable[Piece], clean: Callable[[str], str], lang: str) -> list[Piece]:
    """Turn what is still written into spoken text in ``lang`` through ``clean``."""
    return [Piece(clean(p.text), lang) if p.written else p for p in pieces]


def to_chunks(pieces: Iterable[Piece]) -> list[SpeechChunk]:
    """Spoken pieces merged into chunks: one per run of the same voice, spaces tidied."""
    merged: list[list[str]] = []  # [lang, text]
    for piece in pieces:
        if piece.lang is None:
            raise ValueError(f"piece {piece.text!r} was never spoken")  # a normaliser bug
        if merged and merged[-1][0] == piece.lang:
            merged[-1][1] += piece.text
        else:
            merged.append([piece.lang, piece.text])
    chunks: list[SpeechChunk] = []
    for lang, text in merged:
        tidy = tidy_spaces(text)
        if not tidy:
            continue
        if chunks and _PUNCTUATION_ONLY.match(tidy):
            previous = chunks[-1]
            chunks[-1] = SpeechChunk(tidy_spaces(previous.text + tidy), previous.lang)
        elif chunks and chunks[-1].lang == lang:
            chunks[-1] = SpeechChunk(tidy_spaces(f"{chunks[-1].text} {tidy}"), lang)
        else:
            chunks.append(SpeechChunk(tidy, lang))
    if len(chunks) > 1 and _PUNCTUATION_ONLY.match(chunks[0].text):
        chunks = [SpeechChunk(chunks[1].text, chunks[1].lang), *chunks[2:]]
    if len(chunks) == 1 and _PUNCTUATION_ONLY.match(chunks[0].text):
        return []
    return chunks


_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?…])")
_REPEATED_PUNCTUATION = re.compile(r"([,;:])(?:\s*[,;:])+")
_COMMA_BEFORE_STOP = re.compile(r"[,;:]\s*([.!?…])")
_DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # "I.M.D.B." ending a sentence


def tidy_spaces(text: str) -> str:
    """One space between words, none before punctuation, no doubled commas."""
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    text = _REPEATED_PUNCTUATION.sub(r"\1", text)
    text = _COMMA_BEFORE_STOP.sub(r"\1", text)
    text = _DOUBLED_STOP.sub(".", text)
    return text.strip(" ,;:")


def _as_pieces(replacement: Replacement, lang: str) -> list[Piece]:
    if isinstance(replacement, str):
        return [Piece(replacement, lang)]
    if isinstance(replacement, Piece):
        return [replacement]
    return list(replacement or [])
