"""Which built folders may go on a card: each reason a folder is held back, from its manifest."""

from __future__ import annotations

from pathlib import Path

from pipeline.delivery.readiness import unready_reasons
from pipeline.formats.manifests import MANIFEST_NAME, ManifestWriter, read_manifest
from pipeline.project.fingerprints import Fingerprints, changed_sources
from tests.formats.test_manifests import PROFILE

SCRIPT = "scripts_src/episodes/ep.yaml"
LEXICON = "locales/ko/lexicon.yaml"


def built_folder(root: Path, complete: bool = True, left_out: tuple[str, ...] = ()) -> Path:
    (root / SCRIPT).parent.mkdir(parents=True, exist_ok=True)
    (root / SCRIPT).write_text("id: ep\n", encoding="utf-8")
    folder = root / "output" / "ep" / "ko"
    folder.mkdir(parents=True)
    (folder / "01-a.mp3").write_bytes(b"audio")
    writer = ManifestWriter.load(folder)
    build = {"script": SCRIPT, "sources": Fingerprints(root).record([SCRIPT, LEXICON]), "date": "2025-01-01"}
    if left_out:
        build["left_out"] = list(left_out)
    writer.describe("ep", "ko", "t", PROFILE, build)
    writer.record("01-a.mp3", kind="segment", duration=1.0)
    if complete:
        writer.mark_complete()
    writer.save()
    return folder


def reasons(root: Path, folder: Path) -> list[str]:
    return unready_reasons(read_manifest(folder / MANIFEST_NAME), Fingerprints(root))


def test_a_finished_current_folder_is_ready(tmp_path: Path) -> None:
    assert reasons(tmp_path, built_folder(tmp_path)) == []


def test_each_reason_to_hold_a_folder_back(tmp_path: Path) -> None:
    folder = built_folder(tmp_path, complete=False, left_out=("story",))
    (folder / "01-a.mp3").write_bytes(b"aud")  # cut short
    (tmp_path / LEXICON).parent.mkdir(parents=True)
    (tmp_path / LEXICON).write_text("UN: 유엔\n", encoding="utf-8")  # a lexicon that appeared since
    assert reasons(tmp_path, folder) == [
        "its build did not finish (interrupted or failed): build it again",
        "1 of its files are missing or cut short: 01-a.mp3",
        "built without 1 untranslated segments (--allow-incomplete): story",
        "older than its sources: locales/ko/lexicon.yaml (added) since it was built: build it again",
    ]
    (tmp_path / SCRIPT).unlink()
    assert reasons(tmp_path, folder)[-1] == f"retracted: its script {SCRIPT} no longer exists"


def test_a_language_the_script_no_longer_names_is_retracted(tmp_path: Path) -> None:
    folder = built_folder(tmp_path)  # built in ko
    (tmp_path / SCRIPT).write_text("id: ep\nlanguages: [en, ko]\n", encoding="utf-8")
    assert reasons(tmp_path, folder) == [
        f"older than its sources: {SCRIPT} (changed) since it was built: build it again"
    ]
    (tmp_path / SCRIPT).write_text("id: ep\nlanguages: [en]\n", encoding="utf-8")
    assert reasons(tmp_path, folder) == [f"retracted: its script {SCRIPT} now makes it only in en"]
    (tmp_path / SCRIPT).write_text("id: ep\nlanguages: [en\n", encoding="utf-8")  # unreadable: the change shows
    assert reasons(tmp_path, folder) == [
        f"older than its sources: {SCRIPT} (changed) since it was built: build it again"
    ]


def test_changed_sources_say_how_each_changed(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("1", encoding="utf-8")
    (tmp_path / "b").write_text("2", encoding="utf-8")
    recorded = Fingerprints(tmp_path).record(["a", "b", "c"])
    (tmp_path / "a").write_text("changed", encoding="utf-8")
    (tmp_path / "b").unlink()
    (tmp_path / "c").write_text("new", encoding="utf-8")
    assert changed_sources(Fingerprints(tmp_path), recorded) == ["a (changed)", "b (removed)", "c (added)"]


def test_a_folder_built_before_sources_were_recorded_is_held_back_once(tmp_path: Path) -> None:
    folder = tmp_path / "output" / "ep" / "ko"
    folder.mkdir(parents=True)
    writer = ManifestWriter.load(folder)
    writer.describe("ep", "ko", "t", PROFILE)
    writer.save()
    assert reasons(tmp_path, folder) == ["built before builds recorded their sources and completion: build it again"]
