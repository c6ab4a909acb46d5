"""One module per ``pipeline`` command; shared helpers for loading the project."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..script import Project, load_project


def project_root(args: argparse.Namespace) -> Path:
    """The content folder named by ``--project``, checked to exist."""
    root = Path(args.project)
    if not (root / "scripts_src").is_dir():
        raise UsageError(
            f"{root}: not a content folder (no scripts_src/ inside); use --project DIR"
        )
    return root


def load(args: argparse.Namespace) -> Project:
    """Load and validate the project named by ``--project``."""
    return load_project(project_root(args))
