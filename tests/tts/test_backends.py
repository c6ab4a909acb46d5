"""The two real speech backends, voice choice, and the WAV checks that guard them."""

from __future__ import annotations

import random
import wave
from pathlib import Path

import pytest

from pipeline.errors import SourceLocation, SynthesisError, VoiceError
from pipeline.project.station import VoiceSpec
from pipeline.tts import Voice, resolve_voice
from pipeline.tts.espeak import EspeakNgBackend
from pipeline.tts.pyttsx3_backend import Pyttsx3Backend
from pipeline.tts.wavcheck import check_wav, read_wav_info

TEXTS = [
    "라디오.",
    "외국 방송은 밤에 더 잘 들립니다.",
    "사람들은 작은 메모리 카드에 드라마와 노래를 담아 믿을 수 있는 친구에게만 건넵니다.",
    "국경 지역에서는 중국 휴대전화로 가족과 연락하고, 밖에서 보내온 돈과 소식을 받기도 합니다. "
    "그러나 적발되면 무거운 처벌을 받습니다.",
]
HERE = SourceLocation("station.yaml", 1)


def spec(voice: str | None, backend: str = "espeak-ng") -> VoiceSpec:
    return VoiceSpec(backend, voice, 160, 1.0, HERE)


@pytest.fixture(scope="module")
def espeak() -> EspeakNgBackend:
    return EspeakNgBackend()


@pytest.fixture(scope="module")
def pyttsx3_backend():
    backend = Pyttsx3Backend()
    yield backend
    backend.close()


def durations(paths: list[Path]) -> list[float]:
    return [read_wav_info(path).duration for path in paths]


def test_espeak_durations_follow_the_texts(espeak: EspeakNgBackend, tmp_path: Path) -> None:
    voice = resolve_voice(spec("ko"), "ko", "host", espeak)
    paths = []
    for i, text in enumerate(TEXTS):
        paths.append(tmp_path / f"{i}.wav")
        espeak.synthesise(text, voice, paths[-1], timeout=30)
    lengths = durations(paths)
    assert lengths == sorted(lengths)
    assert lengths[-1] > 3 * lengths[0]


def test_pyttsx3_files_hold_their_own_texts(
    pyttsx3_backend: Pyttsx3Backend, espeak: EspeakNgBackend, tmp_path: Path
) -> None:
    """Several texts in a row through one engine process: each WAV matches its own text.

    The engine's known fault is writing one text's audio under another name;
    espeak-ng's command line, which uses the same voice data, gives the
    reference duration of each text.
    """
    voice = resolve_voice(spec("ko", "pyttsx3"), "ko", "host", pyttsx3_backend)
    reference_voice = resolve_voice(spec("ko"), "ko", "host", espeak)
    order = list(range(len(TEXTS))) * 2
    random.Random(7).shuffle(order)
    for n, index in enumerate(order):
        produced = tmp_path / f"p{n}.wav"
        reference = tmp_path / f"r{n}.wav"
        pyttsx3_backend.synthesise(TEXTS[index], voice, produced, timeout=30)
        espeak.synthesise(TEXTS[index], reference_voice, reference, timeout=30)
        got, want = read_wav_info(produced).duration, read_wav_info(reference).duration
        assert abs(got - want) <= 0.15 * want + 0.1, (TEXTS[index], got, want)
    assert pyttsx3_backend.engine_starts == 1 + pyttsx3_backend.retries


def test_pyttsx3_engine_is_recycled(tmp_path: Path) -> None:
    backend = Pyttsx3Backend(recycle_after=2)
    try:
        voice = resolve_voice(spec("en-us", "pyttsx3"), "en", "host", backend)
        for n in range(5):
            backend.synthesise(f"Message number {n}.", voice, tmp_path / f"{n}.wav", timeout=30)
        assert backend.engine_starts >= 3  # five texts, a fresh engine after every two
    finally:
        backend.close()


def test_pyttsx3_rejects_empty_text(pyttsx3_backend: Pyttsx3Backend, tmp_path: Path) -> None:
    voice = Voice("pyttsx3", "ko", 160, 1.0, "ko")
    with pytest.raises(SynthesisError, match="empty text"):
        pyttsx3_backend.synthesise("  ", voice, tmp_path / "x.wav", timeout=10)


def test_voice_resolution_never_falls_back_to_another_language(espeak: EspeakNgBackend) -> None:
    assert resolve_voice(spec("ko+f2"), "ko", "guest", espeak).voice_id == "ko+f2"
    assert resolve_voice(spec(None), "ko", "host", espeak).voice_id == "ko"
    with pytest.raises(VoiceError, match=r"voice 'en-us' speaks en-us, en, not ko"):
        resolve_voice(spec("en-us"), "ko", "host", espeak)
    not_installed = r"voice 'klingon' is not installed for espeak-ng; installed ko voices: ko"
    with pytest.raises(VoiceError, match=not_installed):
        resolve_voice(spec("klingon"), "ko", "host", espeak)
    unknown = r"no installed espeak-ng voice speaks tlh; installed languages: .*, ko, .*"
    with pytest.raises(VoiceError, match=unknown):
        resolve_voice(spec(None), "tlh", "host", espeak)


def write_wav(path: Path, seconds: float, rate: int = 22050) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x01\x00" * int(seconds * rate))


def test_wav_checks_catch_what_engines_get_wrong(tmp_path: Path) -> None:
    text = "사람들은 작은 메모리 카드에 드라마와 노래를 담아 건넵니다."
    with pytest.raises(SynthesisError, match="wrote no file"):
        check_wav(tmp_path / "missing.wav", text, "ko")
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    with pytest.raises(SynthesisError, match="not a RIFF/WAVE file"):
        check_wav(tmp_path / "junk.wav", text, "ko")
    write_wav(tmp_path / "empty.wav", 0)
    with pytest.raises(SynthesisError, match="empty WAV"):
        check_wav(tmp_path / "empty.wav", text, "ko")
    write_wav(tmp_path / "short.wav", 0.1)
    with pytest.raises(SynthesisError, match="implausible for the text"):
        check_wav(tmp_path / "short.wav", text, "ko")
    write_wav(tmp_path / "long.wav", 120)
    with pytest.raises(SynthesisError, match="implausible for the text"):
        check_wav(tmp_path / "long.wav", text, "ko")
    write_wav(tmp_path / "good.wav", 4)
    assert check_wav(tmp_path / "good.wav", text, "ko").duration == pytest.approx(4)
