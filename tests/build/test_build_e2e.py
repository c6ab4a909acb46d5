"""End to end with real espeak-ng and ffmpeg: a small episode built in Korean and English."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from pipeline.build import filehashes
from pipeline.fsutil import sha256_file
from tests.conftest import DATA, CliResult

ALLOWED_FRAMES = {"TIT2", "TPE1", "TALB", "TRCK", "TLAN"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]")


def ffprobe(path: Path) -> dict:
    """ffprobe's view of the first audio stream and the container."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) measured by ffmpeg's ebur128 filter."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
         "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = result.stderr.rsplit("Summary:", 1)[1]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project, built once for this module."""
    from pipeline.cli import main

    project = tmp_path_factory.mktemp("e2e") / "mini"
    shutil.copytree(DATA / "mini", project, ignore=shutil.ignore_patterns("output", ".cache"))
    assert main(["build", "--project", str(project)]) == 0
    return project


def mp3_files(project: Path) -> list[Path]:
    files = sorted((project / "output" / "mini").glob("*/*.mp3"))
    assert len(files) == 8  # 3 segments + the episode, in two languages
    return files


def test_every_mp3_matches_the_player_profile(built: Path) -> None:
    for path in mp3_files(built):
        stream = ffprobe(path)["streams"][0]
        assert stream["codec_name"] == "mp3", path
        assert stream["sample_rate"] == "22050", path
        assert stream["channels"] == 1, path
        assert stream["bit_rate"] == "32000", path
        decode = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True)
        assert decode.returncode == 0 and not decode.stderr, path


def test_loudness_and_true_peak_after_encoding(built: Path) -> None:
    for path in mp3_files(built):
        integrated, peak = ebur128(path)
        assert -17.0 <= integrated <= -15.0, (path, integrated)
        assert peak <= -1.5, (path, peak)


def test_tags_are_id3v23_with_korean_intact_and_nothing_identifying(built: Path) -> None:
    folder = built / "output" / "mini" / "ko"
    for path in sorted(folder.glob("*.mp3")):
        tags = ID3(path)
        assert tags.version == (2, 3, 0)
        assert set(tags.keys()) <= ALLOWED_FRAMES, set(tags.keys()) - ALLOWED_FRAMES
        assert str(tags["TPE1"]) == "열린창 라디오"
        assert str(tags["TALB"]) == "국경을 넘는 라디오"
        assert str(tags["TLAN"]) == "kor"
        data = path.read_bytes()
        assert data[-128:-125] != b"TAG", "no ID3v1 tag"
        for marker in (b"Lavf", b"Lavc", b"LAME", b"libmp3lame"):
            assert marker not in data[:4096], (path, marker)
    assert str(ID3(folder / "02-radio-reach.mp3")["TIT2"]) == "라디오는 모든 지방에 닿습니다."
    assert str(ID3(folder / "02-radio-reach.mp3")["TRCK"]) == "2/3"


def test_korean_transcript_is_hangul(built: Path) -> None:
    text = (built / "output" / "mini" / "ko" / "transcript.txt").read_text(encoding="utf-8")
    assert len(HANGUL.findall(text)) > 200
    assert not LATIN.findall(text)
    assert "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다." in text
    assert "지금까지 열린창 라디오였습니다." in text  # particle chosen for the filled-in name


def test_playlist_and_manifest(built: Path) -> None:
    folder = built / "output" / "mini" / "ko"
    playlist = (folder / "playlist.m3u8").read_text(encoding="utf-8").splitlines()
    assert playlist[0] == "#EXTM3U"
    assert [line for line in playlist if not line.startswith("#")] == [
        "01-opening.mp3", "02-radio-reach.mp3", "03-closing.mp3",
    ]  # fmt: skip
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["language"] == "ko" and manifest["episode"] == "mini"
    for name, record in manifest["files"].items():
        assert record["sha256"] == sha256_file(folder / name), name
        assert record["bytes"] == (folder / name).stat().st_size
    segment = manifest["files"]["02-radio-reach.mp3"]
    assert -17 <= segment["loudness_lufs"] <= -15
    assert segment["voices"] == ["espeak-ng:ko", "espeak-ng:ko+f2"]
    assert len(segment["input_hash"]) == 64
    assert segment["duration"] > 10
    episode = manifest["files"]["mini.mp3"]
    segments = ("01-opening.mp3", "02-radio-reach.mp3", "03-closing.mp3")
    total = sum(manifest["files"][name]["duration"] for name in segments)
    assert abs(episode["duration"] - total) < 0.5


