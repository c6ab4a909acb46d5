"""Atomic writes: flushed to disk unless told otherwise, nothing left behind when a write or rename fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline import fsutil


@pytest.fixture
def flushes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The descriptors os.fsync is called with."""
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda descriptor: calls.append(descriptor) or real(descriptor))
    return calls


def test_an_atomic_write_is_flushed_to_disk_before_it_is_put_in_place(tmp_path: Path, flushes: list[int]) -> None:
    target = tmp_path / "out" / "file.txt"
    fsutil.atomic_write_text(target, "whole\n")
    assert target.read_text(encoding="utf-8") == "whole\n" and len(flushes) == 1
    assert [path.name for path in target.parent.iterdir()] == ["file.txt"]


def test_a_write_that_need_not_survive_a_power_cut_is_not_flushed(tmp_path: Path, flushes: list[int]) -> None:
    target = tmp_path / "record.json"
    target.write_text("old", encoding="utf-8")
    fsutil.atomic_write_text(target, "new\n", durable=False)
    assert target.read_text(encoding="utf-8") == "new\n" and flushes == []
    assert [path.name for path in tmp_path.iterdir()] == ["record.json"]


def test_a_staged_file_that_cannot_be_put_in_place_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    (target / "inside").mkdir(parents=True)  # a folder that is not empty: the rename is refused
    staged = fsutil.stage_bytes(target, b"data")
    with pytest.raises(OSError):
        fsutil.commit_staged(staged, target)
    assert not staged.exists() and sorted(path.name for path in tmp_path.iterdir()) == ["taken"]
