"""The build's timeline: nothing without PIPELINE_TIMELINE; every process's phases with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.build import timeline


def test_nothing_is_written_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(timeline.VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    timeline.mark("planned", jobs=3)
    assert not timeline.enabled()
    assert list(tmp_path.iterdir()) == []


def test_a_cold_build_records_main_and_worker_phases(
    mini_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    events_file = tmp_path / "timeline.jsonl"
    monkeypatch.setenv(timeline.VARIABLE, str(events_file))
    try:
        result = cli("build", "--project", str(mini_project), "--jobs", "2")
    finally:
        timeline.close()
    assert result.code == 0, result.err
    events = [json.loads(line) for line in events_file.read_text(encoding="utf-8").splitlines()]
    main = {e["event"] for e in events if e["pid"] == events[0]["pid"]}
    assert {"main", "loaded", "rendered", "planned", "pool started", "submitted", "assembled", "reported"} <= main
    workers = {e["pid"] for e in events if e["event"] == "worker ready"}
    assert workers and events[0]["pid"] not in workers
    started = [e for e in events if e["event"] == "job started"]
    finished = [e for e in events if e["event"] == "job finished"]
    assert started and {e["file"] for e in started} == {e["file"] for e in finished}
    assert {e["pid"] for e in finished} <= workers
    assert all(isinstance(e["t"], float) and e["cpu"] >= 0 for e in events)
