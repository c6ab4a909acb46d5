"""Fixtures for the localisation tests: data folders, a project copy, GNU gettext runs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "i18n"


@pytest.fixture
def data() -> Path:
    """The folder of localisation fixtures."""
    return DATA


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the two-episode fixture project."""
    root = tmp_path / "project"
    shutil.copytree(DATA / "project", root)
    return root


def run_msgfmt(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """GNU msgfmt with ``options`` on ``path``, output discarded."""
    return subprocess.run(
        ["msgfmt", *options, "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def msgfmt_check() -> Callable[[Path], None]:
    """Assert that ``msgfmt --check`` accepts a catalog without a word of complaint."""

    def check(path: Path) -> None:
        result = run_msgfmt(path, "--check")
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", result.stderr

    return check
