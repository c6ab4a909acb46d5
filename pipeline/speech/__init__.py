"""Speech text normalisation: written text → what the TTS engine should read.

Entry points: :func:`normalise` and :func:`load_lexicon`. Normalisation runs
between localisation and synthesis; transcripts and captions keep the
written text. The result is a list of :class:`SpeechChunk`, because a
Korean sentence may carry a word that another language's voice must read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SpeechChunk:
    """A run of speakable text and the language whose voice reads it."""

    text: str
    lang: str


@dataclass
class Lexicon:
    """Word → spoken form for one language (built-in table merged with the project's)."""

    lang: str
    entries: dict[str, str] = field(default_factory=dict)


def load_lexicon(project_root: Path | None, lang: str) -> Lexicon:
    """The lexicon for ``lang``: built-in entries overridden by ``locales/<lang>/lexicon.yaml``."""
    return Lexicon(lang)


def normalise(text: str, lang: str, lexicon: Lexicon | None = None) -> list[SpeechChunk]:
    """Turn written ``text`` in ``lang`` into chunks a TTS engine reads correctly."""
    cleaned = " ".join(text.split())
    return [SpeechChunk(cleaned, lang)] if cleaned else []


def unknown_latin_words(text: str, lexicon: Lexicon) -> list[str]:
    """Latin-script words in ``text`` that ``lexicon`` gives no spoken form for (Korean QA)."""
    import re

    words = re.findall(r"[A-Za-z][A-Za-z0-9'’.-]*", text)
    return [w for w in words if w not in lexicon.entries]
