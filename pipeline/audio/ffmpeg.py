"""ffmpeg and ffprobe run on finished files: full decodes and stream facts.

Entry points: :func:`decode_errors` (decode a whole file, return what
ffmpeg complained about) and :func:`probe_stream` (codec, rate, channels,
bitrate and duration of the first audio stream). Programs run from
argument lists with timeouts; a missing program raises
:class:`~pipeline.errors.ToolMissing`.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import AudioError, ToolMissing

TOOL_TIMEOUT_SECONDS = 600
# "[mp3float @ 0x55d1c0a3e800] " — the component and a memory address that changes every run.
_DECODER_PREFIX = re.compile(r"^\[[\w:. -]+ @ 0x[0-9a-f]+\]\s*")


@dataclass(frozen=True)
class StreamFacts:
    """What ffprobe says about a file's first audio stream."""

    codec: str
    sample_rate: int
    channels: int
    bit_rate: int | None
    duration: float | None


# The Debian/Ubuntu package that provides each program the pipeline runs.
PACKAGES = {
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "espeak-ng": "espeak-ng",
    "msgfmt": "gettext",
    **dict.fromkeys(("mkfs.fat", "fsck.fat"), "dosfstools"),
    **dict.fromkeys(("mmd", "mcopy", "mdir"), "mtools"),
}
SYSTEM_PROGRAM_FOLDERS = "/usr/sbin:/sbin"  # mkfs.fat and fsck.fat live here, off many users' PATH


@functools.cache
def tool_path(name: str) -> str:
    """Absolute path of an installed program; ToolMissing saying what to install otherwise."""
    found = shutil.which(name) or shutil.which(name, path=SYSTEM_PROGRAM_FOLDERS)
    if found is None:
        package = PACKAGES.get(name, name)
        raise ToolMissing(f"{name} is not installed (Debian/Ubuntu: sudo apt-get install {package})")
    return found


def run_tool(args: list[str], what: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg or ffprobe from an argument list; AudioError (saying ``what`` it was doing)
    when it cannot start or runs past the timeout. Its exit status is the caller's to judge."""
    program = Path(args[0]).name
    try:
        return subprocess.run(args, input=stdin, capture_output=True, timeout=TOOL_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"{program} timed out after {TOOL_TIMEOUT_SECONDS} s {what}") from exc
    except OSError as exc:
        raise AudioError(f"{program} could not run {what}: {exc.strerror}") from exc


def checked_run(args: list[str], what: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """:func:`run_tool`, with a non-zero exit turned into AudioError quoting ffmpeg's last words."""
    result = run_tool(args, what, stdin)
    if result.returncode != 0:
        last = [line for line in _text(result.stderr).splitlines() if line.strip()][-3:]
        raise AudioError(f"{Path(args[0]).name} failed {what}: {' / '.join(last) or result.returncode}")
    return result


def decode_errors(path: Path) -> list[str]:
    """Decode every frame of ``path``; the lines ffmpeg printed at level ``error``."""
    args = [tool_path("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"]
    result = run_tool(args, f"on {path}")
    lines = [_DECODER_PREFIX.sub("", line).strip() for line in _text(result.stderr).splitlines()]
    lines = [line for line in lines if line]
    if result.returncode != 0 and not lines:
        lines.append(f"ffmpeg exited with status {result.returncode}")
    return lines


def probe_stream(path: Path) -> StreamFacts:
    """Facts of the first audio stream of ``path``; raises AudioError when there is none."""
    args = [
        tool_path("ffprobe"), "-v", "error", "-select_streams", "a:0",
        "-show_entries", "stream=codec_name,sample_rate,channels,bit_rate:format=duration",
        "-of", "json", str(path),
    ]  # fmt: skip
    result = run_tool(args, f"on {path}")
    try:
        data = json.loads(_text(result.stdout) or "{}")
        stream = data["streams"][0]
        duration = data.get("format", {}).get("duration")
        bit_rate = stream.get("bit_rate")
        return StreamFacts(
            codec=stream["codec_name"],
            sample_rate=int(stream["sample_rate"]),
            channels=int(stream["channels"]),
            bit_rate=int(bit_rate) if bit_rate else None,
            duration=float(duration) if duration else None,
        )
    except (KeyError, IndexError, ValueError) as exc:
        message = _text(result.stderr).strip().splitlines()[-1:] or ["no audio stream"]
        raise AudioError(f"ffprobe cannot read it: {message[0]}") from exc


def _text(output: bytes) -> str:
    return output.decode("utf-8", "replace")
