"""Speech text normalisation: written text → what the TTS engine should read.

Entry points: :func:`normalise`, :func:`normaliser_for` (normalise with a
project's lexicons and station settings, then respell Korean as pronounced
for voices that want it), :func:`voice_text`, :func:`load_lexicon` and
:func:`unknown_latin_words`. Normalisation runs between localisation and
synthesis; transcripts and captions keep the written text. The result is a
list of :class:`SpeechChunk`, because a Korean sentence may carry a word that
another language's voice must read.

Per language: :mod:`pipeline.speech.ko` (numbers and counters, hanja, Latin
words) and :mod:`pipeline.speech.en`; other languages only have their
whitespace tidied. Lexicons (:mod:`pipeline.speech.lexicon`) and reading
tables (``pipeline/speech/data/*.yaml``) are data that translators can edit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from pipeline.project.station import (
    ENGLISH_VOICE,
    PRONOUNCE_STANDARD,
    PRONOUNCING_LANGUAGES,
    TRANSLITERATE,
    UNKNOWN_LATIN_POLICIES,
    Station,
)
from pipeline.speech.lexicon import Lexicon, LexiconEntry, builtin_lexicon, load_lexicon
from pipeline.speech.pieces import Piece, SpeechChunk, tidy_spaces, to_chunks

__all__ = [
    "ENGLISH_VOICE",
    "TRANSLITERATE",
    "UNKNOWN_LATIN_POLICIES",
    "Lexicon",
    "LexiconEntry",
    "Normaliser",
    "SpeechChunk",
    "load_lexicon",
    "normalise",
    "normaliser_for",
    "speakable_text",
    "unknown_latin_words",
    "voice_text",
]


def normalise(
    text: str,
    lang: str,
    lexicon: Lexicon | None = None,
    unknown_latin: str = ENGLISH_VOICE,
    english_lexicon: Lexicon | None = None,
) -> list[SpeechChunk]:
    """Turn written ``text`` in ``lang`` into chunks a TTS engine reads correctly.

    ``lexicon`` defaults to the built-in one for ``lang``. ``unknown_latin``
    says what a Korean text does with a Latin word no lexicon entry or
    acronym rule covers: ``"english-voice"`` makes it a chunk of its own with
    ``lang="en"``; ``"transliterate"`` spells it in Hangul. Lexicon entries
    with ``lang: en`` go to the English voice either way. Chunks of the same
    language are merged; empty input gives ``[]``. ``english_lexicon``
    (default: the built-in one) reads the words a Korean text gives the
    English voice.
    """
    if unknown_latin not in UNKNOWN_LATIN_POLICIES:
        raise ValueError(f"unknown_latin must be one of {UNKNOWN_LATIN_POLICIES}")
    if lexicon is None:
        lexicon = builtin_lexicon(lang)
    if not text.strip():
        return []
    from pipeline.speech import en, ko  # the language rules, loaded when a text is first normalised

    if lang == ko.LANG:
        return to_chunks(ko.korean_pieces(text, lexicon, unknown_latin, english_lexicon))
    if lang == en.LANG:
        return to_chunks(en.english_pieces(text, lexicon))
    return to_chunks([Piece(tidy_spaces(text), lang)])


def unknown_latin_words(text: str, lexicon: Lexicon) -> list[str]:
    """Latin-script words in a Korean ``text`` that neither ``lexicon`` nor the acronym rule covers.

    Each word is listed once, in order of first appearance.
    """
    from pipeline.speech import ko

    return ko.unknown_latin_words(text, lexicon)


def voice_text(chunk: SpeechChunk, pronounce: str) -> str:
    """What a voice with the ``pronounce`` setting is given for ``chunk``: its respelling as
    pronounced for ``standard`` (when the chunk carries one), else the normalised written text."""
    if pronounce == PRONOUNCE_STANDARD and chunk.pronounced is not None:
        return chunk.pronounced
    return chunk.text


def speakable_text(chunks: list[SpeechChunk], lang: str) -> str:
    """Chunks as one line, chunks for another voice marked ``[en] …`` (for people to read)."""
    return " ".join(c.text if c.lang == lang else f"[{c.lang}] {c.text}" for c in chunks)


Normaliser = Callable[[str], list[SpeechChunk]]


def normaliser_for(
    root: Path | None,
    station: Station,
    lang: str,
    unknown_latin: str | None = None,
    pronounce: bool | None = None,
) -> Normaliser:
    """``normalise`` for ``lang`` with the project's lexicons and the station's speech settings
    (builds read it through :mod:`pipeline.speech.store`, which works out each distinct text once).

    With ``pronounce`` (default: when some voice of ``lang`` has ``pronounce: standard``), each
    chunk in a language with pronunciation rules also carries its respelling
    (:attr:`SpeechChunk.pronounced`), with the lexicon's ``pronounce:`` words.
    """
    lexicon = load_lexicon(root, lang)
    english = load_lexicon(root, "en")
    policy = unknown_latin or station.speech_settings(lang).unknown_latin
    normaliser = functools.partial(normalise, lang=lang, lexicon=lexicon, unknown_latin=policy, english_lexicon=english)
    if pronounce is None:
        pronounce = station.respells(lang)
    if not pronounce or lang not in PRONOUNCING_LANGUAGES:
        return normaliser
    return functools.partial(_respelled, normaliser, lexicon.pronunciations)


def _respelled(normaliser: Normaliser, exceptions: dict[str, str], text: str) -> list[SpeechChunk]:
    """The normalised chunks, each in a language with pronunciation rules respelled as said."""
    from pipeline.speech.pronounce import respell  # loaded when a text is first respelled

    return [
        SpeechChunk(chunk.text, chunk.lang, respell(chunk.text, exceptions))
        if chunk.lang in PRONOUNCING_LANGUAGES
        else chunk
        for chunk in normaliser(text)
    ]
