"""A cold build hashes what it writes while it holds the bytes: no output is read back to be
recorded, and every record matches its file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.build import filehashes
from pipeline.fsutil import sha256_file
from pipeline.project.layout import CACHE_DIR


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
