"""``pipeline bundle``: card layout, capacity plan, refusal, verification and reproducible zips."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.audio.mp3frames import concat, probe
from pipeline.cli import main
from pipeline.delivery.bundle import parse_card_size, usable_bytes
from pipeline.delivery.fatimage import SD_CLUSTER_BYTES as CLUSTER_BYTES
from pipeline.errors import UsageError
from pipeline.project.fingerprints import Fingerprints
from tests.audio_fixtures import file_entry

REPO = Path(__file__).parent.parent.parent


@pytest.fixture
def project(tmp_path: Path, good_output: Path) -> Path:
    """A content folder with the shipped station.yaml and a copy of the good output."""
    root = tmp_path / "project"
    (root / "scripts_src").mkdir(parents=True)
    shutil.copy(REPO / "scripts_src" / "station.yaml", root / "scripts_src" / "station.yaml")
    shutil.copytree(good_output, root / "output")
    mark_ready(root)
    return root


SCRIPT = "scripts_src/episodes/radio-reach.yaml"


def mark_ready(root: Path, date: str = "2025-07-07") -> None:
    """Give the hand-made output what a finished build records: its script and sources, complete."""
    (root / SCRIPT).parent.mkdir(parents=True, exist_ok=True)
    (root / SCRIPT).write_text("id: radio-reach\n", encoding="utf-8")
    for path in (root / "output").rglob("manifest.json"):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        sources = Fingerprints(root).record([SCRIPT, "scripts_src/station.yaml"])
        manifest.update(complete=True, script=SCRIPT, sources=sources, date=date)
        path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")


def bundle(project: Path, *args: str) -> int:
    return main(["bundle", "--project", str(project), *args])


def add_long_episode(project: Path, copies: int) -> Path:
    """A second built episode whose one segment is ``copies`` joined copies of another."""
    source = project / "output" / "radio-reach" / "ko"
    folder = project / "output" / "long-night" / "ko"
    folder.mkdir(parents=True)
    segment = source / "02-story.mp3"
    frames = probe(segment.read_bytes())
    (folder / "01-night.mp3").write_bytes(concat([segment.read_bytes()] * copies))
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["episode"] = "long-night"
    manifest["files"] = {
        "01-night.mp3": file_entry(
            folder / "01-night.mp3",
            kind="segment",
            segment="night",
            title="긴 밤",
            duration=frames.duration_seconds * copies,
        )
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder


def test_card_sizes() -> None:
    assert parse_card_size("8GB") == 8_000_000_000
    assert parse_card_size("512MB") == 512_000_000
    assert parse_card_size("32GiB") == 32 * 2**30
    assert parse_card_size("1.5 gb") == 1_500_000_000
    for bad in ("8XB", "8", "GB", "1MB"):
        with pytest.raises(UsageError):
            parse_card_size(bad)
    usable = usable_bytes(8_000_000_000)
    assert usable % CLUSTER_BYTES == 0
    assert 7_800_000_000 < usable < 7_920_000_000


def test_bundle_lays_out_a_verified_card(project: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "card"
    assert bundle(project, "--card", "8GB", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "did not fit:  nothing" in printed
    assert f"verify {out}: checked 3 audio, 3 lyrics, 4 playlist, 0 manifest files: clean" in printed
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    episode = [f"ko/radio-reach/{n}" for n in ("01-opening", "02-story", "03-closing")]
    assert files == sorted(
        [
            "LISTEN.txt",
            "ko.m3u",
            "ko.m3u8",
            *(f"{stem}.{ext}" for stem in episode for ext in ("lrc", "mp3")),
            "ko/radio-reach/playlist.m3u",
            "ko/radio-reach/playlist.m3u8",
            "ko/radio-reach/transcript.txt",
        ]
    )
    source = project / "output" / "radio-reach" / "ko" / "01-opening.mp3"
    assert (out / "ko/radio-reach/01-opening.mp3").read_bytes() == source.read_bytes()
    assert (out / "ko.m3u8").read_text(encoding="utf-8").splitlines()[1:3] == [
        "#EXTINF:5,여는 말",
        "ko/radio-reach/01-opening.mp3",
    ]
    assert {p.stat().st_mtime for p in out.rglob("*")} == {315_532_800}
    assert main(["verify", str(out)]) == 0


def test_listen_file_explains_in_korean_and_english_without_identifying(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "card"
    assert bundle(project, "--card", "8GB", "--out", str(out)) == 0
    data = (out / "LISTEN.txt").read_bytes()
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "이 카드를 듣는 방법" in text and "How to listen" in text
    assert "ko/radio-reach/  한국어: 라디오가 닿는 곳" in text
    assert not re.search(r"\b(19|20)\d\d\b", text)  # no dates
    for word in ("Open Window", "espeak", "ffmpeg", "pipeline", "LAME", str(tmp_path)):
        assert word.lower() not in text.lower()


def test_bundle_that_does_not_fit_is_refused_with_the_plan(project: Path, tmp_path: Path, capsys) -> None:
    add_long_episode(project, copies=700)  # about 15 MB, a 16 MB card holds about 11.6 MB
    out = tmp_path / "card"
    assert bundle(project, "--card", "16MB", "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert "  fits:         1 of 2 episode folders (ko)" in captured.out
    assert re.search(r"did not fit:  ko/long-night \([\d,]+ bytes\)", captured.out)
    assert re.search(r"more than the card holds", captured.out)
    assert re.fullmatch(
        r"the selection needs [\d,]+ bytes, [\d,]+ more than a 16MB card holds: nothing written\n",
        captured.err,
    )
    assert not out.exists()
    assert not any(tmp_path.glob(".card*"))


def test_unknown_selection_and_unsafe_destination_are_usage_errors(project: Path, tmp_path: Path, capsys) -> None:
    assert bundle(project, "--card", "8GB", "--lang", "ja", "--out", str(tmp_path / "c")) == 2
    assert "no language 'ja' built with profile 'player' (built: ko)" in capsys.readouterr().err
    assert bundle(project, "--card", "8GB", "--profile", "radio", "--out", str(tmp_path / "c")) == 1
    assert "nothing built with profile 'radio' (profiles found: player)" in capsys.readouterr().err
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("x", encoding="utf-8")
    assert bundle(project, "--card", "8GB", "--out", str(full)) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert bundle(project, "--card", "huge", "--out", str(tmp_path / "c")) == 2


def test_a_card_that_fails_verification_is_not_written(project: Path, tmp_path: Path, capsys) -> None:
    segment = project / "output" / "radio-reach" / "ko" / "02-story.mp3"
    data = segment.read_bytes()
    segment.write_bytes(data[:-400] + bytes(400))  # same size: damage only verification finds
    out = tmp_path / "card"
    assert bundle(project, "--card", "8GB", "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert f"{out}/ko/radio-reach/02-story.mp3: sha256 differs from the manifest" in captured.out
    assert "the card failed verification" in captured.err and "what was written was removed" in captured.err
    assert not out.exists()
    mounted = tmp_path / "mounted"  # an existing, empty folder (as a mounted card is) stays, empty
    mounted.mkdir()
    assert bundle(project, "--card", "8GB", "--out", str(mounted)) == 1
    assert mounted.is_dir() and not any(mounted.iterdir())


def test_zip_is_byte_reproducible(project: Path, tmp_path: Path, monkeypatch) -> None:
    first = tmp_path / "one" / "card.zip"
    first.parent.mkdir()
    assert bundle(project, "--card", "8GB", "--zip", "--out", str(first)) == 0

    # Another day, another time zone, another folder, source files touched since.
    for path in (project / "output").rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    monkeypatch.setenv("TZ", "Asia/Seoul")
    time.tzset()
    second = tmp_path / "two" / "other"
    second.parent.mkdir()
    assert bundle(project, "--card", "8GB", "--zip", "--out", str(second)) == 0
    second = second.with_name("other.zip")

    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second)]
    assert digest[0] == digest[1]
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names[:4] == ["ko/", "ko/radio-reach/", "ko/radio-reach/01-opening.mp3", "ko/radio-reach/01-opening.lrc"]
        assert names[-1] == "LISTEN.txt"  # written last, as on a card
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.testzip() is None

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    third = tmp_path / "three.zip"
    assert bundle(project, "--card", "8GB", "--zip", "--out", str(third)) == 0
    with zipfile.ZipFile(third) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    monkeypatch.delenv("TZ")
    time.tzset()


def test_card_order_is_newest_first_korean_first_unless_told(project: Path) -> None:
    from dataclasses import replace

    from pipeline.delivery.bundle import card_order
    from pipeline.formats.manifests import read_manifest
    from pipeline.project.station import CardOrder

    base = read_manifest(project / "output" / "radio-reach" / "ko" / "manifest.json")
    built = [
        replace(base, episode=episode, language=language, date=date)
        for language in ("en", "ko")
        for episode, date in (("old", "2024-01-02"), ("new", "2025-03-04"), ("also-new", "2025-03-04"))
    ]
    order = CardOrder(("ko", "en"), "newest-first")
    names = [f"{m.language}/{m.episode}" for m in card_order(built, order)]
    assert names == ["ko/also-new", "ko/new", "ko/old", "en/also-new", "en/new", "en/old"]
    oldest = [f"{m.language}/{m.episode}" for m in card_order(built, CardOrder(("en",), "oldest-first"))]
    assert oldest[:3] == ["en/old", "en/also-new", "en/new"] and oldest[3] == "ko/old"
    given = card_order(built, order, languages=("en", "ko"), episodes=("old", "new", "also-new"))
    assert [f"{m.language}/{m.episode}" for m in given][:3] == ["en/old", "en/new", "en/also-new"]


def test_a_full_card_leaves_nothing_written_and_says_so_in_one_line(
    project: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    import errno

    from pipeline.delivery import bundle as bundling

    real_write = bundling._write_new
    written: list[Path] = []

    def fill_up(target: Path, card_file, sync: bool) -> None:
        if len(written) == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real_write(target, card_file, sync)
        written.append(target)

    monkeypatch.setattr(bundling, "_write_new", fill_up)  # a card that fills up after four files
    out = tmp_path / "card"
    out.mkdir()
    assert bundle(project, "--card", "8GB", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert err == f"{out}: no space left on the device; the 6 files and folders written so far were removed\n"
    assert not any(out.iterdir())


def test_a_mounted_card_is_written_in_place_and_its_own_space_is_planned(
    project: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    card = tmp_path / "sdcard"
    card.mkdir()
    monkeypatch.setattr(os.path, "ismount", lambda path: Path(path) == card)  # this folder stands for a card
    assert bundle(project, "--out", str(card)) == 0  # no --card: the size is read from the card
    printed = capsys.readouterr().out
    stat = os.statvfs(card)
    assert f"{stat.f_frsize / 1024:g} KiB clusters (read from the mounted card {card})" in printed
    assert (card / "LISTEN.txt").is_file() and (card / "ko" / "radio-reach" / "01-opening.mp3").is_file()
    assert bundle(project, "--out", str(tmp_path / "plain")) == 2  # a folder that is not a card needs --card
    assert "--card SIZE is needed" in capsys.readouterr().err


def test_verify_finds_a_card_cut_short_before_its_listen_file(project: Path, tmp_path: Path, capsys) -> None:
    card = tmp_path / "card"
    assert bundle(project, "--card", "8GB", "--out", str(card)) == 0
    (card / "LISTEN.txt").unlink()  # as when a write is killed: LISTEN.txt comes last
    capsys.readouterr()
    assert main(["verify", str(card)]) == 1
    assert f"{card}: no LISTEN.txt: the card was not written to the end" in capsys.readouterr().out


def test_a_full_disk_under_a_zip_is_one_line_and_leaves_nothing(
    project: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    import errno

    from pipeline.delivery import bundle as bundling

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bundling, "_add_to_zip", full)
    out = tmp_path / "card.zip"
    assert bundle(project, "--card", "8GB", "--zip", "--out", str(out)) == 1
    assert capsys.readouterr().err == f"{out}: no space left on the device: nothing written\n"
    assert list(tmp_path.iterdir()) == [project]