def test_rebuild_without_changes_touches_nothing(built: Path, cli) -> None:
    files = [path for path in sorted((built / "output" / "mini").rglob("*")) if path.is_file()]
    before = {path: (path.stat().st_mtime_ns, sha256_file(path)) for path in files}
    result: CliResult = cli("build", "--project", str(built))
    assert result.code == 0
    assert result.out.count("unchanged") == 3 and "2 unchanged — exit 0" in result.out  # two rows, the verdict
    after = {path: (path.stat().st_mtime_ns, sha256_file(path)) for path in files}
    assert after == before


def test_a_rebuild_does_not_read_again_the_outputs_an_earlier_build_hashed(built: Path, cli, monkeypatch) -> None:
    an_hour_ago = time.time_ns() - 3600 * 10**9
    for path in (built / "output").rglob("*"):
        os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert cli("build", "--project", str(built)).code == 0  # reads them once and remembers
    reads: list[Path] = []
    real = filehashes.sha256_file
    monkeypatch.setattr(filehashes, "sha256_file", lambda path: reads.append(path) or real(path))
    result = cli("build", "--project", str(built))
    assert result.code == 0 and result.out.count("unchanged") == 3  # two rows and the verdict
    assert reads == []


def test_an_output_changed_on_disk_is_made_again(built: Path, cli) -> None:
    segment = sorted((built / "output" / "mini" / "ko").glob("0*.mp3"))[0]
    original = segment.read_bytes()
    middle = len(original) // 2
    damaged = original[:middle] + bytes(b ^ 0xFF for b in original[middle : middle + 4]) + original[middle + 4 :]
    segment.write_bytes(damaged)  # same size, new content and modification time
    result = cli("build", "--project", str(built), "--lang", "ko")
    assert result.code == 0 and "built" in result.out
    assert segment.read_bytes() == original


NO_OP_PROBE = """
import sys
from pipeline.cli import main
code = main(["build", "--project", sys.argv[1]])
heavy = sorted(name for name in ("numpy", "scipy", "lameenc", "soundfile", "pydub", "pipeline.build.segment_audio",
                                 "pipeline.commands.ingest", "pipeline.commands.i18n",
                                 "pipeline.i18n.checks", "num2words", "mecab",
                                 "pipeline.speech.pronounce") if name in sys.modules)
print(code, " ".join(heavy))
"""


def test_a_build_with_nothing_to_make_loads_neither_the_audio_stack_nor_other_commands(built: Path) -> None:
    # nor the pronunciation rules and their analyser: the speech-text store answers every sentence
    result = subprocess.run([sys.executable, "-c", NO_OP_PROBE, str(built)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "0"


SUBMIT_PROBE = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.project.script import load_project

class Watching(ThreadPoolExecutor):
    loaded_at_submit = []

    def submit(self, fn, /, *args, **kwargs):
        self.loaded_at_submit.append("pipeline.build.segment_audio" in sys.modules or "numpy" in sys.modules)
        return super().submit(fn, *args, **kwargs)

with Watching(1) as pool:
    root = Path(sys.argv[1])
    report = build(load_project(root), BuildRequest(languages=("ko",), out=root / "output"), executor=pool)
print(report.exit_code, len(pool.loaded_at_submit), pool.loaded_at_submit[0])
"""


def test_the_build_submits_its_jobs_before_importing_the_audio_stack(mini_project: Path) -> None:
    # the jobs import the audio stack where they run: the build's own process starts them without it
    # (only the first submission is judged: here the jobs run in threads of the same process)
    result = subprocess.run(
        [sys.executable, "-c", SUBMIT_PROBE, str(mini_project)], capture_output=True, text=True, check=True
    )
    code, submitted, loaded = result.stdout.split()
    assert code == "0" and int(submitted) > 0 and loaded == "False"


def test_no_partial_files_are_left(built: Path) -> None:
    assert not [p for p in (built / "output").rglob("*") if p.name.startswith(".")]


def test_output_verifies_clean(built: Path, cli) -> None:
    result = cli("verify", str(built / "output"))
    assert result.code == 0, result.out + result.err
    assert "clean" in result.out + result.err
