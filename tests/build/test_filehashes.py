"""The memo of built files' hashes: trusted only while size and modification time are unchanged."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from pipeline.build import filehashes
from pipeline.build.filehashes import FileHashes


def age(path: Path, seconds: float = 3600) -> None:
    """Set the file's modification time ``seconds`` into the past."""
    moment = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(moment, moment))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the memo reads to hash."""
    seen: list[Path] = []
    real = filehashes.sha256_file

    def counting(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(filehashes, "sha256_file", counting)
    return seen


def test_a_settled_unchanged_file_is_not_read_again_even_after_a_reload(tmp_path: Path, reads: list[Path]) -> None:
    file = tmp_path / "a.mp3"
    file.write_bytes(b"frames")
    age(file)
    memo = FileHashes.load(tmp_path / "memo.json")
    assert memo.sha256(file) == hashlib.sha256(b"frames").hexdigest()
    memo.save()
    again = FileHashes.load(tmp_path / "memo.json")
    assert again.sha256(file) == hashlib.sha256(b"frames").hexdigest()
    assert reads == [file]


def test_a_change_of_content_at_the_same_size_is_seen_through_the_new_mtime(tmp_path: Path) -> None:
    file = tmp_path / "a.mp3"
    file.write_bytes(b"frames")
    age(file, 7200)
    memo = FileHashes(tmp_path / "memo.json")
    memo.sha256(file)
    file.write_bytes(b"FRAMES")
    age(file, 3600)
    assert memo.sha256(file) == hashlib.sha256(b"FRAMES").hexdigest()


def test_a_recently_modified_file_is_always_read(tmp_path: Path, reads: list[Path]) -> None:
    file = tmp_path / "a.mp3"
    file.write_bytes(b"frames")
    memo = FileHashes()
    memo.sha256(file)
    stamp = file.stat().st_mtime_ns
    file.write_bytes(b"FRAMES")  # same size, and the same clock tick as far as the memo can tell
    os.utime(file, ns=(stamp, stamp))
    assert memo.sha256(file) == hashlib.sha256(b"FRAMES").hexdigest()
    assert len(reads) == 2


def test_an_unreadable_memo_is_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / "memo.json").write_text("{not json", encoding="utf-8")
    file = tmp_path / "a.mp3"
    file.write_bytes(b"frames")
    assert FileHashes.load(tmp_path / "memo.json").sha256(file) == hashlib.sha256(b"frames").hexdigest()


def test_save_forgets_files_that_are_gone(tmp_path: Path) -> None:
    kept, gone = tmp_path / "kept.mp3", tmp_path / "gone.mp3"
    for file in (kept, gone):
        file.write_bytes(b"frames")
        age(file)
    memo = FileHashes(tmp_path / "memo.json")
    memo.sha256(kept), memo.sha256(gone)
    gone.unlink()
    memo.save()
    assert list(FileHashes.load(tmp_path / "memo.json")._entries) == [str(kept.absolute())]


def test_a_relative_path_shares_the_memo_of_its_absolute_path(
    tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "out" / "a.mp3"
    file.parent.mkdir()
    file.write_bytes(b"frames")
    age(file)
    memo = FileHashes.load(tmp_path / "memo.json")
    memo.sha256(file)
    memo.save()
    monkeypatch.chdir(tmp_path)
    again = FileHashes.load(tmp_path / "memo.json")
    assert again.sha256(Path("out") / "a.mp3", (Path("out") / "a.mp3").stat()) == hashlib.sha256(b"frames").hexdigest()
    assert reads == [file]
    (tmp_path / "out" / "a.mp3").write_bytes(b"framez")  # same size, a new modification time
    assert again.sha256(Path("out") / "a.mp3") == hashlib.sha256(b"framez").hexdigest()


def test_a_remembered_hash_is_trusted_by_name_only_while_the_file_is_as_it_was(tmp_path: Path) -> None:
    file = tmp_path / "a.mp3"
    file.write_bytes(b"first")
    memo = FileHashes()
    assert memo.trusted(str(file)) is None  # never hashed
    digest = memo.sha256(file)
    assert memo.trusted(str(file)) is None  # modified a moment ago: not yet settled
    age(file)
    memo.sha256(file)
    assert memo.trusted(str(file)) == digest == hashlib.sha256(b"first").hexdigest()
    file.write_bytes(b"other")
    age(file)
    assert memo.trusted(str(file)) is None  # another size and time
    file.unlink()
    with pytest.raises(FileNotFoundError):
        memo.trusted(str(file))
