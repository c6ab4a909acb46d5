"""The espeak-ng backend: libespeak-ng through a forking helper, or the program, one call per text.

Entry point: :class:`EspeakNgBackend`. Both paths give the same bytes: the
WAV the ``espeak-ng`` program writes for ``-m --stdin -w`` (text with SSML
enabled, so ``<`` and ``&`` are escaped and nothing in the text can act as a
command-line option).

On Linux, when the program is the real espeak-ng binary (an ELF file linked
to ``libespeak-ng.so.1``) and the library reports the program's version and
voice-data folder, texts go to a synthesis helper that forks a child per
utterance from an initialised library (:mod:`.espeak_server`): about half the
CPU per part, no process start from the worker. Otherwise, or when
``PIPELINE_ESPEAK=program`` is set, or when the helper cannot start, each text
runs the program in its own process group, killed whole on a timeout and
dying with the worker (:func:`pipeline.processes.run_engine`). Either way a
timeout or a failure raises the same SynthesisError texts.

The version string includes a fingerprint of the installed phoneme data and
the language's dictionary, because a data update changes the sound; it is the
same for both paths, as their bytes are.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

from pipeline.audio.ffmpeg import tool_path
from pipeline.errors import SynthesisError
from pipeline.processes import run_engine
from pipeline.tts import Voice, VoiceInfo, normalise_tag, primary_subtag
from pipeline.tts.espeak_server import HelperFailed, HelperUnavailable, SynthesisServer
from pipeline.tts.wavcheck import check_wav

PROGRAM = "espeak-ng"
LIBRARY_NAME = b"libespeak-ng.so.1"
PATH_VARIABLE = "PIPELINE_ESPEAK"  # "program": never the library; "library": the library or an error
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


def _version_number() -> str:
    match = re.search(r"text-to-speech:\s*(\S+)", _version_line())
    return match.group(1) if match else "unknown"


@cache
def _links_the_library(program: str) -> bool:
    """True when ``program`` is an ELF binary built on libespeak-ng (not a wrapper script)."""
    try:
        data = Path(program).read_bytes()
    except OSError:
        return False
    return data.startswith(b"\x7fELF") and LIBRARY_NAME in data


def _chosen_path() -> str:
    return os.environ.get(PATH_VARIABLE, "")


def library_path_possible(program: str) -> bool:
    """Whether the library may stand in for ``program`` here (before the helper's own check)."""
    return sys.platform == "linux" and _chosen_path() != "program" and _links_the_library(program)


class EspeakNgBackend:
    """Synthesis through libespeak-ng (a forking helper per thread) or the espeak-ng program."""

    name = "espeak-ng"

    def __init__(self) -> None:
        self._server: SynthesisServer | None = None
        self.library_unavailable = ""  # why the program is used although the library was tried

    def version(self, lang: str = "") -> str:
        """Program version and voice-data fingerprint (for ``lang``'s dictionary)."""
        return f"espeak-ng {_version_number()} data {_data_fingerprint(lang)}"

    def voices(self) -> list[VoiceInfo]:
        """Installed voices, from ``espeak-ng --voices``."""
        return list(_list_voices())

    def synthesise(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        """Speak ``text`` into ``out_wav`` and check the result."""
        ssml = html.escape(text, quote=False)
        volume = round(100 * voice.volume)
        try:
            if not self._through_library(ssml, voice, volume, out_wav, timeout):
                self._through_program(ssml, voice, volume, out_wav, timeout)
        except (subprocess.TimeoutExpired, TimeoutError) as exc:
            out_wav.unlink(missing_ok=True)
            raise SynthesisError(f"espeak-ng timed out after {timeout:.0f} s on {text[:60]!r}") from exc
        except _EngineFailed as exc:
            out_wav.unlink(missing_ok=True)
            raise SynthesisError(f"espeak-ng failed on {text[:60]!r}: {exc}") from exc
        check_wav(out_wav, text, voice.lang)

    def uses_library(self) -> bool:
        """Whether texts go to the library's helper (until it proves unable to start)."""
        return self.library_unavailable == "" and library_path_possible(tool_path(PROGRAM))

    def _through_library(self, ssml: str, voice: Voice, volume: int, out_wav: Path, timeout: float) -> bool:
        """Synthesise through the helper; False when the library cannot be used here."""
        if not self.uses_library():
            if _chosen_path() == "library":
                raise _EngineFailed(
                    f"libespeak-ng cannot stand in for {tool_path(PROGRAM)} here ({PATH_VARIABLE}=library)"
                )
            return False
        if self._server is None:
            self._server = SynthesisServer(_version_number(), data_folder())
        try:
            self._server.synthesise(ssml, voice.voice_id, voice.rate, volume, out_wav, timeout)
        except HelperUnavailable as exc:
            if _chosen_path() == "library":
                raise _EngineFailed(f"libespeak-ng cannot be used ({exc})") from exc
            self.library_unavailable = str(exc)
            return False
        except HelperFailed as exc:
            raise _EngineFailed(str(exc)) from exc
        return True

    @staticmethod
    def _through_program(ssml: str, voice: Voice, volume: int, out_wav: Path, timeout: float) -> None:
        command = [
            tool_path(PROGRAM),
            "-v", voice.voice_id,
            "-s", str(voice.rate),
            "-a", str(volume),
            "-m",
            "--stdin",
            "-w", str(out_wav),
        ]  # fmt: skip
        result = run_engine(command, ssml.encode("utf-8"), timeout)
        if result.returncode != 0:
            raise _EngineFailed(result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}")

    def close(self) -> None:
        """Stop the synthesis helpers (the program's calls leave nothing running)."""
        if self._server is not None:
            self._server.close()
            self._server = None


class _EngineFailed(Exception):
    """The engine refused a text; the message is its own words."""


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
