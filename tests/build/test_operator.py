"""What an operator sees: exit statuses, partial builds, signals, report history, retracted
episodes and ``clean``, ``--force`` and ``--segment``, and the JSON-lines log's schema.

Real builds of the mini project (espeak-ng, ffmpeg, real worker processes).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pipeline.build.interrupt import stop_on_signals
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.i18n.catalogs import Translator
from pipeline.project.script import load_project
from pipeline.render import render_episode
from pipeline.speech import SpeechChunk
from pipeline.text.durations import blocked_seconds
from tests.conftest import REPO
from tests.interrupts import signal_when_staged

CATALOG = Path("locales/ko/LC_MESSAGES/mini.po")
QUOTE = 'msgstr "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."'
SPEAKER = 'msgstr "한 전직 군인"'
ENGLISH_ONLY = """\
id: english-only
title: A story not yet translated
date: 2026-11-21
languages: [en]
segments:
  - id: opening
    template: station_ident
  - id: story
    template: explainer
    title: Why couriers carry cards.
    paragraphs:
      - A card is small, cheap and easy to hide.
"""
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def untranslate(project: Path, *msgstrs: str) -> None:
    """Empty the given ``msgstr`` lines of the Korean episode catalog."""
    path = project / CATALOG
    text = path.read_text(encoding="utf-8")
    for line in msgstrs:
        assert line in text
        text = text.replace(line, 'msgstr ""')
    path.write_text(text, encoding="utf-8")


def events(project: Path) -> list[dict]:
    """The events of the newest JSON-lines log."""
    log = sorted((project / "output" / "_logs").glob("build-*.jsonl"))[-1]
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def outcome(report, episode: str, lang: str):
    return next(o for o in report.outcomes if o.episode == episode and o.lang == lang)


# --------------------------------------------------------------------------- exit statuses


def test_exit_status_2_for_usage_errors(mini_project: Path, cli) -> None:
    result = cli("build", "--segment", "opening", "--project", str(mini_project))
    assert result.code == 2
    assert result.err.strip() == "--segment needs the episode named: pipeline build EPISODE --segment ID"
    result = cli("build", "mini", "--segment", "nope", "--project", str(mini_project))
    assert result.code == 2
    assert result.err.strip() == "unknown segment nope in mini (segments: opening, radio-reach, closing)"
    assert not (mini_project / "output").exists()


def test_the_exit_status_and_verdict_follow_the_worst_outcome() -> None:
    from pipeline.build.outcomes import BuildReport, TargetOutcome

    def report(*statuses: str, interrupted: int | None = None) -> BuildReport:
        outcomes = [TargetOutcome(f"ep{n}", "ko", "player", status) for n, status in enumerate(statuses)]
        return BuildReport(outcomes=outcomes, interrupted=interrupted)  # type: ignore[arg-type]

    assert report().exit_code == 0
    assert report("built", "unchanged").verdict() == "1 built, 1 unchanged — exit 0"
    assert report("unchanged", "unchanged").verdict() == "2 unchanged — exit 0"  # a no-op built nothing
    assert report("built", "built").verdict() == "2 built — exit 0"
    assert report("built", "partial", "incomplete").verdict() == "2 waiting for translation, 1 built — exit 3"
    assert report("failed", "incomplete", "built").verdict() == "1 failed, 1 waiting for translation, 1 built — exit 1"
    interrupted = report("built", "interrupted", "failed", interrupted=signal.SIGTERM)
    assert interrupted.verdict() == "interrupted by SIGTERM: 1 failed, 1 not finished, 1 built — exit 143"
    assert report("interrupted", interrupted=signal.SIGHUP).exit_code == 129


def test_help_documents_the_exit_statuses(cli) -> None:
    result = cli("build", "--help")
    assert result.code == 0
    for line in ("0    everything asked for was built", "1    something failed", "2    usage or configuration",
                 "3    nothing failed, but some folders are waiting for translation", "143 SIGTERM"):  # fmt: skip
        assert line in result.out


def test_waiting_for_translation_is_3_and_partial_lists_everything_dropped(mini_project: Path, cli) -> None:
    untranslate(mini_project, QUOTE, SPEAKER)
    waiting = cli("build", "--project", str(mini_project))
    assert waiting.code == 3
    assert "scripts_src/episodes/mini.yaml:13: segments[1].quote: ko: not translated in" in waiting.err
    assert "scripts_src/episodes/mini.yaml:14: segments[1].speaker: ko: not translated in" in waiting.err
    assert not (mini_project / "output" / "mini" / "ko").exists()

    partial = cli("build", "--allow-incomplete", "--project", str(mini_project))
    assert partial.code == 3
    dropped = "scripts_src/episodes/mini.yaml:7: segments[1]: ko: segment 'radio-reach' left out: 2 string(s)"
    assert dropped in partial.err
    folder = mini_project / "output" / "mini" / "ko"
    assert sorted(p.name for p in folder.glob("*.mp3")) == ["01-opening.mp3", "03-closing.mp3", "mini.mp3"]
    (event,) = [e for e in events(mini_project) if e["event"] == "folder" and e["lang"] == "ko"]
    assert event["status"] == "partial"
    kinds = sorted((p["kind"], p["msgctxt"]) for p in event["problems"])
    assert kinds == [("dropped", None), ("untranslated", "radio-reach.quote"), ("untranslated", "radio-reach.speaker")]

    # The seconds dropped are those of the whole segment as English speaks it, at the station's rate.
    project = load_project(mini_project)
    english = render_episode(project, project.episodes["mini"], "en", Translator(mini_project, "en", "en"),
                             lambda text: [SpeechChunk(text, "en")])  # fmt: skip
    segment_text = next(s.written_text for s in english.segments if s.id == "radio-reach")
    assert event["dropped_seconds"] == round(blocked_seconds([segment_text], project.station), 1)
    assert event["dropped_seconds"] > event["untranslated_seconds"] > 0


def test_blocked_seconds_agree_between_build_report_and_stats(mini_project: Path, cli) -> None:
    untranslate(mini_project, QUOTE, SPEAKER)
    report = build(load_project(mini_project), BuildRequest(out=mini_project / "output", dry_run=True))
    stats = cli("i18n", "stats", "--json", "--project", str(mini_project))
    document = json.loads(stats.out)
    assert report.coverage["ko"].seconds_blocked == document["languages"]["ko"]["blocked_seconds"] > 0
    assert report.coverage["ko"].missing == document["languages"]["ko"]["untranslated"] == 2
    assert list(report.coverage) == ["ko"]  # the source language is not a target
    korean = outcome(report, "mini", "ko")
    assert korean.untranslated_seconds == report.coverage["ko"].seconds_blocked


def test_an_english_only_episode_is_not_pending_in_korean(mini_project: Path, cli) -> None:
    (mini_project / "scripts_src" / "episodes" / "english-only.yaml").write_text(ENGLISH_ONLY, encoding="utf-8")
    report = build(load_project(mini_project), BuildRequest(out=mini_project / "output", dry_run=True))
    assert {(o.episode, o.lang) for o in report.outcomes} == {("mini", "ko"), ("mini", "en"), ("english-only", "en")}
    assert report.exit_code == 0
    assert report.coverage["ko"].missing == 0
    stats = json.loads(cli("i18n", "stats", "--json", "--project", str(mini_project)).out)
    (row,) = [row for row in stats["catalogs"] if row["domain"] == "english-only" and row["language"] == "ko"]
    assert row["built"] is False and row["exists"] is False and row["blocked_seconds"] > 0
    assert stats["languages"]["ko"]["blocked_seconds"] == 0.0  # not waited for in Korean


# --------------------------------------------------------------------------- signals


def test_the_first_signal_interrupts_and_later_ones_are_only_noted() -> None:
    from pipeline.build.interrupt import Interrupted

    before = signal.getsignal(signal.SIGHUP)
    with pytest.raises(Interrupted) as stopped, stop_on_signals() as guard:
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(1)
    assert stopped.value.signum == signal.SIGHUP
    assert signal.getsignal(signal.SIGHUP) == before
    with stop_on_signals() as guard:
        guard.quieten()
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
    assert guard.received == [signal.SIGTERM, signal.SIGINT]


def _start_build(project: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "--jobs", "2", "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the signal goes to the build's main process only
    )


def _wait_for_first_segment(project: Path, build: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:
        logs = list((project / "output" / "_logs").glob("*.jsonl")) if (project / "output").exists() else []
        if logs and '"event": "segment"' in logs[0].read_text(encoding="utf-8"):
            return
        time.sleep(0.05)
    pytest.fail("the build made no segment file in time")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_the_build_and_its_workers_and_is_reported(mini_project: Path, signum: int) -> None:
    victim = _start_build(mini_project)
    _wait_for_first_segment(mini_project, victim)
    children = psutil.Process(victim.pid).children(recursive=True)
    assert children, "the build runs no worker processes"
    os.kill(victim.pid, signum)
    stopped = time.monotonic()
    _, err = victim.communicate(timeout=60)
    assert time.monotonic() - stopped < 30  # workers are killed, not waited for (a loaded machine is slow)
    assert victim.returncode == 128 + signum, err
    assert "Traceback" not in err
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, [p.pid for p in alive]
    log = events(mini_project)
    (interrupted,) = [e for e in log if e["event"] == "interrupted"]
    assert interrupted["signal"] == signum.name
    assert log[-1]["event"] == "finish" and log[-1]["exit_code"] == 128 + signum
    statuses = {o["status"] for o in log[-1]["outcomes"]}
    assert "interrupted" in statuses
    assert len([e for e in log if e["event"] == "folder"]) == 2  # one per folder, finished or not
    page = (mini_project / "output" / "_report" / "index.html").read_text(encoding="utf-8")
    assert f"interrupted by {signum.name}" in page
    assert '<td class="interrupted">interrupted</td>' in page
    assert not list((mini_project / "output").rglob(".*.part*"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_worker_stopped_as_it_stages_its_file_leaves_nothing_staged(
    mini_project: Path, tmp_path: Path, signum: int
) -> None:
    """The signal comes while a worker has just created its staged segment file and is still
    writing it: the build stops that worker, and only then sweeps the folder."""
    markers = tmp_path / "markers"
    markers.mkdir()
    command = [sys.executable, "-m", "tests.build.held_build", str(markers), "build", "--jobs", "1",
               "--project", str(mini_project)]  # fmt: skip
    victim = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not (markers / "staged").exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    pid, staged = (markers / "staged").read_text(encoding="utf-8").split(" ", 1)
    holder = psutil.Process(int(pid))
    assert Path(staged).exists()
    os.kill(victim.pid, signum)
    _, err = victim.communicate(timeout=60)
    (markers / "go").touch()  # a worker left running would now finish its file
    assert victim.returncode == 128 + signum, err
    assert psutil.wait_procs([holder], timeout=5)[1] == []
    assert not list((mini_project / "output").rglob(".*.part*"))


@pytest.mark.parametrize(
    ("name_start", "under"),
    [(".manifest.json.", "ko"), (".index.html.", "_review")],
    ids=["a folder's first manifest", "the review page"],
)
def test_a_signal_as_the_build_stages_a_file_of_its_own_leaves_no_staged_file(
    mini_project: Path, monkeypatch: pytest.MonkeyPatch, name_start: str, under: str
) -> None:
    """The build's own process stages files too (manifests when the run starts, assembled files,
    review pages after the last folder): a signal at the moment one is created stops the build
    and leaves nothing staged, even where no sweep follows."""
    sent = signal_when_staged(
        monkeypatch, signal.SIGTERM, lambda path: path.name.startswith(name_start) and under in path.parts
    )
    with stop_on_signals():
        report = build(load_project(mini_project), BuildRequest(out=mini_project / "output", jobs=2))
    assert sent, "the build staged no such file"
    assert report.interrupted == signal.SIGTERM
    assert not list((mini_project / "output").rglob(".*.part*"))


# --------------------------------------------------------------------------- report history


def test_every_run_keeps_its_report_and_the_latest_links_to_them(mini_project: Path, cli) -> None:
    runs = mini_project / "output" / "_report" / "runs"
    runs.mkdir(parents=True)
    for n in range(32):  # older runs than any this test makes
        (runs / f"20200101T0000{n:02d}Z-1.html").write_text("old", encoding="utf-8")
    logs = mini_project / "output" / "_logs"
    logs.mkdir()
    for n in range(32):
        (logs / f"build-20200101T0000{n:02d}Z-1.jsonl").write_text("{}\n", encoding="utf-8")

    assert cli("build", "--project", str(mini_project)).code == 0
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    pages = sorted(runs.glob("*.html"))
    assert len(pages) == 30 and pages[0].name == "20200101T000004Z-1.html"
    assert len(list(logs.glob("build-*.jsonl"))) == 30
    latest = (mini_project / "output" / "_report" / "index.html").read_text(encoding="utf-8")
    assert '<p class="verdict">0 failed' not in latest
    assert '<p class="verdict">2 built — exit 0</p>' not in latest  # this run built English only
    assert '<p class="verdict">1 unchanged — exit 0</p>' in latest  # ... and found it up to date
    assert "this run built a subset: languages en" in latest
    newest = pages[-1].name
    assert f'href="runs/{newest}"' in latest
    assert f'href="runs/{pages[-2].name}"' in latest  # the full build before it
    full = pages[-2].read_text(encoding="utf-8")
    assert '<p class="verdict">2 built — exit 0</p>' in full and "subset" not in full
    assert 'href="../_review/index.html"' in latest and 'href="../../_review/index.html"' in full
    coverage = full.split("<h2>Translation coverage</h2>")[1].split("<h2>")[0]
    assert "<td>ko</td>" in coverage and "<td>en</td>" not in coverage

    # A folder that fails but still holds last night's build is stale.
    catalog = mini_project / CATALOG
    catalog.write_text(catalog.read_text(encoding="utf-8") + 'msgid "x"\nmsgstr "y\n', encoding="utf-8")
    broken = cli("build", "--project", str(mini_project))
    assert broken.code == 1
    page = (mini_project / "output" / "_report" / "index.html").read_text(encoding="utf-8")
    assert '<p class="verdict">1 failed, 1 unchanged — exit 1</p>' in page  # English was up to date
    assert "<td>stale: holds an older build</td>" in page
    (ko,) = [e for e in events(mini_project) if e["event"] == "folder" and e["lang"] == "ko"]
    assert ko["status"] == "failed" and ko["stale"] is True
    assert ko["problems"][0]["kind"] == "catalog"
    assert (ko["problems"][0]["file"], ko["problems"][0]["line"]) == ("locales/ko/LC_MESSAGES/mini.po", 35)


# --------------------------------------------------------------------------- retracted episodes and clean


def _old_folder(folder: Path) -> Path:
    """A folder as an earlier build left it."""
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"files": {}}\n', encoding="utf-8")
    (folder / "01-opening.mp3").write_bytes(b"old audio")
    return folder


def test_retracted_episodes_and_languages_are_listed_and_cleaned(mini_project: Path, cli) -> None:
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    out = mini_project / "output"
    _old_folder(out / "withdrawn-story" / "en")  # its script was deleted
    _old_folder(out / "mini" / "fr")  # a language the station no longer has
    _old_folder(out / "mini" / "ko")  # made before the script said languages: [en]
    _old_folder(out / "mini" / "en-radio")  # another profile of a language it is made in: kept
    _old_folder(out / "a-draft" / "en")  # built from a draft: kept
    drafts = mini_project / "scripts_src" / "drafts"
    drafts.mkdir()
    (drafts / "a-draft.yaml").write_text(ENGLISH_ONLY.replace("english-only", "a-draft"), encoding="utf-8")
    script = mini_project / "scripts_src" / "episodes" / "mini.yaml"
    script.write_text(
        script.read_text(encoding="utf-8").replace("date: 2026-11-20\n", "date: 2026-11-20\nlanguages: [en]\n")
    )
    retracted = [str(out / "mini" / "fr"), str(out / "mini" / "ko"), str(out / "withdrawn-story")]
    withdrawn_page = out / "_review" / "withdrawn-story.html"  # its review page, from when it was built
    withdrawn_page.write_text("<title>Withdrawn story</title>\n", encoding="utf-8")

    result = cli("build", "--project", str(mini_project))
    assert result.code == 0
    assert f"3 output folder(s) no script makes any more: {', '.join(retracted)}" in result.out
    assert [e["folders"] for e in events(mini_project) if e["event"] == "retracted"] == [retracted]
    assert "Output no script makes any more" in (out / "_report" / "index.html").read_text(encoding="utf-8")

    assert "withdrawn-story.html" in (out / "_review" / "index.html").read_text(encoding="utf-8")

    dry = cli("clean", "--retracted", "--dry-run", "--project", str(mini_project))
    assert dry.code == 0 and f"would remove {out / 'withdrawn-story'} (2 files" in dry.out
    assert f"would remove {withdrawn_page} (its review page)" in dry.out
    assert all(Path(folder).exists() for folder in retracted) and withdrawn_page.exists()
    cleaned = cli("clean", "--retracted", "--project", str(mini_project))
    assert cleaned.code == 0 and f"removed {withdrawn_page} (its review page)" in cleaned.out
    assert not any(Path(folder).exists() for folder in retracted) and not withdrawn_page.exists()
    index = (out / "_review" / "index.html").read_text(encoding="utf-8")
    assert "withdrawn-story" not in index and "mini.html" in index
    assert (out / "mini" / "en" / "mini.mp3").exists() and (out / "_report" / "index.html").exists()
    assert (out / "mini" / "en-radio").exists() and (out / "a-draft" / "en").exists()

    dry = cli("clean", "--dry-run", "--project", str(mini_project))
    assert f"would remove {out} (" in dry.out and (out / "mini").exists()
    assert cli("clean", "--project", str(mini_project)).code == 0
    assert not out.exists()
    assert [p.name for p in (mini_project / ".cache").iterdir()] == ["build.lock"]


def test_clean_retracted_refuses_when_a_script_cannot_be_read(mini_project: Path, cli) -> None:
    _old_folder(mini_project / "output" / "mini" / "en")
    (mini_project / "scripts_src" / "episodes" / "mini.yaml").write_text("id: [mini\n", encoding="utf-8")
    result = cli("clean", "--retracted", "--project", str(mini_project))
    assert result.code == 2 and result.err.startswith("scripts_src/episodes/mini.yaml:")
    assert (mini_project / "output" / "mini" / "en").exists()


def test_clean_refuses_while_a_build_runs(mini_project: Path, cli) -> None:
    from pipeline.build.lock import build_lock

    (mini_project / "output").mkdir()
    with build_lock(mini_project):
        result = cli("clean", "--project", str(mini_project))
    assert result.code == 2 and result.err.startswith("another build is running")
    assert (mini_project / "output").exists()


# --------------------------------------------------------------------------- --force and --segment


def test_force_and_segment_remake_exactly_what_was_asked(mini_project: Path) -> None:
    out = mini_project / "output"

    def run(**options) -> object:
        request = BuildRequest(languages=("en",), out=out, jobs=2, **options)
        return outcome(build(load_project(mini_project), request), "mini", "en")

    first = run()
    assert (first.made, first.status) == (3, "built")
    folder = out / "mini" / "en"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    current = run(episodes=("mini",), segments=("radio-reach",))
    assert (current.made, current.status) == (0, "unchanged")
    one = run(episodes=("mini",), segments=("radio-reach",), force=True)
    assert (one.made, one.synthesised, one.status) == (1, 0, "built")  # speech from the cache
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert after["02-radio-reach.mp3"] != before["02-radio-reach.mp3"]
    assert after["01-opening.mp3"] == before["01-opening.mp3"]

    everything = run(force=True)
    assert (everything.made, everything.synthesised) == (3, 0)
    fresh = run(episodes=("mini",), segments=("opening",), force=True, fresh_speech=True)
    assert fresh.made == 1 and fresh.synthesised > 0 and fresh.cached == 0


def test_segment_leaves_an_out_of_date_folder_unassembled(mini_project: Path) -> None:
    out = mini_project / "output"
    build(load_project(mini_project), BuildRequest(languages=("en",), out=out, jobs=1))
    (out / "mini" / "en" / "03-closing.mp3").unlink()
    request = BuildRequest(("mini",), ("en",), out=out, jobs=1, segments=("opening",), force=True)
    english = outcome(build(load_project(mini_project), request), "mini", "en")
    assert english.made == 1 and english.stale
    assert english.notes == [
        "not assembled: 1 other segment file(s) out of date (03-closing.mp3); build the episode without --segment"
    ]


# --------------------------------------------------------------------------- the JSON-lines log


def test_the_json_log_schema(mini_project: Path, cli) -> None:
    untranslate(mini_project, QUOTE)
    assert cli("build", "--jobs", "1", "--project", str(mini_project)).code == 3
    log = events(mini_project)
    assert all(ISO_MS.match(e["time"]) for e in log)
    start = log[0]
    assert start["event"] == "start" and (start["targets"], start["jobs"], start["workers"]) == (2, 3, 1)
    made = [(e["episode"], e["lang"], e["segment"], e["status"]) for e in log if e["event"] == "segment"]
    assert sorted(made) == [("mini", "en", name, "made") for name in ("closing", "opening", "radio-reach")]
    folders = {(e["lang"], e["status"]) for e in log if e["event"] == "folder"}
    assert folders == {("ko", "incomplete"), ("en", "built")}
    (ko,) = [e for e in log if e["event"] == "folder" and e["lang"] == "ko"]
    (problem,) = ko["problems"]
    assert problem == {
        "episode": "mini",
        "lang": "ko",
        "kind": "untranslated",
        "file": "scripts_src/episodes/mini.yaml",
        "line": 13,
        "msgctxt": "radio-reach.quote",
        "segment": "radio-reach",
        "message": problem["message"],
    }
    assert problem["message"].startswith("scripts_src/episodes/mini.yaml:13: segments[1].quote: ko: not translated")
    finish = log[-1]
    assert finish["event"] == "finish" and finish["exit_code"] == 3
    assert finish["verdict"] == "1 waiting for translation, 1 built — exit 3"
    assert {o["status"] for o in finish["outcomes"]} == {"incomplete", "built"}
