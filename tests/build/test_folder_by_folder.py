"""Folders planned and submitted one at a time: the first jobs start while later folders are
rendered, and an error found while planning a later one still leaves nothing made."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.build.orchestrator import BuildRequest, build
from pipeline.project.script import load_project

from .test_faults import run_pipeline
from .test_timeline import main_process_events, timed_build


def station_languages(project: Path, languages: str) -> None:
    """Rewrite the station's language list (the order folders are rendered in)."""
    station = project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    station.write_text(text.replace("languages: [ko, en]", f"languages: [{languages}]"), encoding="utf-8")


def test_the_first_folders_jobs_are_submitted_before_the_last_folder_is_rendered(
    mini_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    events = timed_build(mini_project, tmp_path / "timeline.jsonl", monkeypatch, cli)
    main = main_process_events(events)
    assert main.index("first submitted") < main.index("rendered") < main.index("submitted")
    first = next(event for event in events if event["event"] == "first submitted")
    assert first["jobs"] == 3  # the Korean folder's three segments, before the English folder was rendered


def test_an_error_in_a_later_languages_lexicon_stops_the_build_with_nothing_made(mini_project: Path) -> None:
    """English is planned (and its jobs submitted) before Korean's lexicon is read and found
    broken: the build stops with one line and exit 2, its workers stopped, and leaves no
    audio, no manifest and no temporary file in the output folder."""
    station_languages(mini_project, "en, ko")
    lexicon = mini_project / "locales" / "ko" / "lexicon.yaml"
    lexicon.write_text("pronounce:\n  - [broken\n", encoding="utf-8")
    result = run_pipeline("build", "--project", str(mini_project), "--jobs", "1")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "locales/ko/lexicon.yaml:2: YAML syntax error: while parsing a flow sequence; expected ',' or ']', "
        "but got '<stream end>'"
    ]
    output = mini_project / "output"
    made = [path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()]
    assert made and all(name.startswith("_logs/") for name in made), made
    assert not [path for path in output.rglob("*") if ".part" in path.name]
    # An engine stopped mid-sentence may leave its scratch file in the speech cache, as an
    # interrupted build does: the next build sweeps the cache's temporary files under its lock.
    lexicon.unlink()
    assert run_pipeline("build", "--project", str(mini_project), "--jobs", "1").returncode == 0
    assert not [path for path in mini_project.rglob("*") if ".part" in path.name]


def test_a_folder_fails_only_for_the_voices_it_needs(mini_project: Path) -> None:
    """Two English episodes, one with a quote read by the guest voice, whose voice is not
    installed: that episode fails with the voice named; the other, which needs only the host,
    is built."""
    station = mini_project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    station.write_text(text.replace("voice: en-us+f3,", "voice: zz-nowhere,"), encoding="utf-8")
    episodes = mini_project / "scripts_src" / "episodes"
    script = (episodes / "mini.yaml").read_text(encoding="utf-8")
    no_quote = "".join(line for line in script.splitlines(keepends=True) if not line.lstrip().startswith("quote:"))
    (episodes / "plain.yaml").write_text(no_quote.replace("id: mini", "id: plain"), encoding="utf-8")
    report = build(load_project(mini_project), BuildRequest(languages=("en",), out=mini_project / "output", jobs=1))
    outcomes = {outcome.episode: outcome for outcome in report.outcomes}
    assert outcomes["plain"].status == "built"
    assert outcomes["mini"].status == "failed"
    assert "voices.en.guest: en/guest: voice 'zz-nowhere' is not installed" in str(outcomes["mini"].errors[0])
