"""How long a message takes to say, and how long its translation may take.

Entry points: :func:`spoken_seconds`, :func:`budget_seconds`,
:func:`translator_notes` and :func:`localise_notes`.

The *budget* of a translation is the English estimate × :data:`BUDGET_RATIO`
(1.3): a Korean line that takes longer to say than that makes the segment
overrun its slot. ``check`` warns above the budget and reports an error above
:data:`LIMIT_RATIO` (1.6 × English). Estimates use the station's speaking
rates (:func:`pipeline.text.durations.estimate_seconds`); extraction writes the
English estimate and the budget into each message's ``#.`` comments, and
``update`` restates the budget in the target language's own units (syllables
for Korean) so the translator can count.
"""

from __future__ import annotations

import re

from babel import Locale

from pipeline.i18n.messages import SourceMessage
from pipeline.project.station import Station
from pipeline.text.durations import estimate_seconds, station_rate

BUDGET_RATIO = 1.3
LIMIT_RATIO = 1.6
_BUDGET_NOTE = re.compile(
    r"budget for the translation: (?P<seconds>\d+(?:\.\d+)?) s " + re.escape(f"({BUDGET_RATIO:g} × ")
)


def spoken_seconds(text: str, lang: str, station: Station | None = None) -> float:
    """Estimated seconds to read ``text`` aloud in ``lang``."""
    return estimate_seconds(text, lang, station_rate(station, lang))


def budget_seconds(source_seconds: float) -> float:
    """The longest a translation should take to say."""
    return source_seconds * BUDGET_RATIO


def translator_notes(message: SourceMessage, station: Station) -> list[str]:
    """The ``#.`` lines for one message: who speaks it, how long it is, its budget."""
    source = station.source_language
    seconds = spoken_seconds(message.text, source, station)
    notes = [f"voice: {message.role}"] if message.role else []
    notes.append(f"spoken in {_language_name(source)}: about {seconds:.1f} s")
    notes.append(
        f"budget for the translation: {budget_seconds(seconds):.1f} s ({BUDGET_RATIO:g} × {_language_name(source)})"
    )
    return notes


def localise_notes(notes: list[str], lang: str, station: Station | None) -> list[str]:
    """``notes`` with the budget also given in ``lang``'s units (words or syllables)."""
    rate = station_rate(station, lang)
    result = []
    for note in notes:
        match = _BUDGET_NOTE.match(note)
        if match and note.endswith(")"):
            units = float(match.group("seconds")) * rate.per_minute / 60.0
            note = f"{note}, about {units:.0f} {rate.unit}"
        result.append(note)
    return result


def _language_name(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name("en") or code
    except (ValueError, LookupError):
        return code
