"""Cards from real builds: only ready folders, written in playback order, images checked by
dosfstools and mtools, and a capacity plan that matches the bytes a real FAT32 image uses."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.delivery import fatimage
from tests.conftest import DATA

MTOOLS = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("cards") / "mini"
    shutil.copytree(DATA / "mini", project, ignore=shutil.ignore_patterns("output", ".cache"))
    run("build", "--project", str(project), "--jobs", "2")
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of the built project, to spoil."""
    copy = tmp_path / "mini"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def run(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True)
    assert result.returncode == expect, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def bundle(project: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    return run("bundle", "--project", str(project), *args, expect=expect)


def mdir(image: Path, folder: str = "") -> list[str]:
    """Names in one folder of an image, in directory-entry order, as mtools lists them."""
    prefix = f"::/{folder}/".replace("//", "/")
    listing = subprocess.run(["mdir", "-b", "-i", str(image), prefix], capture_output=True, text=True, env=MTOOLS)
    names = [line.removeprefix(prefix) for line in listing.stdout.splitlines() if line.startswith(prefix)]
    return [name for name in names if "/" not in name.rstrip("/")]


def digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def test_an_interrupted_build_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "mini"
    shutil.copytree(DATA / "mini", project, ignore=shutil.ignore_patterns("output", ".cache"))
    command = [sys.executable, "-m", "pipeline", "build", "--project", str(project), "--jobs", "1"]
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((project / "output" / "mini").glob("*/0*.mp3")) and time.monotonic() < deadline:
        time.sleep(0.05)
    build.send_signal(signal.SIGKILL)
    build.wait()
    result = bundle(project, "--card", "8GB", "--out", str(tmp_path / "card"), expect=1)
    unfinished = r"output/mini/(ko|en): not ready: its build did not finish \(interrupted or failed\)"
    assert re.search(unfinished, result.stderr)
    assert result.stderr.strip().endswith("nothing written (--skip-unready leaves such folders out)")
    assert not (tmp_path / "card").exists()


def test_retracted_stale_and_half_built_folders_are_refused_one_line_each(project: Path, tmp_path: Path) -> None:
    (project / "scripts_src" / "episodes" / "mini.yaml").unlink()
    result = bundle(project, "--card", "8GB", "--out", str(tmp_path / "card"), expect=1)
    lines = result.stderr.splitlines()
    assert len(lines) == 3  # ko, en, and the hint
    assert all("retracted: its script scripts_src/episodes/mini.yaml no longer exists" in line for line in lines[:2])
    assert not (tmp_path / "card").exists()


def test_a_folder_older_than_its_catalog_is_refused_until_rebuilt(project: Path, tmp_path: Path) -> None:
    catalog = project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\n# a translator's note\n", encoding="utf-8")
    result = bundle(project, "--card", "8GB", "--out", str(tmp_path / "card"), expect=1)
    assert "output/mini/ko: not ready: older than its sources: locales/ko/LC_MESSAGES/mini.po (changed)" in (
        result.stderr
    )
    assert "output/mini/en" not in result.stderr  # English does not read the Korean catalog
    run("build", "--project", str(project), "--lang", "ko")  # nothing to make: records the new fingerprint
    bundle(project, "--card", "8GB", "--out", str(tmp_path / "card"))


def test_skip_unready_leaves_a_half_built_folder_out_and_says_so(project: Path, tmp_path: Path) -> None:
    (project / "output" / "mini" / "en" / "02-radio-reach.mp3").unlink()
    card = tmp_path / "card"
    bundle(project, "--card", "8GB", "--out", str(card), expect=1)
    result = bundle(project, "--card", "8GB", "--out", str(card), "--skip-unready")
    assert "not ready, left out: " in result.stdout and "1 of its files are missing" in result.stdout
    assert sorted(p.name for p in card.iterdir()) == ["LISTEN.txt", "ko", "ko.m3u", "ko.m3u8"]
    listen = (card / "LISTEN.txt").read_text(encoding="utf-8-sig")
    notes = listen.split("For the operator (not for listeners)")[1]
    assert "en/mini: 1 of its files are missing or cut short: 02-radio-reach.mp3" in notes


def test_an_image_holds_every_file_in_playback_order_and_passes_fsck(built: Path, tmp_path: Path) -> None:
    image = tmp_path / "card.img"
    result = bundle(built, "--card", "1GB", "--image", str(image))
    assert "(the image's own file system)" in result.stdout
    assert image.stat().st_blocks * 512 < 10 * 2**20  # sparse: a few MB of a 1 GB file
    assert mdir(image)[:2] == ["ko/", "en/"]  # Korean first (station.yaml card order)
    assert mdir(image)[-1] == "LISTEN.txt"
    assert mdir(image, "ko/mini") == [
        "01-opening.mp3", "01-opening.lrc", "02-radio-reach.mp3", "02-radio-reach.lrc",
        "03-closing.mp3", "03-closing.lrc", "transcript.txt", "playlist.m3u8", "playlist.m3u",
    ]  # fmt: skip
    fsck = subprocess.run([shutil.which("fsck.fat") or "/usr/sbin/fsck.fat", "-n", str(image)], capture_output=True)
    assert fsck.returncode == 0, fsck.stdout
    assert "clean" in run("verify", str(image)).stdout
    again = tmp_path / "again.img"
    bundle(built, "--card", "1GB", "--image", str(again))
    assert digest(again) == digest(image)  # reproducible


def test_the_capacity_plan_matches_the_bytes_a_real_image_uses(project: Path, tmp_path: Path) -> None:
    built = project / "output"
    for number in range(2, 21):  # twenty episodes of this content, so the card's fixed files weigh little
        copy = built / f"mini-{number:02d}"
        shutil.copytree(built / "mini", copy)
        for manifest in copy.glob("*/manifest.json"):
            text = manifest.read_text(encoding="utf-8")
            manifest.write_text(text.replace('"episode": "mini"', f'"episode": "{copy.name}"'), encoding="utf-8")
    image = tmp_path / "card.img"
    plan = bundle(project, "--card", "2GB", "--image", str(image)).stdout
    usable = int(re.search(r"usable: +([\d,]+) bytes", plan)[1].replace(",", ""))
    planned = int(re.search(r"on the card: +([\d,]+) bytes", plan)[1].replace(",", ""))
    hours = float(re.search(r"about ([\d,.]+) hours", plan)[1].replace(",", ""))
    listing = subprocess.run(["mdir", "-i", str(image), "::/"], capture_output=True, text=True, env=MTOOLS).stdout
    free = int(re.search(r"([\d ]+) bytes free", listing)[1].replace(" ", ""))
    used = usable - free  # what the files and folders took, in whole clusters, as mtools counts it
    assert fatimage.geometry(image).free_bytes == free
    assert abs(planned - used) <= 0.05 * used, (planned, used)
    seconds = sum(
        entry["duration"]
        for manifest in built.glob("*/*/manifest.json")
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"].values()
        if entry["kind"] == "segment"
    )
    real_hours = usable / (used / seconds * 3600)  # this content, repeated until the card is full
    assert abs(hours - real_hours) <= 0.05 * real_hours, (hours, real_hours)


def test_verify_finds_files_written_out_of_order_in_an_image(built: Path, tmp_path: Path) -> None:
    card = tmp_path / "card"
    bundle(built, "--card", "8GB", "--out", str(card))
    image = tmp_path / "shuffled.img"
    fatimage.make_image(image, 64 * 10**6, 512)
    names = ["ko/mini/03-closing.mp3", "ko/mini/01-opening.mp3", "ko/mini/02-radio-reach.mp3"]
    fatimage.copy_in_order(image, card, names)  # as a recursive copy may write them
    result = run("verify", str(image), expect=1)
    assert f"{image}/ko/mini: files are written in the order 03-closing.mp3, 01-opening.mp3" in result.stdout
    assert f"{image}: no LISTEN.txt: the card was not written to the end" in result.stdout


def test_a_build_made_elsewhere_is_bundled_with_from(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    run("build", "--project", str(project), "--lang", "en", "--out", str(elsewhere))
    zipped = tmp_path / "card.zip"
    bundle(project, "--from", str(elsewhere), "--card", "8GB", "--zip", "--out", str(zipped))
    with zipfile.ZipFile(zipped) as archive:
        assert archive.namelist()[:3] == ["en/", "en/mini/", "en/mini/01-opening.mp3"]
    bundle(project, "--from", str(elsewhere), "--card", "8GB", "--zip", "--out", str(zipped))  # replaces its own
    other = tmp_path / "notes.zip"
    other.write_bytes(b"not a card")
    result = bundle(project, "--from", str(elsewhere), "--card", "8GB", "--zip", "--out", str(other), expect=2)
    assert "is not a card zip written by 'pipeline bundle': not overwritten" in result.stderr
    assert other.read_bytes() == b"not a card"
