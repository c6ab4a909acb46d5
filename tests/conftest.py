"""Shared fixtures: a copy of the small fixture project and an in-process command line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.audio_fixtures import good_output, speech_wavs  # noqa: F401  (session fixtures for the media tests)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent
PROJECT_ROOT = REPO.resolve()


@dataclass
class CliResult:
    """What a command printed and its exit status."""

    code: int
    out: str
    err: str


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A writable copy of ``tests/data/mini``: one short episode with a complete Korean catalog."""
    target = tmp_path / "mini"
    shutil.copytree(DATA / "mini", target, ignore=shutil.ignore_patterns("output", ".cache"))
    return target


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``pipeline`` in-process with the given arguments."""

    def run(*args: str) -> CliResult:
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository's own content folder (station, templates, ingest.yaml)."""
    return PROJECT_ROOT
