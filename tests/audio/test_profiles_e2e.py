"""Every output profile built for real, probed, levelled and synchronised; builds are reproducible."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import welch

from pipeline.audio.ffmpeg import probe_stream
from pipeline.formats.lyrics import parse_lrc, parse_srt, timing_problems
from tests.build.test_build_e2e import ebur128
from tests.conftest import DATA, REPO

PROFILES = {
    "ko": ("mp3", 22050, 32000),
    "ko-player-long": ("mp3", 16000, 16000),
    "ko-radio": ("pcm_s16le", 48000, None),
}


def copy_project(target: Path) -> Path:
    shutil.copytree(DATA / "mini", target, ignore=shutil.ignore_patterns("output", ".cache"))
    shutil.copy(REPO / "scripts_src" / "station.yaml", target / "scripts_src" / "station.yaml")
    return target


def run_build(project: Path, *extra: str, env: dict[str, str] | None = None) -> None:
    command = [sys.executable, "-m", "pipeline", "build", "--project", str(project), "--lang", "ko", *extra]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("profiles") / "mini")
    run_build(project, "--profile", "player", "--profile", "player-long", "--profile", "radio")
    return project / "output" / "mini"


def audio_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.suffix in (".mp3", ".wav"))


@pytest.mark.parametrize("leaf", PROFILES)
def test_each_profile_has_its_codec_rate_and_channels(built: Path, leaf: str) -> None:
    codec, rate, bitrate = PROFILES[leaf]
    files = audio_files(built / leaf)
    assert len(files) == 4
    for path in files:
        stream = probe_stream(path)
        assert (stream.codec, stream.sample_rate, stream.channels) == (codec, rate, 1), path
        if bitrate:
            assert stream.bit_rate == bitrate, path


@pytest.mark.parametrize(("leaf", "target"), [("ko", -16.0), ("ko-player-long", -16.0), ("ko-radio", -23.0)])
def test_each_profile_meets_its_loudness(built: Path, leaf: str, target: float) -> None:
    recorded = json.loads((built / leaf / "manifest.json").read_text(encoding="utf-8"))["files"]
    for path in audio_files(built / leaf):
        integrated, peak = ebur128(path)
        assert abs(integrated - target) <= 0.5, (path, integrated)  # short files included
        assert abs(recorded[path.name]["loudness_lufs"] - target) <= 0.5, path
        assert peak <= -1.0, (path, peak)


def test_radio_files_have_silence_before_and_after(built: Path) -> None:
    folder = built / "ko-radio"
    recorded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
    for path in audio_files(folder):
        decoded = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"], capture_output=True, check=True
        ).stdout
        samples = np.abs(np.frombuffer(decoded, "<i2").astype(float)) / 32768
        sounding = np.flatnonzero(samples > 10 ** (-60 / 20))  # anything above -60 dBFS
        first, last = sounding[0] / 48000, (len(samples) - 1 - sounding[-1]) / 48000
        assert first >= 0.5, (path, first)  # 0.5 s lead-in (and the engine's own silence)
        assert last >= 0.5, (path, last)
        if recorded[path.name]["kind"] == "segment":
            assert recorded[path.name]["cues"][0][0] >= 0.5  # cue times moved with the audio


def test_radio_is_band_limited_for_am(built: Path) -> None:
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(built / "ko-radio" / "mini.wav"), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    samples = np.frombuffer(decoded, "<i2").astype(float)
    frequencies, power = welch(samples, 48000, nperseg=8192)
    above = power[frequencies > 6000].sum() / power.sum()
    assert 10 * np.log10(power[frequencies > 8000].sum() / power.sum()) < -60
    below = power[frequencies < 60].sum() / power.sum()
    assert 10 * np.log10(above) < -35
    assert 10 * np.log10(below) < -25


def test_lyrics_are_one_timed_line_per_written_sentence(built: Path) -> None:
    folder = built / "ko"
    for audio in audio_files(folder):
        duration = probe_stream(audio).duration
        for suffix, parse in ((".lrc", parse_lrc), (".srt", parse_srt)):
            path = audio.with_suffix(suffix)
            cues = parse(path.read_text(encoding="utf-8"), path.name)
            assert cues, path
            assert timing_problems(cues, duration) == [], path
    cues = parse_lrc((folder / "02-radio-reach.lrc").read_text(encoding="utf-8"))
    assert [cue.text for cue in cues] == [
        "라디오는 모든 지방에 닿습니다.",
        "라디오는 나라 전체에서 실시간으로 들을 수 있는 유일한 외부 매체입니다.",
        "수신기는 국영 방송에 고정되어야 하지만, 많은 사람들이 이를 개조합니다.",
        "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다.",
        "지금까지 한 전직 군인의 말을 들으셨습니다.",
        "이 소식은 2022년 4월 22일에 발표된 북한자유연합의 보도를 바탕으로 했습니다.",
    ]
    episode = parse_lrc((folder / "mini.lrc").read_text(encoding="utf-8"))
    assert len(episode) == sum(len(parse_lrc(p.read_text(encoding="utf-8"))) for p in folder.glob("0*.lrc"))
    assert all(a.start <= b.start for a, b in itertools.pairwise(episode))


def digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_builds_are_reproducible_across_clocks_zones_and_temp_dirs(tmp_path: Path) -> None:
    first = copy_project(tmp_path / "first")
    second = copy_project(tmp_path / "second")
    for project, zone, temp, jobs in ((first, "UTC", "a", "1"), (second, "Asia/Seoul", "b", "2")):
        (tmp_path / temp).mkdir()
        env = {**os.environ, "TZ": zone, "TMPDIR": str(tmp_path / temp)}
        run_build(project, "--profile", "player", "--profile", "radio", "--jobs", jobs, env=env)
    assert digests(first / "output" / "mini") == digests(second / "output" / "mini")
