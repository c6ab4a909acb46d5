"""A build through libespeak-ng's helper and one through the espeak-ng program make the same bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the library path is Linux only")


def build(project: Path, path: str) -> None:
    """Build the whole project (both languages, two workers) with espeak-ng reached through ``path``."""
    environment = {**os.environ, "PIPELINE_ESPEAK": path}
    command = [sys.executable, "-m", "pipeline", "build", "--jobs", "2", "--project", str(project)]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


RUN_RECORDS = ("_logs", "_report")  # the build's own logs and reports name its time and process


def hashes(folder: Path, pattern: str) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob(pattern))
        if path.is_file() and path.relative_to(folder).parts[0] not in RUN_RECORDS
    }


def test_the_library_and_the_program_build_identical_files(tmp_path: Path) -> None:
    built = {}
    for path in ("library", "program"):  # "library" fails rather than fall back to the program
        project = tmp_path / path / "mini"
        shutil.copytree(DATA / "mini", project, ignore=shutil.ignore_patterns("output", ".cache"))
        build(project, path)
        built[path] = project
    mp3s = hashes(built["library"] / "output", "*.mp3")
    assert len(mp3s) == 8  # 3 segments and the episode, in Korean and English
    assert mp3s == hashes(built["program"] / "output", "*.mp3")
    assert hashes(built["library"] / "output", "*") == hashes(built["program"] / "output", "*")
    speech = hashes(built["library"] / ".cache" / "tts", "*.flac")
    assert speech and speech == hashes(built["program"] / ".cache" / "tts", "*.flac")
