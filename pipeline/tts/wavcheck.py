"""Checks that a WAV written by a speech engine is complete and holds the text's audio.

Entry point: :func:`check_wav`. Engines have been seen to return before the
file exists, to write an empty file, or to write another text's audio under
this name; a RIFF/WAVE header, a non-zero frame count and a duration
plausible for the text catch all three.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SynthesisError
from pipeline.text.durations import estimate_seconds

MIN_RATIO = 0.2  # spoken at most five times faster than our estimate
MAX_RATIO = 5.0
SLACK_SECONDS = 2.0


@dataclass(frozen=True)
class WavInfo:
    """Format and length of a checked WAV file."""

    sample_rate: int
    channels: int
    sample_width: int
    frames: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def read_wav_info(path: Path) -> WavInfo:
    """The header of ``path``; SynthesisError when it is not a readable PCM WAV."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise SynthesisError(f"engine output {path.name} is not a RIFF/WAVE file")
        with wave.open(str(path), "rb") as reader:
            return WavInfo(
                reader.getframerate(),
                reader.getnchannels(),
                reader.getsampwidth(),
                reader.getnframes(),
            )
    except FileNotFoundError as exc:
        raise SynthesisError(f"engine wrote no file {path.name}") from exc
    except (wave.Error, EOFError, OSError) as exc:
        raise SynthesisError(f"engine output {path.name} is not a valid WAV: {exc}") from exc


def check_wav(path: Path, text: str, lang: str) -> WavInfo:
    """``path``'s format, after checking it is a complete WAV of plausible length for ``text``."""
    info = read_wav_info(path)
    if info.frames == 0:
        raise SynthesisError(f"engine wrote an empty WAV for {text[:60]!r}")
    expected = estimate_seconds(text, lang)
    low, high = expected * MIN_RATIO - 0.1, expected * MAX_RATIO + SLACK_SECONDS
    if not low <= info.duration <= high:
        raise SynthesisError(
            f"engine audio for {text[:60]!r} lasts {info.duration:.2f} s, "
            f"implausible for the text (expected {low:.1f}-{high:.1f} s)"
        )
    return info
