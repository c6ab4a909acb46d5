"""Audio: join synthesised pieces, level them to the profile's loudness, encode.

Entry points: :func:`join_pieces` (engine WAVs and silences → one PCM
timeline, with the real start and end of every sentence), :func:`level_and_encode`
(two ffmpeg passes: measure after the profile's filters, then apply the gain,
a true-peak-safe limiter, resample and encode) and :func:`measure_file`.

pydub reads and converts the engines' WAVs (any rate, width or channel
count); ffmpeg runs from argument lists with timeouts, reading PCM on stdin
and writing to a temporary file that the caller renames into place.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydub import AudioSegment

from .config import AudioFilter, Profile
from .errors import AudioError, ToolMissing

WORKING_RATE = 22050
SAMPLE_WIDTH = 2
FFMPEG_TIMEOUT = 600
LOUDNESS_TOLERANCE = 0.5  # LU: re-run the gain pass when further off target
LIMITER_MARGIN_DB = 1.0  # sample-peak ceiling below the true-peak target
_SILENT_LUFS = -69.0


@cache
def tool_path(name: str) -> str:
    """Absolute path of ffmpeg or ffprobe, or ToolMissing with what to install."""
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} is not installed (Debian/Ubuntu: sudo apt-get install ffmpeg)")
    return found


def configure_pydub() -> None:
    """Point pydub at the absolute ffmpeg and ffprobe (fails fast when they are missing)."""
    AudioSegment.converter = tool_path("ffmpeg")
    AudioSegment.ffprobe = tool_path("ffprobe")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Silence:
    """A pause of ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Speech:
    """An engine WAV; ``cue`` starts a sentence cue, ``cue_end`` closes it after this piece."""

    wav: Path
    cue: str | None = None
    cue_end: bool = True


@dataclass(frozen=True)
class Cue:
    """When a sentence is heard: start and end in seconds, and its written text."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Timeline:
    """Joined mono 16-bit PCM at ``sample_rate`` and the sentence cues inside it."""

    pcm: bytes
    sample_rate: int
    cues: tuple[Cue, ...]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.pcm) / (SAMPLE_WIDTH * self.sample_rate)


def join_pieces(pieces: Sequence[Speech | Silence], sample_rate: int = WORKING_RATE) -> Timeline:
    """Concatenate speech and silences once; cue times come from the real sample counts."""
    chunks: list[bytes] = []
    cues: list[Cue] = []
    frames = 0
    open_cue: tuple[float, str] | None = None
    for piece in pieces:
        if isinstance(piece, Silence):
            count = round(piece.seconds * sample_rate)
            chunks.append(bytes(SAMPLE_WIDTH * count))
            frames += count
            continue
        if piece.cue is not None:
            open_cue = (frames / sample_rate, piece.cue)
        data = _read_pcm(piece.wav, sample_rate)
        chunks.append(data)
        frames += len(data) // SAMPLE_WIDTH
        if piece.cue_end and open_cue is not None:
            cues.append(Cue(round(open_cue[0], 3), round(frames / sample_rate, 3), open_cue[1]))
            open_cue = None
    return Timeline(b"".join(chunks), sample_rate, tuple(cues))


def _read_pcm(path: Path, sample_rate: int) -> bytes:
    try:
        segment = AudioSegment.from_wav(str(path))
    except Exception as exc:  # pydub raises several unrelated types for a bad file
        raise AudioError(f"cannot read synthesised audio {path.name}: {exc}") from exc
    if segment.channels != 1:
        segment = segment.set_channels(1)
    if segment.sample_width != SAMPLE_WIDTH:
        segment = segment.set_sample_width(SAMPLE_WIDTH)
    if segment.frame_rate != sample_rate:
        segment = segment.set_frame_rate(sample_rate)
    return segment.raw_data


@dataclass(frozen=True)
class Loudness:
    """EBU R128 integrated loudness (LUFS) and true peak (dBTP)."""

    integrated: float
    true_peak: float


def filter_chain(filters: Sequence[AudioFilter]) -> list[str]:
    """ffmpeg filter expressions for a profile's declared filters, in order."""
    chain = []
    for item in filters:
        if item.kind == "highpass":
            chain.append(f"highpass=f={item.get('frequency', 80):g}")
        elif item.kind == "lowpass":
            chain.append(f"lowpass=f={item.get('frequency', 8000):g}")
        elif item.kind == "compressor":
            chain.append(
                "acompressor="
                f"threshold={item.get('threshold_db', -24):g}dB:ratio={item.get('ratio', 3):g}:"
                f"attack={item.get('attack_ms', 5):g}:release={item.get('release_ms', 100):g}:"
                f"makeup={item.get('makeup_db', 0):g}dB"
            )
        elif item.kind == "limiter":
            chain.append(_limiter(item.get("ceiling_db", -1.0)))
    return chain


