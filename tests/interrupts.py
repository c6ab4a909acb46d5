"""A stop signal at an exact moment: the moment a staged (``.part``) file has been created."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.fsutil import PARTIAL_SUFFIX


def signal_when_staged(
    monkeypatch: pytest.MonkeyPatch, signum: int, wanted: Callable[[Path], bool] = lambda path: True
) -> list[Path]:
    """Send ``signum`` to this process once, the moment ``open`` has created the first staged file
    that ``wanted`` accepts: what a signal that arrives during that call does, as its handler
    runs (and raises) when the call returns. Returns the file it was sent for, once sent."""
    real_open = os.open
    sent: list[Path] = []

    def open_then_signal(
        path: str | os.PathLike[str], flags: int, mode: int = 0o777, *, dir_fd: int | None = None
    ) -> int:
        descriptor = real_open(path, flags, mode, dir_fd=dir_fd)
        staged = Path(os.fsdecode(path))
        if not sent and staged.name.endswith(PARTIAL_SUFFIX) and wanted(staged):
            sent.append(staged)
            os.kill(os.getpid(), signum)
        return descriptor

    monkeypatch.setattr(os, "open", open_then_signal)
    return sent
