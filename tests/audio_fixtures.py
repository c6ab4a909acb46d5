"""Real test audio for the audio, formats and delivery tests: espeak-ng speech encoded by ffmpeg's libmp3lame."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TALB, TIT2, TLAN, TPE1, TRCK

from pipeline.audio.mp3frames import probe, scrub_ancillary

SENTENCES = {
    "opening": "Good evening. This is Open Window Radio, with news from outside.",
    "story": "Small players and memory cards pass from hand to hand. They carry hours of voices.",
    "closing": "Thank you for listening. Until next time.",
}
KOREAN_TITLES = {"opening": "여는 말", "story": "작은 플레이어", "closing": "맺는 말"}
PLAYER_PROFILE = {
    "name": "player",
    "codec": "mp3",
    "bitrate_kbps": 32,
    "sample_rate": 22050,
    "channels": 1,
    "loudness_lufs": -16.0,
    "true_peak_dbtp": -2.0,
}


def run(*args: str, data: bytes | None = None) -> bytes:
    """Run a program; its stdout, failing the test on a non-zero exit."""
    result = subprocess.run(args, input=data, capture_output=True, check=True, timeout=120)
    return result.stdout


def speak(text: str, target: Path, voice: str = "en-us") -> Path:
    """A WAV of espeak-ng reading ``text``."""
    run("espeak-ng", "-v", voice, "-w", str(target), text)
    return target


def encode_mp3(
    wav: Path,
    target: Path,
    sample_rate: int = 22050,
    bitrate: int = 32,
    channels: int = 1,
    info_frame: bool = False,
) -> Path:
    """``wav`` encoded with libmp3lame as CBR, without any ID3 tag."""
    stereo = ["-af", "aecho=0.8:0.8:40:0.4,pan=stereo|c0=c0|c1=0.6*c0"] if channels == 2 else []
    run(
        "ffmpeg", "-v", "error", "-y", "-i", str(wav), *stereo,
        "-ar", str(sample_rate), "-ac", str(channels), "-c:a", "libmp3lame", "-b:a", f"{bitrate}k",
        "-write_xing", "1" if info_frame else "0", "-id3v2_version", "0", str(target),
    )  # fmt: skip
    return target


def decode_pcm(data: bytes, sample_format: str = "s16le") -> tuple[bytes, bytes]:
    """PCM (signed 16-bit unless another ffmpeg ``sample_format`` is asked for) that ffmpeg
    decodes from MP3 bytes, and what ffmpeg said on stderr."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "mp3", "-i", "-", "-f", sample_format, "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return result.stdout, result.stderr


def tag_mp3(path: Path, title: str, album: str, track: int, lang: str = "kor") -> None:
    """Write the expected ID3v2.3 frames (title, artist, album, track, language)."""
    tags = ID3()
    tags.add(TIT2(encoding=1, text=title))
    tags.add(TPE1(encoding=1, text="Open Window Radio"))
    tags.add(TALB(encoding=1, text=album))
    tags.add(TRCK(encoding=1, text=str(track)))
    tags.add(TLAN(encoding=1, text=lang))
    tags.save(path, v2_version=3, v1=0)


def file_entry(path: Path, **fields: object) -> dict[str, object]:
    """A manifest entry for ``path``: its bytes and sha256 plus ``fields``."""
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), **fields}


def lrc_for(duration: float, text: str) -> str:
    """One-cue LRC text covering most of ``duration``."""
    end = max(duration - 0.2, 0.1)
    return f"[00:00.10]{text}\n[{int(end // 60):02d}:{end % 60:05.2f}]\n"


@pytest.fixture(scope="session")
def speech_wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One espeak-ng WAV per sample sentence, made once per test session."""
    folder = tmp_path_factory.mktemp("speech")
    return {name: speak(text, folder / f"{name}.wav") for name, text in SENTENCES.items()}


def make_episode_output(root: Path, wavs: dict[str, Path], episode: str = "radio-reach", lang: str = "ko") -> Path:
    """``root/<episode>/<lang>/`` laid out as a build writes it, with a manifest."""
    folder = root / episode / lang
    folder.mkdir(parents=True)
    files: dict[str, dict[str, object]] = {}
    playlist = ["#EXTM3U"]
    for number, (segment, wav) in enumerate(wavs.items(), start=1):
        name = f"{number:02d}-{segment}"
        mp3 = encode_mp3(wav, folder / f"{name}.mp3")
        mp3.write_bytes(scrub_ancillary(mp3.read_bytes()))
        tag_mp3(mp3, KOREAN_TITLES[segment], "라디오가 닿는 곳", number)
        duration = probe(mp3.read_bytes()).duration_seconds
        (folder / f"{name}.lrc").write_text(lrc_for(duration, SENTENCES[segment]), encoding="utf-8")
        files[f"{name}.mp3"] = file_entry(
            mp3, kind="segment", segment=segment, title=KOREAN_TITLES[segment], duration=duration
        )
        lyrics = {"kind": "lyrics", "for": f"{name}.mp3"}
        files[f"{name}.lrc"] = file_entry(folder / f"{name}.lrc", **lyrics)
        playlist += [f"#EXTINF:{round(duration)},{KOREAN_TITLES[segment]}", f"{name}.mp3"]
    (folder / "playlist.m3u8").write_text("\n".join(playlist) + "\n", encoding="utf-8")
    files["playlist.m3u8"] = file_entry(folder / "playlist.m3u8", kind="playlist")
    (folder / "transcript.txt").write_text("\n".join(SENTENCES.values()) + "\n", encoding="utf-8")
    files["transcript.txt"] = file_entry(folder / "transcript.txt", kind="transcript")
    manifest = {
        "episode": episode,
        "language": lang,
        "title": "라디오가 닿는 곳",
        "profile": PLAYER_PROFILE,
        "files": files,
    }
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def good_output(tmp_path_factory: pytest.TempPathFactory, speech_wavs: dict[str, Path]) -> Path:
    """A pristine ``output/`` folder with one Korean episode (copy it before changing it)."""
    root = tmp_path_factory.mktemp("output")
    make_episode_output(root, speech_wavs)
    return root


def silences(path: Path, noise_db: float = -50.0, shortest: float = 0.1) -> list[tuple[float, float]]:
    """(start, end) of each silence ffmpeg's ``silencedetect`` hears in a file; a silence that
    runs to the end of the file ends at the file's decoded duration."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path),
         "-af", f"silencedetect=noise={noise_db}dB:d={shortest}", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    starts = [float(value) for value in re.findall(r"silence_start: (-?[\d.]+)", result.stderr)]
    ends = [float(value) for value in re.findall(r"silence_end: ([\d.]+)", result.stderr)]
    if len(ends) < len(starts):
        duration = run("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path))
        ends.append(float(duration))
    return list(zip(starts, ends, strict=True))
