"""The build's timeline: nothing without PIPELINE_TIMELINE; every process's phases with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.build import timeline, worker_server


def test_nothing_is_written_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(timeline.VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    timeline.mark("planned", jobs=3)
    assert not timeline.enabled()
    assert list(tmp_path.iterdir()) == []


def timed_build(project: Path, events_file: Path, monkeypatch: pytest.MonkeyPatch, cli) -> list[dict]:
    """``pipeline build --jobs 1`` with the timeline on: its events."""
    monkeypatch.setenv(timeline.VARIABLE, str(events_file))
    try:
        result = cli("build", "--project", str(project), "--jobs", "1")
    finally:
        timeline.close()
        monkeypatch.delenv(timeline.VARIABLE)
    assert result.code == 0, result.err
    return [json.loads(line) for line in events_file.read_text(encoding="utf-8").splitlines()]


def main_process_events(events: list[dict]) -> list[str]:
    """The names of the events the build's own process recorded (it records the first), in order."""
    return [event["event"] for event in events if event["pid"] == events[0]["pid"]]


def test_a_cold_build_records_main_and_worker_phases(
    mini_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    events = timed_build(mini_project, tmp_path / "timeline.jsonl", monkeypatch, cli)
    main_pid = events[0]["pid"]
    main = main_process_events(events)
    assert {"main", "loaded", "rendered", "planned", "pool started", "submitted", "assembled", "reported"} <= set(main)
    # a cold build starts its workers before it renders: their start overlaps rendering and planning
    assert main.index("pool started") < main.index("rendered")
    # the report's coverage and the review pages' check findings are worked out while the jobs
    # run, after they are submitted and before any is recorded
    assert main.index("submitted") < main.index("meanwhile") < main.index("job recorded")
    workers = {e["pid"] for e in events if e["event"] == "worker ready"}
    assert len(workers) == 1 and main_pid not in workers
    if worker_server.supported():  # the worker server preloads once, before it forks the worker
        server = next(e["server"] for e in events if e["event"] == "server spawned")
        in_server = [e["event"] for e in events if e["pid"] == server]
        assert in_server == ["server started", "server ready"] and server not in workers
        ready = next(e["t"] for e in events if e["event"] == "server ready")
        assert all(e["t"] >= ready for e in events if e["event"] == "worker started")
    started = [e for e in events if e["event"] == "job started"]
    finished = [e for e in events if e["event"] == "job finished"]
    assert started and {e["file"] for e in started} == {e["file"] for e in finished}
    assert {e["pid"] for e in finished} <= workers
    assert all(isinstance(e["t"], float) and e["cpu"] >= 0 for e in events)
    # each folder's longest job (the story, second in the script) is handed out first
    for lang in ("ko", "en"):
        in_folder = [e["file"] for e in started if e["file"].startswith(f"mini/{lang}/")]
        assert in_folder[0] == f"mini/{lang}/02-radio-reach.mp3", in_folder


def test_a_build_with_nothing_to_make_starts_no_worker(
    mini_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    timed_build(mini_project, tmp_path / "cold.jsonl", monkeypatch, cli)
    names = {e["event"] for e in timed_build(mini_project, tmp_path / "again.jsonl", monkeypatch, cli)}
    assert "planned" in names and not names & {"pool started", "server spawned", "worker spawned", "worker ready"}
