"""Ingest then build: a saved article becomes English audio with no hand editing."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO
from tests.ingest.helpers import INGEST_DATA


def test_ingested_draft_builds_into_english_audio(tmp_path: Path, cli) -> None:
    project = tmp_path / "project"
    (project / "scripts_src" / "episodes").mkdir(parents=True)
    for name in ("station.yaml", "ingest.yaml"):
        shutil.copy(REPO / "scripts_src" / name, project / "scripts_src" / name)
    shutil.copytree(REPO / "scripts_src" / "templates", project / "scripts_src" / "templates")
    drafts = project / "scripts_src" / "drafts"

    ingested = cli(
        "ingest", str(INGEST_DATA / "004_9fbb84ea6802f53d.txt"), "--out", str(drafts), "--project", str(project)
    )
    assert ingested.code == 0, ingested.err
    (draft,) = sorted(drafts.glob("*.yaml"))

    built = cli("build", str(draft), "--lang", "en", "--project", str(project))
    assert built.code == 0, built.err
    (folder,) = (project / "output").glob("*/en")
    segments = sorted(folder.glob("0*.mp3"))
    assert len(segments) >= 2
    assert (folder / f"{folder.parent.name}.mp3").exists()
    transcript = (folder / "transcript.txt").read_text(encoding="utf-8")
    assert "balloons" in transcript
    assert cli("verify", str(project / "output")).code == 0
