"""Atomic writes: flushed to disk unless told otherwise, nothing left behind when a write or rename
fails or a stop signal interrupts it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pipeline import fsutil
from pipeline.build.interrupt import Interrupted, stop_on_signals
from tests.interrupts import signal_when_staged


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


@pytest.mark.parametrize("write", [fsutil.stage_bytes, fsutil.atomic_write_bytes], ids=["staged", "atomic"])
def test_a_signal_as_the_temporary_file_is_made_leaves_nothing(tmp_path: Path, monkeypatch, write) -> None:
    sent = signal_when_staged(monkeypatch, signal.SIGTERM)
    with pytest.raises(Interrupted), stop_on_signals():
        write(tmp_path / "page.html", b"whole")
    assert len(sent) == 1  # the file was made before the signal was handled
    assert list(tmp_path.iterdir()) == []


def test_a_signal_as_the_write_is_flushed_leaves_the_old_file_alone(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "page.html"
    target.write_bytes(b"old")
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda descriptor: real_fsync(descriptor) or os.kill(os.getpid(), signal.SIGTERM))
    with pytest.raises(Interrupted), stop_on_signals():
        fsutil.atomic_write_bytes(target, b"new")
    assert [(path.name, path.read_bytes()) for path in tmp_path.iterdir()] == [("page.html", b"old")]


def test_the_sweep_removes_temporary_files_with_and_without_an_extension_and_nothing_else(tmp_path: Path) -> None:
    kept = ["01-opening.mp3", ".hidden", "notes.part", ".partial.wav", ".thing.parts", "a.part.wav"]
    swept = [".01-opening.mp3.1a2b3c4d.part", ".utterance-12-ab.part.wav", ".manifest.json.ff.part"]
    (tmp_path / "sub").mkdir()
    (tmp_path / ".folder.part").mkdir()  # a folder is never removed as if it were a file
    for name in kept + swept:
        (tmp_path / "sub" / name).write_bytes(b"x")
    assert fsutil.remove_partials(tmp_path) == len(swept)
    assert sorted(path.name for path in (tmp_path / "sub").iterdir()) == sorted(kept)
    assert (tmp_path / ".folder.part").is_dir()
