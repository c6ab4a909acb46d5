"""Spoken-duration estimates from text, at the station's speaking rate per language.

Entry points: :func:`estimate_seconds`, :func:`station_rate`,
:func:`longest_sentence_run` and :func:`blocked_seconds`. Used where no audio exists yet: ingest (cutting
articles into segments), translator budgets, catalog statistics and the
build's report of what could not be spoken. Rates are words per minute
(English and other space-separated languages) or syllables per minute
(Korean: one Hangul block is one syllable).

*Blocked seconds* are measured once, here: the source-language speaking
time, at the station's rate, of text a language cannot speak yet. ``pipeline
build`` (per folder and per language), its report and ``pipeline i18n
stats`` all call :func:`blocked_seconds`, so their figures agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.project.station import SpeakingRate, Station, default_speaking_rate

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
_DIGIT_RUN = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"[.!?。！？]+")
SENTENCE_PAUSE_SECONDS = 0.35


def count_units(text: str, unit: str) -> float:
    """Words or syllables in ``text``; digits count roughly as they are read."""
    if unit == "syllables":
        hangul = len(_HANGUL.findall(text))
        rest = _HANGUL.sub(" ", text)
        latin_words = [w for w in _WORD.findall(rest) if not w.isdigit()]
        digits = sum(len(run) for run in _DIGIT_RUN.findall(rest))
        # A Latin word or acronym takes about three syllables; a digit about 1.5 when read.
        return hangul + 3 * len(latin_words) + 1.5 * digits
    words = _WORD.findall(text)
    extra = sum(max(0, len(w) // 2 - 1) for w in words if w.isdigit())
    return len(words) + extra


def estimate_seconds(text: str, lang: str, rate: SpeakingRate | None = None) -> float:
    """Seconds needed to read ``text`` aloud in ``lang`` at ``rate``, with sentence pauses."""
    rate = rate or default_speaking_rate(lang)
    units = count_units(text, rate.unit)
    pauses = max(0, len(_SENTENCE_END.findall(text)) - 1) * SENTENCE_PAUSE_SECONDS
    return 60.0 * units / rate.per_minute + pauses


def longest_sentence_run(text: str) -> str:
    """The longest stretch of ``text`` with no sentence end in it: no sentence of ``text`` is
    shorter (found by one regular-expression split, in time linear in the text)."""
    return max(_SENTENCE_END.split(text), key=len)


def station_rate(station: Station | None, lang: str) -> SpeakingRate:
    """The station's speaking rate for ``lang``, or the default when it sets none (or there is no station)."""
    if station is not None and lang in station.speaking_rates:
        return station.speaking_rates[lang]
    return default_speaking_rate(lang)


def blocked_seconds(texts: Iterable[str], station: Station) -> float:
    """Source-language seconds of speech in ``texts``: what a language that cannot speak them loses."""
    source = station.source_language
    rate = station_rate(station, source)
    return sum(estimate_seconds(text, source, rate) for text in texts)
