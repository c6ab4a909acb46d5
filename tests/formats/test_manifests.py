"""``manifest.json``: what a build's writer saves is what verify and bundle read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.formats.manifests import MANIFEST_NAME, ManifestWriter, read_manifest
from pipeline.fsutil import sha256_file

PROFILE = {"name": "player", "codec": "mp3", "bitrate_kbps": 32, "sample_rate": 22050, "channels": 1,
           "loudness_lufs": -16.0, "true_peak_dbtp": -1.5, "filters": ["highpass"]}  # fmt: skip


def test_what_the_writer_saves_the_reader_reads(tmp_path: Path) -> None:
    (tmp_path / "01-opening.mp3").write_bytes(b"audio bytes")
    (tmp_path / "01-opening.lrc").write_bytes(b"[00:00.00]Hello")
    writer = ManifestWriter.load(tmp_path)
    writer.describe("radio-reach", "ko", "라디오가 닿는 곳", PROFILE)
    writer.record("01-opening.mp3", kind="segment", duration=12.5, title="여는 말", segment="opening", input_hash="x")
    writer.record("01-opening.lrc", kind="lyrics", **{"for": "01-opening.mp3"})
    writer.save()

    manifest = read_manifest(tmp_path / MANIFEST_NAME)
    assert (manifest.episode, manifest.language, manifest.title) == ("radio-reach", "ko", "라디오가 닿는 곳")
    assert (manifest.profile.name, manifest.profile.bitrate_kbps, manifest.profile.sample_rate) == ("player", 32, 22050)
    segment = manifest.files["01-opening.mp3"]
    assert (segment.kind, segment.duration, segment.title, segment.segment) == ("segment", 12.5, "여는 말", "opening")
    assert (segment.bytes, segment.sha256) == (11, sha256_file(tmp_path / "01-opening.mp3"))
    assert manifest.files["01-opening.lrc"].lyrics_for == "01-opening.mp3"


def test_a_file_changed_on_disk_is_not_current(tmp_path: Path) -> None:
    audio = tmp_path / "01-opening.mp3"
    audio.write_bytes(b"audio bytes")
    writer = ManifestWriter.load(tmp_path)
    writer.record("01-opening.mp3", kind="segment", input_hash="inputs")
    assert writer.is_current("01-opening.mp3", "inputs")
    assert not writer.is_current("01-opening.mp3", "other inputs")
    audio.write_bytes(b"audio bytez")  # same size, other content
    assert not writer.is_current("01-opening.mp3", "inputs")


def test_a_kept_file_gone_resized_linked_or_made_a_folder_is_not_current(tmp_path: Path) -> None:
    audio = tmp_path / "01-opening.mp3"
    audio.write_bytes(b"audio bytes")
    writer = ManifestWriter.load(tmp_path)
    writer.record("01-opening.mp3", kind="segment", input_hash="inputs")
    kept = tmp_path / "kept.mp3"
    audio.rename(kept)
    assert not writer.is_current("01-opening.mp3", "inputs")  # gone
    audio.symlink_to(kept)  # the same bytes, through a link
    assert not writer.is_current("01-opening.mp3", "inputs")
    audio.unlink()
    audio.write_bytes(b"audio bytes, longer")
    assert not writer.is_current("01-opening.mp3", "inputs")
    audio.unlink()
    audio.mkdir()
    assert not writer.is_current("01-opening.mp3", "inputs")
    audio.rmdir()
    kept.rename(audio)
    assert writer.is_current("01-opening.mp3", "inputs")


def test_files_no_longer_produced_are_forgotten_and_deleted(tmp_path: Path) -> None:
    for name in ("a.mp3", "b.mp3"):
        (tmp_path / name).write_bytes(b"x")
    writer = ManifestWriter.load(tmp_path)
    writer.record("a.mp3", kind="segment")
    writer.record("b.mp3", kind="segment")
    assert writer.keep_only({"a.mp3"}) == ["b.mp3"]
    assert not (tmp_path / "b.mp3").exists() and set(writer.files) == {"a.mp3"}


def test_an_unreadable_manifest_starts_empty_for_the_writer_and_is_an_error_for_the_reader(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{ not json", encoding="utf-8")
    assert ManifestWriter.load(tmp_path).files == {}
    with pytest.raises(OutputError, match="not a valid JSON manifest"):
        read_manifest(tmp_path / MANIFEST_NAME)


def test_a_manifest_holding_what_its_file_holds_is_not_formatted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "01-opening.mp3").write_bytes(b"audio bytes")
    first = ManifestWriter.load(tmp_path)
    first.describe("radio-reach", "ko", "Radio", PROFILE)
    first.record("01-opening.mp3", kind="segment", duration=12.5, input_hash="x")
    first.save()
    saved = (tmp_path / MANIFEST_NAME).read_bytes()

    again = ManifestWriter.load(tmp_path)
    again.describe("radio-reach", "ko", "Radio", PROFILE)
    again.record("01-opening.mp3", kind="segment", duration=12.5, input_hash="x")
    with monkeypatch.context() as patched:
        patched.setattr("pipeline.formats.manifests.json.dumps", lambda *a, **k: pytest.fail("formatted again"))
        again.save()

    again.record("01-opening.mp3", kind="segment", duration=13.0, input_hash="y")
    again.save()
    assert read_manifest(tmp_path / MANIFEST_NAME).files["01-opening.mp3"].duration == 13.0
    assert (tmp_path / MANIFEST_NAME).read_bytes() != saved


def test_a_folder_is_unfinished_until_marked_complete_and_keeps_its_sources(tmp_path: Path) -> None:
    writer = ManifestWriter.load(tmp_path)
    build = {"script": "scripts_src/episodes/radio-reach.yaml", "date": "2025-07-07", "left_out": ["story"],
             "sources": {"scripts_src/episodes/radio-reach.yaml": "ab12", "locales/ko/lexicon.yaml": None}}  # fmt: skip
    writer.describe("radio-reach", "ko", "라디오가 닿는 곳", PROFILE, build)
    writer.save()
    unfinished = read_manifest(tmp_path / MANIFEST_NAME)
    assert not unfinished.complete
    assert unfinished.sources == build["sources"] and unfinished.script == build["script"]
    assert (unfinished.date, unfinished.left_out) == ("2025-07-07", ("story",))
    writer.mark_complete()
    writer.save()
    assert read_manifest(tmp_path / MANIFEST_NAME).complete
    writer.describe("radio-reach", "ko", "라디오가 닿는 곳", PROFILE, build)  # a new build starts on it
    writer.save()
    assert not read_manifest(tmp_path / MANIFEST_NAME).complete


def test_a_manifest_from_before_sources_were_recorded_reads_as_unfinished(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text('{"episode": "e", "language": "ko", "title": "t", "profile": '
                                          + json.dumps(PROFILE) + ', "files": {}}', encoding="utf-8")  # fmt: skip
    old = read_manifest(tmp_path / MANIFEST_NAME)
    assert (old.complete, old.sources, old.script) == (False, None, "")
