"""What rendering produces for synthesis: a segment's spoken parts and sentences.

Entry point: :class:`RenderedSegment` (made by :mod:`pipeline.render`). These
classes travel in every segment job a build hands to its workers, so this
module imports nothing heavier than the speech chunks they hold: a worker that
unpickles a job does not import the rendering itself (the catalogs, Babel's
dates and the message extraction: 47 ms of a worker server's imports,
``python -X importtime``, 2-core EPYC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.errors import SourceLocation
from pipeline.speech.pieces import SpeechChunk

if TYPE_CHECKING:
    from pipeline.i18n.messages import SourceMessage
    from pipeline.render import MissingTranslation


@dataclass(frozen=True)
class SpokenSentence:
    """One sentence: as written (for transcripts and lyrics) and as the engine reads it."""

    written: str
    chunks: tuple[SpeechChunk, ...]


@dataclass(frozen=True)
class SpokenPart:
    """A run of sentences in one voice role, with the silences around it."""

    role: str
    sentences: tuple[SpokenSentence, ...]
    pause_before: float
    pause_after: float
    origin: SourceLocation
    # The catalog messages its text was made from (template string, field values), so that
    # reviews can point at the catalog entries behind a spoken line.
    messages: tuple[SourceMessage, ...] = ()
    gap: MissingTranslation | None = None  # a preview's missing string: nothing to speak


@dataclass(frozen=True)
class RenderedSegment:
    """A segment ready for synthesis."""

    id: str
    number: int
    title: str
    parts: tuple[SpokenPart, ...]
    origin: SourceLocation

    @property
    def written_text(self) -> str:
        """The segment as written, one part per paragraph."""
        return "\n\n".join(" ".join(s.written for s in part.sentences) for part in self.parts)
