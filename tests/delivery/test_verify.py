"""``pipeline verify``: clean on good files, one clear line for each planted problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TDRC, TSSE

from pipeline.audio.mp3frames import probe, scrub_ancillary
from pipeline.cli import main
from tests.audio_fixtures import encode_mp3, file_entry, run

EPISODE = Path("radio-reach/ko")


@pytest.fixture
def output(tmp_path: Path, good_output: Path) -> Path:
    """A fresh copy of the good output tree to spoil."""
    return Path(shutil.copytree(good_output, tmp_path / "output"))


def verify(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main(["verify", str(folder)])
    lines = capsys.readouterr().out.splitlines()
    return status, lines


def findings(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The finding lines, with the folder prefix taken off; asserts exit status 1."""
    status, lines = verify(folder, capsys)
    assert status == 1
    count = len(lines) - 1
    assert f": {count} finding{'s' if count > 1 else ''}" in lines[-1]
    return [line.removeprefix(f"{folder}/") for line in lines[:-1]]


def relist(folder: Path, name: str) -> None:
    """Make the manifest agree with the file's current bytes (a build that went wrong)."""
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = manifest["files"][name]
    entry.update(file_entry(folder / name))
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def test_good_output_is_clean(output: Path, capsys) -> None:
    status, lines = verify(output, capsys)
    assert lines == [f"verify {output}: checked 3 audio, 3 lyrics, 1 playlist, 1 manifest files: clean"]
    assert status == 0


def test_planted_encoder_tag_is_found(output: Path, capsys) -> None:
    tags = ID3(output / EPISODE / "01-opening.mp3")
    tags.add(TSSE(encoding=3, text="Lavf59.27.100"))
    tags.add(TDRC(encoding=3, text="2024-05-01"))
    tags.save(v2_version=3)
    relist(output / EPISODE, "01-opening.mp3")
    assert findings(output, capsys) == [
        f"{EPISODE}/01-opening.mp3: bytes hold the encoder signature 'Lavf'",
        f"{EPISODE}/01-opening.mp3: tag TDRC (recording date) is not allowed: '2024-05-01'",
        f"{EPISODE}/01-opening.mp3: tag TSSE (encoder settings) is not allowed: 'Lavf59.27.100'",
    ]


def test_truncated_mp3_is_found(output: Path, capsys) -> None:
    path = output / EPISODE / "02-story.mp3"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 60])
    lines = findings(output, capsys)
    assert f"{EPISODE}/02-story.mp3: {len(data) - 60} bytes, the manifest says {len(data)}" in lines
    assert any(line.startswith(f"{EPISODE}/02-story.mp3: MP3 frames: truncated: the frame at byte") for line in lines)


def test_wrong_sample_rate_for_the_profile_is_found(output: Path, capsys, speech_wavs) -> None:
    path = output / EPISODE / "03-closing.mp3"
    encode_mp3(speech_wavs["closing"], path, sample_rate=44100, bitrate=32)
    path.write_bytes(scrub_ancillary(path.read_bytes()))
    relist(output / EPISODE, "03-closing.mp3")
    lines = findings(output, capsys)
    assert lines == [f"{EPISODE}/03-closing.mp3: 44100 Hz, profile 'player' wants 22050 Hz"] + [
        line for line in lines if "03-closing.lrc: timing" in line
    ]


def test_bad_lrc_timing_is_found(output: Path, capsys) -> None:
    lrc = output / EPISODE / "01-opening.lrc"
    lrc.write_text("[00:02.00]second\n[00:01.00]first\n[09:00.00]\n", encoding="utf-8")
    relist(output / EPISODE, "01-opening.lrc")
    duration = probe((output / EPISODE / "01-opening.mp3").read_bytes()).duration_seconds
    end = f"{duration:06.3f}".replace(".", ",")
    assert findings(output, capsys) == [
        f"{EPISODE}/01-opening.lrc: timing: cue 1 (00:00:02,000): runs to 00:09:00,000, "
        f"past the end of the audio (00:00:{end})",
        f"{EPISODE}/01-opening.lrc: timing: cue 2 (00:00:01,000): runs to 00:09:00,000, "
        f"past the end of the audio (00:00:{end})",
        f"{EPISODE}/01-opening.lrc: timing: cue 2 (00:00:01,000): starts before cue 1 (not in time order)",
    ]


def test_unscrubbed_lame_signature_is_found(output: Path, capsys, speech_wavs) -> None:
    path = output / EPISODE / "01-opening.mp3"
    encode_mp3(speech_wavs["opening"], path)
    relist(output / EPISODE, "01-opening.mp3")
    assert findings(output, capsys) == [f"{EPISODE}/01-opening.mp3: bytes hold the encoder signature 'LAME'"]


def test_missing_unlisted_and_hidden_files_are_found(output: Path, capsys) -> None:
    folder = output / EPISODE
    (folder / "transcript.txt").unlink()
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    (folder / ".01-opening.mp3.1234.part").write_bytes(b"")
    assert findings(output, capsys) == [
        f"{EPISODE}/.01-opening.mp3.1234.part: not listed in manifest.json",
        f"{EPISODE}/.01-opening.mp3.1234.part: unsafe name: "
        "hidden file (left by an interrupted write or another system)",
        f"{EPISODE}/notes.txt: not listed in manifest.json",
        f"{EPISODE}/transcript.txt: listed in manifest.json but missing",
    ]


def test_playlist_problems_are_found(output: Path, capsys) -> None:
    folder = output / EPISODE
    (folder / "playlist.m3u").write_text("#EXTM3U\n#EXTINF:3,여는 말\n09-gone.mp3\n", "utf-8")
    assert findings(output, capsys) == [
        f"{EPISODE}/playlist.m3u: entry '09-gone.mp3' does not exist",
        f"{EPISODE}/playlist.m3u: not listed in manifest.json",
        f"{EPISODE}/playlist.m3u: the .m3u twin must be ASCII only (old players)",
    ]


def test_broken_manifest_is_a_finding(output: Path, capsys) -> None:
    (output / EPISODE / "manifest.json").write_text("{", encoding="utf-8")
    lines = findings(output, capsys)
    assert lines[0].startswith(f"{EPISODE}/manifest.json: not a valid JSON manifest")


def test_wav_with_a_software_chunk_is_found(tmp_path: Path, speech_wavs, capsys) -> None:
    folder = tmp_path / "radio"
    folder.mkdir()
    plain, tagged = folder / "01-plain.wav", folder / "02-tagged.wav"
    for target, flags in ((plain, ["-fflags", "+bitexact"]), (tagged, [])):
        run("ffmpeg", "-v", "error", "-i", str(speech_wavs["closing"]), "-ar", "48000", *flags,
            "-c:a", "pcm_s16le", str(target))  # fmt: skip
    lines = findings(folder, capsys)
    assert lines == [
        "02-tagged.wav: RIFF chunk 'LIST' is not allowed (holds 'INFOISFT Lavf59.27.100')",
        "02-tagged.wav: bytes hold the encoder signature 'Lavf'",
    ]
    status, lines = verify(folder, capsys) if tagged.unlink() is None else (0, [])
    assert status == 0
    assert lines[-1].endswith("clean (1 audio files have no manifest: profile and checksums not checked)")


def test_a_folder_without_audio_or_that_does_not_exist(tmp_path: Path, capsys) -> None:
    assert findings(tmp_path, capsys) == [f"{tmp_path}: no audio files found"]
    assert main(["verify", str(tmp_path / "nope")]) == 2
    assert "nope: neither a folder nor a FAT32 card image" in capsys.readouterr().err
