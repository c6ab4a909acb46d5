"""Shared fixtures: the repository's own content folder is the test project."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The folder holding scripts_src/ (station, templates, ingest.yaml)."""
    return PROJECT_ROOT
