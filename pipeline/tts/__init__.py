"""Speech synthesis: a small backend interface, voice discovery and voice choice.

Entry points: :func:`get_backend` (``"pyttsx3"`` or ``"espeak-ng"``),
:func:`resolve_voice` (a station voice setting → an installed voice, never
another language's) and :class:`Backend`, the protocol both backends meet.
Backends write one WAV per call and check it (:mod:`.wavcheck`) before
handing it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.errors import VoiceError
from pipeline.project.station import PRONOUNCE_AS_WRITTEN, VoiceSpec
from pipeline.speech import SpeechChunk, voice_text


@dataclass(frozen=True)
class VoiceInfo:
    """An installed voice as a backend reports it."""

    id: str
    name: str
    languages: tuple[str, ...]  # normalised tags: lower case, '-' separated
    gender: str = ""

    def speaks(self, lang: str) -> bool:
        """True when one of the voice's languages has ``lang``'s primary subtag."""
        wanted = primary_subtag(lang)
        return any(primary_subtag(tag) == wanted for tag in self.languages)


@dataclass(frozen=True)
class Voice:
    """A resolved voice: what a backend needs to speak one role in one language."""

    backend: str
    voice_id: str  # an installed voice id, possibly with an espeak-ng '+variant'
    rate: int
    volume: float
    lang: str
    pronounce: str = PRONOUNCE_AS_WRITTEN  # station.yaml's voices.<lang>.<role>.pronounce

    def describe(self) -> str:
        """Short form for manifests and logs: ``espeak-ng:ko+f2``."""
        return f"{self.backend}:{self.voice_id}"

    def reads(self, chunk: SpeechChunk) -> str:
        """The text this voice is given for ``chunk`` (see :func:`pipeline.speech.voice_text`)."""
        return voice_text(chunk, self.pronounce)


class Backend(Protocol):
    """What the pipeline needs from a speech engine."""

    name: str

    def version(self, lang: str = "") -> str:
        """Engine and voice-data version for ``lang``, part of every cache key."""
        ...

    def voices(self) -> list[VoiceInfo]:
        """Installed voices."""
        ...

    def synthesise(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        """Write ``text`` spoken by ``voice`` to ``out_wav`` (checked), or raise SynthesisError."""
        ...

    def close(self) -> None:
        """Release engine processes."""
        ...


def normalise_tag(tag: str) -> str:
    """``ko_KR`` / ``ko-kr`` / ``KO`` → ``ko-kr`` / ``ko``."""
    return tag.strip().lower().replace("_", "-")


def primary_subtag(tag: str) -> str:
    """The language part of a tag: ``en-us`` → ``en``."""
    return normalise_tag(tag).split("-")[0]


_BACKENDS: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """The process-wide backend instance called ``name``."""
    if name not in _BACKENDS:
        if name == "espeak-ng":
            from pipeline.tts.espeak import EspeakNgBackend

            _BACKENDS[name] = EspeakNgBackend()
        elif name == "pyttsx3":
            from pipeline.tts.pyttsx3_backend import Pyttsx3Backend

            _BACKENDS[name] = Pyttsx3Backend()
        else:
            raise VoiceError(f"unknown speech backend '{name}' (known: espeak-ng, pyttsx3)")
    return _BACKENDS[name]


def register_backend(name: str, backend: Backend) -> None:
    """Use ``backend`` for voices configured with ``backend: <name>`` in this process
    (a worker pool's initializer can install one in every worker)."""
    _BACKENDS[name] = backend


def close_backends() -> None:
    """Stop every backend's engine processes (end of a build). The registry is emptied first and
    every backend is closed even when closing one fails or is interrupted (Ctrl-C), which is
    then raised."""
    backends = list(_BACKENDS.values())
    _BACKENDS.clear()
    with ExitStack() as closing:
        for backend in backends:
            closing.callback(backend.close)


@contextmanager
def closing_backends() -> Iterator[None]:
    """Stop every engine the block started when it ends, however it ends."""
    try:
        yield
    finally:
        close_backends()


def resolve_voice(spec: VoiceSpec, lang: str, role: str, backend: Backend) -> Voice:
    """The installed voice for ``spec``; a clear VoiceError when none speaks ``lang``."""
    installed = backend.voices()
    if spec.voice is None:
        for candidate in installed:
            if candidate.speaks(lang):
                return Voice(backend.name, candidate.id, spec.rate, spec.volume, lang, spec.pronounce)
        raise VoiceError(_no_voice_message(lang, role, backend, installed), spec.location)
    base, _, variant = spec.voice.partition("+")
    info = _find_installed(base, installed)
    if info is None:
        raise VoiceError(
            f"{lang}/{role}: voice '{spec.voice}' is not installed for {backend.name}; "
            + _installed_for(lang, installed),
            spec.location,
        )
    if not info.speaks(lang):
        raise VoiceError(
            f"{lang}/{role}: voice '{spec.voice}' speaks {', '.join(info.languages)}, not {lang}; "
            + _installed_for(lang, installed),
            spec.location,
        )
    voice_id = info.id + (f"+{variant}" if variant else "")
    return Voice(backend.name, voice_id, spec.rate, spec.volume, lang, spec.pronounce)


def _find_installed(wanted: str, installed: list[VoiceInfo]) -> VoiceInfo | None:
    key = normalise_tag(wanted)
    for info in installed:
        ids = {normalise_tag(info.id), normalise_tag(info.id.rsplit("/", 1)[-1])}
        if key in ids:
            return info
    for info in installed:
        if key in info.languages:
            return info
    return None


def _installed_for(lang: str, installed: list[VoiceInfo]) -> str:
    matching = [info.id for info in installed if info.speaks(lang)]
    if matching:
        return f"installed {lang} voices: {', '.join(matching)}"
    return f"no installed voice speaks {lang}"


def _no_voice_message(lang: str, role: str, backend: Backend, installed: list[VoiceInfo]) -> str:
    codes = {primary_subtag(tag) for info in installed for tag in info.languages}
    sample = ", ".join(sorted(codes))
    return (
        f"{lang}/{role}: no installed {backend.name} voice speaks {lang}; "
        f"installed languages: {sample or 'none'} (see 'pipeline voices')"
    )
