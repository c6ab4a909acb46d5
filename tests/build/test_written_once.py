"""A cold build hashes what it writes while it holds the bytes: no output is read back to be
recorded, every record matches its file, and the build's own process joins the episodes without
the codecs (only numpy, for the loudness of the joined segments)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.build import filehashes, orchestrator
from pipeline.formats.manifests import ManifestWriter
from pipeline.fsutil import sha256_file
from pipeline.project.layout import CACHE_DIR, LEVELS_CACHE


def manifests(project: Path) -> list[Path]:
    return sorted((project / "output").rglob("manifest.json"))


def test_a_cold_build_reads_back_none_of_its_outputs_and_records_them_truly(
    mini_project: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    real = filehashes.sha256_file
    monkeypatch.setattr(filehashes, "sha256_file", lambda path: reads.append(path) or real(path))
    assert cli("build", "--project", str(mini_project), "--jobs", "1").code == 0
    assert [path for path in reads if (mini_project / "output") in path.parents] == []
    recorded = 0
    for manifest in manifests(mini_project):
        for name, record in json.loads(manifest.read_text(encoding="utf-8"))["files"].items():
            path = manifest.parent / name
            assert (record["bytes"], record["sha256"]) == (path.stat().st_size, sha256_file(path)), path
            recorded += 1
    assert recorded == 2 * (4 + 4 * 2 + 3)  # per language: 4 MP3s with their LRC and SRT, 2 playlists, transcript
    memo = json.loads((mini_project / CACHE_DIR / "file-hashes.json").read_text(encoding="utf-8"))
    for name, (size, _, digest) in memo.items():
        assert (size, digest) == (Path(name).stat().st_size, sha256_file(Path(name))), name


def test_a_rebuild_checks_the_recorded_hashes_against_the_files(mini_project: Path, cli) -> None:
    assert cli("build", "--project", str(mini_project), "--jobs", "1", "--lang", "en").code == 0
    transcript = mini_project / "output" / "mini" / "en" / "transcript.txt"
    original = transcript.read_text(encoding="utf-8")
    transcript.write_text(original.upper(), encoding="utf-8")  # same size, another content
    result = cli("build", "--project", str(mini_project), "--jobs", "1", "--lang", "en")
    assert result.code == 0 and "built" in result.out
    assert transcript.read_text(encoding="utf-8") == original


COLD_PROBE = """
import sys
from pipeline.cli import main
code = main(["build", "--project", sys.argv[1], "--jobs", "1"])
loaded = sorted(name for name in ("numpy", "lameenc", "soundfile", "pydub", "scipy", "pipeline.audio.level",
                                  "pipeline.build.segment_audio", "pipeline.tts.cache") if name in sys.modules)
print(code, " ".join(loaded))
"""


def test_the_build_process_joins_episodes_without_the_codecs_or_numpy(mini_project: Path) -> None:
    """The episode files are joined and their loudness worked out from the stored blocks in plain
    Python: the build's own process imports neither the codecs nor numpy (its workers do)."""
    result = subprocess.run(
        [sys.executable, "-c", COLD_PROBE, str(mini_project)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["0"]
    assert list((mini_project / "output" / "mini").glob("*/mini*.mp3"))  # the episode files were joined


def test_an_episode_whose_segments_blocks_are_gone_is_measured_from_its_file(mini_project: Path, cli) -> None:
    assert cli("build", "--project", str(mini_project), "--jobs", "1", "--lang", "en").code == 0
    folder = mini_project / "output" / "mini" / "en"
    from_blocks = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]["mini.mp3"]
    shutil.rmtree(mini_project / CACHE_DIR / LEVELS_CACHE)
    (folder / "mini.mp3").unlink()
    assert cli("build", "--project", str(mini_project), "--jobs", "1", "--lang", "en").code == 0
    measured = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]["mini.mp3"]
    assert measured["sha256"] == from_blocks["sha256"]
    assert measured["loudness_lufs"] == pytest.approx(from_blocks["loudness_lufs"], abs=0.2)


def test_a_folders_manifest_is_not_saved_again_for_every_segment(
    mini_project: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved with its recorded files at most once per PROGRESS_SAVE_SECONDS (not per file: a folder
    of n segments would cost n saves of a growing manifest), and always once finished."""
    monkeypatch.setattr(orchestrator, "PROGRESS_SAVE_SECONDS", 3600.0)
    saved: list[Path] = []
    real = ManifestWriter.save
    monkeypatch.setattr(ManifestWriter, "save", lambda self: saved.append(self.folder) or real(self))
    assert cli("build", "--project", str(mini_project), "--jobs", "1").code == 0
    for lang in ("ko", "en"):
        folder = mini_project / "output" / "mini" / lang
        # before the jobs (unfinished), with the first file recorded, once assembled (complete)
        assert saved.count(folder) == 3 + 1, saved  # and the run's last look, which writes nothing
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["complete"] is True
        assert sum(1 for record in manifest["files"].values() if record.get("kind") == "segment") == 3
