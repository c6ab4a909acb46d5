"""Synchronised text for audio files: LRC (what portable players show) and SRT.

Entry points: :class:`Cue`, :func:`to_lrc`, :func:`to_srt`, :func:`parse_lrc`,
:func:`parse_srt` and :func:`timing_problems`. A cue is one sentence as
written with the seconds it is spoken between. Times are written rounded
down (LRC to hundredths, SRT to thousandths), so written cues keep their
order and never run past the audio. The writers put no tool or version
lines in the files.

LRC has only start times: a cue that ends before the next one starts (or
the last cue) is closed by an empty timed line, which players show as a
blank screen. When read back, a cue ends where the next line of the file
starts (or, when that one is earlier, at the next later time stamp); cues
keep the order of the file, so lines out of time order are found by
:func:`timing_problems`.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.errors import OutputError, SourceLocation

_LRC_TIME = re.compile(r"\[(\d{1,3}):(\d{2})(?:[.:](\d{1,3}))?\]")
_LRC_TAG = re.compile(r"\[([a-z#]+):(.*)\]\s*$", re.IGNORECASE)
_SRT_TIMES = re.compile(r"^\s*(\d+):(\d{2}):(\d{2})[,.](\d{3})\s*-->\s*(\d+):(\d{2}):(\d{2})[,.](\d{3})\s*$")
# Gaps shorter than this are not worth a closing line in LRC (a hundredth of a second).
_LRC_STEP = 0.01
# Slack for comparisons after rounding to milliseconds.
_EPSILON = 0.0005


@dataclass(frozen=True)
class Cue:
    """One line of text and the seconds of audio it goes with."""

    start: float
    end: float
    text: str


def to_lrc(
    cues: Iterable[Cue],
    title: str | None = None,
    artist: str | None = None,
    album: str | None = None,
) -> str:
    """LRC text: optional ``[ti:]``/``[ar:]``/``[al:]`` lines, then ``[mm:ss.xx]text`` lines."""
    lines = [f"[{tag}:{_one_line(value)}]" for tag, value in _lrc_tags(title, artist, album)]
    cues = list(cues)
    for index, cue in enumerate(cues):
        lines.append(f"{_lrc_time(cue.start)}{_one_line(cue.text)}")
        following = cues[index + 1].start if index + 1 < len(cues) else None
        if following is None or following - cue.end >= _LRC_STEP:
            lines.append(_lrc_time(cue.end))
    return "\n".join(lines) + "\n"


def to_srt(cues: Iterable[Cue]) -> str:
    """SubRip text: numbered blocks of ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` and the text."""
    blocks = [
        f"{number}\n{_srt_time(cue.start)} --> {_srt_time(cue.end)}\n{_one_line(cue.text)}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def parse_lrc(text: str, path: str = "<lrc>") -> list[Cue]:
    """The cues of LRC ``text``; raises OutputError naming ``path:line`` on a bad line."""
    starts: list[tuple[float, str, int]] = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or (_LRC_TAG.match(line) and not _LRC_TIME.match(line)):
            continue
        times, rest = _leading_lrc_times(line)
        if not times:
            raise OutputError("not an LRC line (expected [mm:ss.xx]text)", SourceLocation(path, number))
        starts.extend((stamp, rest.strip(), number) for stamp in times)
    stamps = sorted({start for start, _words, _line in starts})
    cues = []
    for index, (start, words, line_number) in enumerate(starts):
        if not words:
            continue  # a line without words only closes the cue before it
        following = next((s for s, _w, other in starts[index + 1 :] if other != line_number), None)
        if following is None or following < start:
            later = bisect.bisect_right(stamps, start)
            following = stamps[later] if later < len(stamps) else start
        cues.append(Cue(start, following, words))
    return cues


def parse_srt(text: str, path: str = "<srt>") -> list[Cue]:
    """The cues of SubRip ``text``; raises OutputError naming ``path:line`` on a bad block."""
    lines = text.lstrip("\ufeff").splitlines()
    cues = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        block_line = index + 1
        if not lines[index].strip().isdigit():
            raise OutputError("expected a cue number", SourceLocation(path, block_line))
        match = _SRT_TIMES.match(lines[index + 1]) if index + 1 < len(lines) else None
        if match is None:
            raise OutputError("expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'", SourceLocation(path, block_line + 1))
        index += 2
        words = []
        while index < len(lines) and lines[index].strip():
            words.append(lines[index].strip())
            index += 1
        values = [int(group) for group in match.groups()]
        cues.append(Cue(_srt_seconds(values[:4]), _srt_seconds(values[4:]), " ".join(words)))
    return cues


def timing_problems(cues: Sequence[Cue], duration: float) -> list[str]:
    """What is wrong with the timing of ``cues`` for audio lasting ``duration`` seconds."""
    problems = []
    if not cues:
        problems.append("no cues")
    previous: Cue | None = None
    for number, cue in enumerate(cues, start=1):
        where = f"cue {number} ({_srt_time(cue.start)})"
        if not cue.text.strip():
            problems.append(f"{where}: no text")
        if cue.start < 0:
            problems.append(f"{where}: starts before the audio")
        if cue.end < cue.start:
            problems.append(f"{where}: ends before it starts ({_srt_time(cue.end)})")
        if cue.end > duration + _EPSILON or cue.start > duration + _EPSILON:
            problems.append(
                f"{where}: runs to {_srt_time(max(cue.start, cue.end))}, "
                f"past the end of the audio ({_srt_time(duration)})"
            )
        if previous is not None:
            if cue.start < previous.start:
                problems.append(f"{where}: starts before cue {number - 1} (not in time order)")
            elif cue.start < previous.end - _EPSILON:
                problems.append(f"{where}: overlaps cue {number - 1}, which ends later")
        previous = cue
    return problems


def _lrc_tags(title: str | None, artist: str | None, album: str | None) -> list[tuple[str, str]]:
    return [(tag, value) for tag, value in (("ti", title), ("ar", artist), ("al", album)) if value]


def _leading_lrc_times(line: str) -> tuple[list[float], str]:
    """The ``[mm:ss.xx]`` stamps at the start of a line (several allowed) and the text after."""
    times: list[float] = []
    position = 0
    while match := _LRC_TIME.match(line, position):
        minutes, seconds, fraction = match.groups()
        value = float(int(minutes) * 60 + int(seconds))
        if fraction:
            value += int(fraction) / 10 ** len(fraction)
        times.append(value)
        position = match.end()
    return times, line[position:]


def _lrc_time(seconds: float) -> str:
    hundredths = math.floor(max(seconds, 0.0) * 100 + 1e-6)
    minutes, rest = divmod(hundredths, 6000)
    return f"[{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}]"


def _srt_time(seconds: float) -> str:
    millis = math.floor(max(seconds, 0.0) * 1000 + 1e-6)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def _srt_seconds(values: list[int]) -> float:
    hours, minutes, seconds, millis = values
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + millis) / 1000


def _one_line(text: str) -> str:
    return " ".join(text.split())
