"""The espeak-ng backend: the command-line program, one synchronous call per text.

Entry point: :class:`EspeakNgBackend`. Text goes in on stdin with SSML
enabled (``-m``), so ``<`` and ``&`` are escaped and nothing in the text can
act as a command-line option. Each call runs in its own process group, which
is killed whole on a timeout and dies with the worker
(:func:`pipeline.processes.run_engine`). The version string includes a fingerprint of
the installed phoneme data and the language's dictionary, because a data
update changes the sound.
"""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
from functools import cache
from pathlib import Path

from pipeline.audio.ffmpeg import tool_path
from pipeline.errors import SynthesisError
from pipeline.processes import run_engine
from pipeline.tts import Voice, VoiceInfo, normalise_tag, primary_subtag
from pipeline.tts.wavcheck import check_wav

PROGRAM = "espeak-ng"
_DATA_FILES = ("phondata", "phonindex", "phontab", "intonations")
_OTHER_LANGUAGE = re.compile(r"\(([\w-]+) \d+\)")


@cache
def _version_line() -> str:
    result = subprocess.run([tool_path(PROGRAM), "--version"], capture_output=True, text=True, timeout=30, check=False)
    return result.stdout.strip()


def data_folder() -> Path | None:
    """Where espeak-ng reads its voice data, as it reports it."""
    match = re.search(r"Data at:\s*(\S.*)$", _version_line())
    return Path(match.group(1).strip()) if match else None


@cache
def _data_fingerprint(lang: str) -> str:
    folder = data_folder()
    digest = hashlib.sha256()
    if folder is not None:
        for name in (*_DATA_FILES, f"{primary_subtag(lang)}_dict"):
            path = folder / name
            if path.exists():
                digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class EspeakNgBackend:
    """Synthesis through the espeak-ng command-line program."""

    name = "espeak-ng"

    def version(self, lang: str = "") -> str:
        """Program version and voice-data fingerprint (for ``lang``'s dictionary)."""
        match = re.search(r"text-to-speech:\s*(\S+)", _version_line())
        number = match.group(1) if match else "unknown"
        return f"espeak-ng {number} data {_data_fingerprint(lang)}"

    def voices(self) -> list[VoiceInfo]:
        """Installed voices, from ``espeak-ng --voices``."""
        return list(_list_voices())

    def synthesise(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        """Speak ``text`` into ``out_wav`` and check the result."""
        command = [
            tool_path(PROGRAM),
            "-v", voice.voice_id,
            "-s", str(voice.rate),
            "-a", str(round(100 * voice.volume)),
            "-m",
            "--stdin",
            "-w", str(out_wav),
        ]  # fmt: skip
        try:
            result = run_engine(command, html.escape(text, quote=False).encode("utf-8"), timeout)
        except subprocess.TimeoutExpired as exc:
            out_wav.unlink(missing_ok=True)
            raise SynthesisError(f"espeak-ng timed out after {timeout:.0f} s on {text[:60]!r}") from exc
        if result.returncode != 0:
            out_wav.unlink(missing_ok=True)
            detail = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
            raise SynthesisError(f"espeak-ng failed on {text[:60]!r}: {detail}")
        check_wav(out_wav, text, voice.lang)

    def close(self) -> None:
        """Nothing to release: every call is its own process."""


@cache
def _list_voices() -> tuple[VoiceInfo, ...]:
    result = subprocess.run([tool_path(PROGRAM), "--voices"], capture_output=True, text=True, timeout=30, check=False)
    voices = []
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        language, gender, name = fields[1], fields[2], fields[3]
        others = tuple(normalise_tag(tag) for tag in _OTHER_LANGUAGE.findall(line))
        voices.append(
            VoiceInfo(
                id=language,
                name=name.replace("_", " "),
                languages=(normalise_tag(language), *others),
                gender={"M": "male", "F": "female"}.get(gender.rsplit("/", 1)[-1], ""),
            )
        )
    return tuple(voices)
