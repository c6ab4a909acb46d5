"""A card made from a real build: every MP3 with its lyrics, verified and reproducible."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.conftest import DATA


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("bundle") / "mini"
    shutil.copytree(DATA / "mini", project, ignore=shutil.ignore_patterns("output", ".cache"))
    assert main(["build", "--project", str(project)]) == 0
    return project


def test_card_holds_every_segment_with_its_lyrics(built: Path, tmp_path: Path, cli) -> None:
    card = tmp_path / "card"
    result = cli("bundle", "--card", "8GB", "--out", str(card), "--project", str(built))
    assert result.code == 0, result.err
    for lang in ("ko", "en"):
        folder = card / lang / "mini"
        mp3s = sorted(folder.glob("*.mp3"))
        assert [p.name for p in mp3s] == ["01-opening.mp3", "02-radio-reach.mp3", "03-closing.mp3"]
        assert all(p.with_suffix(".lrc").exists() for p in mp3s)
        assert (folder / "playlist.m3u8").exists() and (folder / "playlist.m3u").exists()
    listen = (card / "LISTEN.txt").read_text(encoding="utf-8-sig")
    assert "이 카드를 듣는 방법" in listen and "How to listen" in listen
    assert cli("verify", str(card)).code == 0


def test_zipped_cards_are_byte_identical(built: Path, tmp_path: Path, cli) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    for target in (first, second):
        assert cli("bundle", "--card", "8GB", "--zip", "--out", str(target), "--project", str(built)).code == 0
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def test_a_card_smaller_than_fat32_allows_is_a_usage_error(built: Path, tmp_path: Path, cli) -> None:
    card = tmp_path / "small"
    result = cli("bundle", "--card", "1MB", "--out", str(card), "--project", str(built))
    assert result.code == 2
    assert result.err.strip() == "card size '1MB' is too small for a FAT32 card"
    assert not card.exists()