def _limiter(ceiling_db: float) -> str:
    return f"alimiter=limit={10 ** (ceiling_db / 20):.5f}:attack=5:release=50:level=false"


def _pcm_input(sample_rate: int) -> list[str]:
    return ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0"]


def measure_pcm(timeline: Timeline, filters: Sequence[AudioFilter]) -> Loudness:
    """Loudness of the timeline after the profile's filters (first pass)."""
    chain = ",".join([*filter_chain(filters), "ebur128=peak=true:framelog=verbose"])
    command = [tool_path("ffmpeg"), "-hide_banner", "-nostats", "-v", "info",
               *_pcm_input(timeline.sample_rate), "-af", chain, "-f", "null", "-"]  # fmt: skip
    return _parse_ebur128(_run(command, timeline.pcm, "measuring loudness"))


def measure_file(path: Path) -> Loudness:
    """Loudness and true peak of an encoded file, as a listener's player decodes it."""
    command = [tool_path("ffmpeg"), "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
               "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]  # fmt: skip
    return _parse_ebur128(_run(command, None, f"measuring {path.name}"))


def level_and_encode(timeline: Timeline, profile: Profile, destination: Path) -> Loudness:
    """Level the timeline to ``profile``'s loudness, encode it to ``destination``, measure the file.

    The gain comes from a first pass that measures after the profile's
    filters; the second pass applies the filters, the gain and a limiter
    below the true-peak target, resamples and encodes. The encoded file is
    measured as a player decodes it; when it is more than half a unit off
    target (the codec's low-pass takes some loudness away), it is encoded
    once more with the correction.
    """
    measured = measure_pcm(timeline, profile.filters)
    if measured.integrated <= _SILENT_LUFS:
        raise AudioError("the audio is silent: nothing was synthesised")
    gain = profile.loudness_lufs - measured.integrated
    _encode_pass(timeline, profile, gain, destination)
    result = measure_file(destination)
    error = profile.loudness_lufs - result.integrated
    if abs(error) > LOUDNESS_TOLERANCE:
        _encode_pass(timeline, profile, gain + error, destination)
        result = measure_file(destination)
    return result


def _encode_pass(timeline: Timeline, profile: Profile, gain_db: float, destination: Path) -> None:
    ceiling = profile.true_peak_dbtp - LIMITER_MARGIN_DB
    resample = f"aresample={profile.sample_rate}" + (":resampler=soxr" if _has_soxr() else "")
    chain = ",".join(
        [*filter_chain(profile.filters), f"volume={gain_db:.2f}dB", _limiter(ceiling), resample]
    )
    command = [tool_path("ffmpeg"), "-hide_banner", "-nostats", "-v", "error", "-y",
               *_pcm_input(timeline.sample_rate), "-af", chain,
               *encoder_arguments(profile), str(destination)]  # fmt: skip
    _run(command, timeline.pcm, f"encoding {destination.name}")


def encoder_arguments(profile: Profile) -> list[str]:
    """ffmpeg output options for a profile: codec settings and nothing that identifies us."""
    common = ["-ar", str(profile.sample_rate), "-ac", str(profile.channels),
              "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]  # fmt: skip
    if profile.codec == "mp3":
        no_headers = ["-write_xing", "0", "-id3v2_version", "0", "-write_id3v1", "0"]
        return [
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{profile.bitrate_kbps}k",
            *common,
            *no_headers,
            "-f",
            "mp3",
        ]
    return ["-c:a", "pcm_s16le", *common, "-f", "wav"]


@cache
def _has_soxr() -> bool:
    result = subprocess.run(
        [tool_path("ffmpeg"), "-hide_banner", "-h", "filter=aresample"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return "soxr" in result.stdout


def _run(command: list[str], stdin: bytes | None, what: str) -> str:
    try:
        result = subprocess.run(
            command, input=stdin, capture_output=True, timeout=FFMPEG_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"ffmpeg timed out after {FFMPEG_TIMEOUT} s {what}") from exc
    log = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        last = [line for line in log.splitlines() if line.strip()][-3:]
        raise AudioError(f"ffmpeg failed {what}: {' / '.join(last) or result.returncode}")
    return log


_SUMMARY_I = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_SUMMARY_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


def _parse_ebur128(log: str) -> Loudness:
    summary = log.rsplit("Summary:", 1)
    if len(summary) != 2:
        raise AudioError("ffmpeg printed no loudness summary")
    integrated = _SUMMARY_I.search(summary[1])
    peak = _SUMMARY_PEAK.search(summary[1])
    if not integrated or not peak:
        raise AudioError("cannot read ffmpeg's loudness summary")
    return Loudness(_to_float(integrated.group(1)), _to_float(peak.group(1)))


def _to_float(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)
