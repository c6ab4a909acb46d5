"""Nightly builds: incremental, isolated, resumable after a kill, locked, observable."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.build.lock import build_lock
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.build.runlog import NullObserver
from pipeline.build.segments import SegmentJob, SegmentMade
from pipeline.build.workers import JobFailed, PoolOnDemand, WorkerPool
from pipeline.project.script import load_project
from pipeline.tts import close_backends

from . import fake_engine

TROUBLE = """\
id: trouble
title: Trouble on the line
date: 2026-11-20
segments:
  - id: fine
    template: explainer
    title: A fine story.
    paragraphs:
      - This part is spoken without any trouble at all.
  - id: stuck
    template: explainer
    title: A stuck story.
    paragraphs:
      - The engine meets a hangword in this sentence.
  - id: broken
    template: explainer
    title: A broken story.
    paragraphs:
      - The engine meets a crashword in this sentence.
  - id: shaky
    template: explainer
    title: A shaky story.
    paragraphs:
      - The engine meets a wobbleword in this sentence.
"""
QUOTE = 'msgstr "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."'


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file under ``folder``."""
    return {
        path.relative_to(folder).as_posix(): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def hashes(folder: Path) -> dict[str, str]:
    return {name: digest for name, (digest, _) in tree_digest(folder).items()}


def outcome(report, episode: str, lang: str):
    return next(o for o in report.outcomes if o.episode == episode and o.lang == lang)


def test_failures_are_isolated_timed_out_and_retried(mini_project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_ENGINE_MARKERS", str(tmp_path))
    (mini_project / "scripts_src" / "episodes" / "trouble.yaml").write_text(TROUBLE, encoding="utf-8")
    fake_engine.install()  # the main process asks the engine for its voices and version
    project = load_project(mini_project)
    pool = WorkerPool(2, timeout=10, initializer=fake_engine.install, finalizer=close_backends)
    request = BuildRequest(languages=("en",), out=mini_project / "output")
    started = time.monotonic()
    report = build(project, request, executor=pool)
    pool.shutdown()
    assert time.monotonic() - started < 120
    assert outcome(report, "mini", "en").status == "built"
    trouble = outcome(report, "trouble", "en")
    assert trouble.status == "failed"
    errors = "\n".join(map(str, trouble.errors))
    assert "02-stuck.mp3: failed 2 times: it ran longer than 10 s" in errors
    assert "03-broken.mp3: failed 2 times: its worker process died" in errors
    assert "shaky" not in errors  # died once, then made on a fresh worker
    folder = mini_project / "output" / "trouble" / "en"
    assert (folder / "01-fine.mp3").exists() and (folder / "04-shaky.mp3").exists()
    assert not (folder / "trouble.mp3").exists()
    assert pool.retried == 3  # hang, crash and wobble each tried once more
    assert report.exit_code == 1


def test_fail_fast_stops_at_the_first_failure(mini_project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_ENGINE_MARKERS", str(tmp_path))
    (mini_project / "scripts_src" / "episodes" / "trouble.yaml").write_text(TROUBLE, encoding="utf-8")
    fake_engine.install()
    project = load_project(mini_project)
    pool = WorkerPool(1, timeout=30, retries=0, initializer=fake_engine.install, finalizer=close_backends)
    request = BuildRequest(("trouble", "mini"), ("en",), out=mini_project / "output", fail_fast=True)
    report = build(project, request, executor=pool)
    pool.shutdown(cancel_futures=True)
    assert outcome(report, "trouble", "en").status == "failed"
    assert list(map(str, outcome(report, "mini", "en").errors)) == [
        "not built: the build stopped at the first failure (--fail-fast)"
    ]


HELD_AND_FAILING = """\
id: held
title: A held line
date: 2026-11-20
segments:
  - id: held
    template: explainer
    title: A held story.
    paragraphs:
      - The engine meets a gateone in this sentence.
  - id: failing
    template: explainer
    title: A failing story.
    paragraphs:
      - The engine meets a failword in this sentence.
"""


class OpensTheGateOnAFailure(NullObserver):
    """Lets the held job finish only once the build has recorded the failing one (``delay``
    seconds later: long enough for the build to have returned)."""

    def __init__(self, markers: Path, delay: float = 0.0) -> None:
        self.markers = markers
        self.delay = delay

    def job_done(self, job: SegmentJob, made: SegmentMade | None, error: str | None, seconds: float) -> None:
        if error is not None:
            threading.Timer(self.delay, (self.markers / "gateone.open").touch).start()


def test_fail_fast_leaves_nothing_staged_by_a_job_still_running(
    mini_project: Path, tmp_path: Path, monkeypatch
) -> None:
    """A job already running when another fails finishes after the build has stopped: its file,
    staged but never to be committed, is removed before the build returns."""
    monkeypatch.setenv("FAKE_ENGINE_MARKERS", str(tmp_path))
    (mini_project / "scripts_src" / "episodes" / "held.yaml").write_text(HELD_AND_FAILING, encoding="utf-8")
    fake_engine.install()
    pool = WorkerPool(2, timeout=60, retries=0, initializer=fake_engine.install, finalizer=close_backends)
    request = BuildRequest(("held",), ("en",), out=mini_project / "output", fail_fast=True)
    try:
        report = build(load_project(mini_project), request, OpensTheGateOnAFailure(tmp_path), executor=pool)
    finally:
        pool.shutdown()
    assert (tmp_path / "gateone.pid").exists()  # the held job ran alongside the failing one
    assert outcome(report, "held", "en").status == "failed"
    assert not [path for path in (mini_project / "output").rglob("*") if path.name.endswith(".part")]


def test_one_changed_translation_remakes_one_part(mini_project: Path) -> None:
    project = load_project(mini_project)
    out = mini_project / "output"
    first = build(project, BuildRequest(out=out, jobs=2))
    assert first.exit_code == 0
    before = tree_digest(out / "mini")
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace(QUOTE, 'msgstr "외국 방송을 찾은 뒤로는 매일 밤 들었습니다."'),
        encoding="utf-8",
    )
    second = build(load_project(mini_project), BuildRequest(out=out, jobs=2))
    korean, english = outcome(second, "mini", "ko"), outcome(second, "mini", "en")
    assert (korean.made, korean.synthesised) == (1, 1)
    assert english.status == "unchanged" and english.made == 0 and english.synthesised == 0
    after = tree_digest(out / "mini")
    changed = {name for name in after if after[name] != before.get(name)}
    assert "ko/02-radio-reach.mp3" in changed
    for untouched in ("ko/01-opening.mp3", "ko/03-closing.mp3", "ko/01-opening.lrc", "ko/03-closing.srt"):
        assert after[untouched] == before[untouched], untouched
    assert not any(name.startswith("en/") for name in changed)


def test_dry_run_says_what_changed(mini_project: Path, cli) -> None:
    assert cli("build", "--project", str(mini_project), "--lang", "ko").code == 0
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace(QUOTE, 'msgstr "외국 방송을 찾은 뒤로는 매일 밤 들었습니다."'),
        encoding="utf-8",
    )
    result = cli("build", "--dry-run", "--project", str(mini_project))
    assert result.code == 0
    assert "mini [ko, player]: 02-radio-reach.mp3: changed: text" in result.out
    assert "mini [en, player]: 01-opening.mp3: new file" in result.out
    assert "ko/01-opening.mp3" not in result.out


def test_a_corrupt_cache_entry_is_rebuilt_not_used(mini_project: Path) -> None:
    out = mini_project / "output"
    build(load_project(mini_project), BuildRequest(languages=("en",), out=out, jobs=1))
    reference = hashes(out / "mini" / "en")
    entries = sorted((mini_project / ".cache" / "tts").rglob("*.flac"))
    entries[0].write_bytes(entries[0].read_bytes()[:-100])  # truncated on disk
    for path in (out / "mini" / "en").glob("*.mp3"):
        path.unlink()
    report = build(load_project(mini_project), BuildRequest(languages=("en",), out=out, jobs=1))
    english = outcome(report, "mini", "en")
    assert english.synthesised == 1
    assert hashes(out / "mini" / "en") == reference


def test_kill_9_then_rebuild_gives_the_same_bytes(mini_project: Path, tmp_path: Path) -> None:
    reference_project = tmp_path / "reference"
    subprocess.run(["cp", "-r", str(mini_project), str(reference_project)], check=True)
    command = [sys.executable, "-m", "pipeline", "build", "--jobs", "2"]
    subprocess.run([*command, "--project", str(reference_project)], check=True, capture_output=True)
    victim = subprocess.Popen(
        [*command, "--project", str(mini_project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    folder = mini_project / "output" / "mini"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(folder.glob("*/*.mp3")):
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert list(folder.glob("*/*.mp3")), "the build was killed before it wrote anything"
    assert not (folder / "ko" / "mini.mp3").exists() or not (folder / "en" / "mini.mp3").exists()
    result = subprocess.run([*command, "--project", str(mini_project)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert hashes(folder) == hashes(reference_project / "output" / "mini")
    assert not list((mini_project / "output").rglob(".*"))


def test_a_second_build_is_refused_while_one_runs(mini_project: Path, cli) -> None:
    with build_lock(mini_project):
        result = cli("build", "--project", str(mini_project))
    assert result.code == 2
    assert result.err.startswith(f"another build is running: pid {os.getpid()} on ")
    assert ".cache/build.lock" in result.err


def test_a_refused_build_leaves_the_running_builds_files_alone(mini_project: Path, cli) -> None:
    first = cli("build", "--lang", "en", "--project", str(mini_project))
    assert first.code == 0
    folder = mini_project / "output" / "mini" / "en"
    in_flight = folder / ".01-opening.mp3.1a2b3c4d.part"  # a file the running build is writing
    with build_lock(mini_project):
        in_flight.write_bytes(b"half a file")
        result = cli("build", "--lang", "en", "--project", str(mini_project))
        assert result.code == 2
        assert in_flight.exists()
    # once the lock is free, the next build sweeps what an interrupted one left behind
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    assert not in_flight.exists()


def test_a_stale_lock_is_taken_over(mini_project: Path, cli) -> None:
    lock = mini_project / ".cache" / "build.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 999999, "host": "elsewhere", "since": 0}) + "\n", encoding="utf-8")
    result = cli("build", "--lang", "en", "--project", str(mini_project))
    assert result.code == 0
    assert "a previous build (pid 999999 on elsewhere) did not finish; its lock was taken over" in result.err


def test_logs_and_report_tell_the_morning_story(mini_project: Path, cli) -> None:
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(QUOTE, 'msgstr ""'), encoding="utf-8")
    result = cli("build", "--project", str(mini_project))
    assert result.code == 3  # nothing failed; Korean waits for a translation
    (log,) = (mini_project / "output" / "_logs").glob("build-*.jsonl")
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "finish"
    assert sum(1 for e in events if e["event"] == "segment" and e["status"] == "made") == 3
    assert {(o["lang"], o["status"]) for o in events[-1]["outcomes"]} == {("ko", "incomplete"), ("en", "built")}
    page = (mini_project / "output" / "_report" / "index.html").read_text(encoding="utf-8")
    assert '<td class="incomplete">incomplete</td>' in page
    assert "scripts_src/episodes/mini.yaml:13: segments[1].quote: ko: not translated in" in page
    assert "src=" not in page and "<script" not in page  # self-contained


def test_a_broken_catalog_fails_only_its_language(mini_project: Path, cli) -> None:
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    catalog.write_text(catalog.read_text(encoding="utf-8") + 'msgid "x"\nmsgstr "y\n', encoding="utf-8")
    result = cli("build", "--project", str(mini_project))
    assert result.code == 1
    assert "mini [ko, player]: locales/ko/LC_MESSAGES/mini.po:35: expected a quoted string after 'msgstr'" in result.err
    assert (mini_project / "output" / "mini" / "en" / "mini.mp3").exists()
    assert not (mini_project / "output" / "mini" / "ko").exists()


def worker_environment() -> dict[str, str]:
    """The environment of the process running it (a job for a worker)."""
    return dict(os.environ)


def test_workers_start_single_threaded_with_their_heap_kept(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # an operator's own setting wins
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    pool = WorkerPool(1, timeout=30)
    try:
        seen = pool.submit(worker_environment).result(timeout=60)
    finally:
        pool.shutdown()
    assert seen["OPENBLAS_NUM_THREADS"] == "1"
    assert seen["OMP_NUM_THREADS"] == "3"
    assert int(seen["MALLOC_MMAP_THRESHOLD_"]) >= 1 << 20
    assert "OPENBLAS_NUM_THREADS" not in os.environ  # the build's own environment is left as it was


def test_a_job_that_cannot_be_sent_fails_alone() -> None:
    pool = WorkerPool(1, timeout=30)
    try:
        unsendable = pool.submit(len, [lambda: None])
        fine = pool.submit(len, [1, 2, 3])
        assert fine.result(timeout=60) == 3
        with pytest.raises(JobFailed, match="cannot send the job to a worker"):
            unsendable.result(timeout=60)
    finally:
        pool.shutdown()


def test_workers_started_early_are_ready_before_the_first_job(tmp_path: Path) -> None:
    pool = WorkerPool(2, timeout=30)
    try:
        pool.start_workers()
        deadline = time.monotonic() + 60
        while sum(worker.ready for worker in pool._workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.workers_started == 2 and all(worker.ready for worker in pool._workers)
        pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(4)}
        assert pids <= {worker.process.pid for worker in pool._workers}
        assert pool.workers_started == 2  # the jobs ran on the workers already started
    finally:
        pool.shutdown()


def test_a_pool_on_demand_is_made_when_asked_and_its_workers_end_with_the_block() -> None:
    with PoolOnDemand(lambda: WorkerPool(1, timeout=30)) as local:
        assert local.pool is None  # nothing asked for, nothing started
    with PoolOnDemand(lambda: WorkerPool(1, timeout=30)) as local:
        pool = local.get()
        assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
        worker = pool._workers[0].process
        local.release()  # no more jobs: the worker is told to stop, not waited for
        with pytest.raises(RuntimeError):
            pool.submit(os.getpid)
    assert not worker.is_alive()


def test_a_pool_on_demand_stops_running_jobs_when_its_block_raises() -> None:
    with pytest.raises(KeyboardInterrupt), PoolOnDemand(lambda: WorkerPool(1, timeout=30)) as local:
        running = local.get().submit(time.sleep, 30)
        time.sleep(1)
        raise KeyboardInterrupt
    with pytest.raises(JobFailed, match="interrupted"):
        running.result(timeout=10)


def started_at() -> float:
    """When a worker started this job (the system's monotonic clock, shared by its processes)."""
    return time.monotonic()


def test_a_worker_gets_its_next_job_before_the_finished_one_is_handed_on() -> None:
    """Handing a finished job's result on can take a while (it wakes the build's own thread, which
    then holds the interpreter as it joins an episode's files): the worker's next job must be on
    its way before."""
    pool = WorkerPool(1, timeout=30)
    handed_on: list[float] = []

    def slow_to_hand_on(_: object) -> None:
        handed_on.append(time.monotonic())
        time.sleep(1.0)

    try:
        first = pool.submit(started_at)
        first.add_done_callback(slow_to_hand_on)
        second = pool.submit(started_at)
        assert second.result(timeout=60) < handed_on[0] + 0.5
    finally:
        pool.shutdown()
