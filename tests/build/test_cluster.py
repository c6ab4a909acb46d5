"""Builds on a real Dask cluster on this machine: same bytes as a local build, and the same guarantees.

One ``LocalCluster`` (two worker processes of one thread each, each with a
nanny, on 127.0.0.1) serves the module; the mismatch test starts its own
one-worker cluster whose espeak-ng reports another version.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import pytest
from distributed import LocalCluster

from pipeline.build.cluster import open_cluster
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.build.segments import warm_up_worker
from pipeline.build.worker_env import EnvironmentProbe, describe_environment, differences, shared_tokens, token_folders
from pipeline.build.workers import WorkerHooks
from pipeline.project.layout import CACHE_DIR
from pipeline.project.script import load_project
from pipeline.tts.espeak import data_folder

from . import fake_engine
from .test_batch import hashes


def _episode(name: str, trigger: str) -> str:
    """A two-segment episode ``name`` whose first segment holds the fake engine's ``trigger`` word."""
    return f"""\
id: {name}
title: A {name} line
date: 2026-11-20
segments:
  - id: {name}
    template: explainer
    title: A {name} story.
    paragraphs:
      - The engine meets a {trigger} in this sentence.
  - id: calm
    template: explainer
    title: A calm story.
    paragraphs:
      - This part is spoken without any trouble at all.
"""


SLOW = _episode("slow", "slowword")
HUNG = _episode("hung", "hangword")
CRASH = """\
id: crash
title: A crash
date: 2026-11-20
segments:
  - id: crash
    template: explainer
    title: A crash story.
    paragraphs:
      - The engine meets a crashword in this sentence.
"""


def _local_cluster(workers: int, **worker_options: object) -> LocalCluster:
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free loopback port: the machine may already serve 8787
        **worker_options,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes; Dask gives a task up after its worker died twice under it."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), _local_cluster(2) as local:
        yield local


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini project (both languages) and a two-segment English episode, built locally: the
    bytes to match."""
    root = tmp_path_factory.mktemp("reference") / "mini"
    shutil.copytree(Path(__file__).parents[1] / "data" / "mini", root)
    command = [sys.executable, "-m", "pipeline", "build", "--jobs", "2", "--project", str(root)]
    subprocess.run(command, check=True, capture_output=True)
    (root / "scripts_src" / "episodes" / "slow.yaml").write_text(SLOW, encoding="utf-8")
    subprocess.run([*command, "slow", "--lang", "en"], check=True, capture_output=True)
    return root


def _fresh_copy(reference: Path, tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(reference, root, ignore=shutil.ignore_patterns("output", ".cache"))
    return root


def _outputs(root: Path, episode: str) -> dict[str, str]:
    """sha256 of every file built for ``episode``."""
    return hashes(root / "output" / episode)


def test_a_cluster_build_matches_a_local_build_byte_for_byte(cluster, reference, tmp_path, cli, monkeypatch) -> None:
    root = _fresh_copy(reference, tmp_path)
    monkeypatch.setenv("PIPELINE_SCHEDULER", cluster.scheduler_address)
    result = cli("build", "mini", "--project", str(root))
    assert result.code == 0, result.err
    assert "6 segment file(s) to make" in result.err
    assert _outputs(root, "mini") == _outputs(reference, "mini")
    assert len([name for name in _outputs(root, "mini") if name.endswith(".mp3")]) == 2 * 4  # 3 segments, 1 episode
    assert not [path for path in root.rglob("*") if path.suffix in (".part", ".token")]  # token files removed

    again = cli("build", "mini", "--project", str(root), "--scheduler", cluster.scheduler_address)
    assert again.code == 0 and "0 segment file(s) to make" in again.err
    assert _outputs(root, "mini") == _outputs(reference, "mini")


def test_a_worker_killed_mid_job_is_survived(cluster, reference, tmp_path) -> None:
    root = _fresh_copy(reference, tmp_path)
    project = load_project(root)
    request = BuildRequest(("slow",), ("en",), out=root / "output", job_timeout=120)
    markers = tmp_path / "markers"
    markers.mkdir()
    install = WorkerHooks(functools.partial(fake_engine.install, str(markers)), warm_up_worker)
    outcome: dict[str, object] = {}
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 120, install) as executor:
        worker = threading.Thread(target=lambda: outcome.update(report=build(project, request, executor=executor)))
        worker.start()
        victim = _wait_for(markers / "slowed")
        os.kill(victim, signal.SIGKILL)  # the Dask worker process, in the middle of that job
        worker.join(timeout=300)
    assert not worker.is_alive()
    report = outcome["report"]
    assert report.exit_code == 0, [o.errors for o in report.outcomes]  # type: ignore[attr-defined]
    assert _outputs(root, "slow") == _outputs(reference, "slow")
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)


def test_a_job_past_its_timeout_is_stopped_and_tried_once_more(cluster, reference, tmp_path) -> None:
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "hung.yaml").write_text(HUNG, encoding="utf-8")
    project = load_project(root)
    request = BuildRequest(("hung",), ("en",), out=root / "output", job_timeout=6)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)), warm_up_worker)
    before = set(cluster.scheduler.workers)
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 6, install) as executor:
        report = build(project, request, executor=executor)
        assert executor.retried == 1
    [hung] = report.outcomes
    assert hung.status == "failed"
    [error] = [str(problem) for problem in hung.errors] or [""]
    assert len(hung.errors) == 1, hung.errors
    assert error == "scripts_src/episodes/hung.yaml:5: segments[0]: 01-hung.mp3: failed 2 times: it ran longer than 6 s"
    # Whether the scheduler already lists the stuck worker's replacement depends on how fast its
    # nanny restarts it; what the build guarantees is the failed job and the untouched other one.
    assert before  # the cluster had workers to replace
    assert (root / "output" / "hung" / "en" / "02-calm.mp3").exists()  # the other job is unaffected


def test_a_job_whose_worker_always_dies_is_tried_once_more_then_fails(cluster, reference, tmp_path) -> None:
    """Dask runs it again after its worker died (the module's cluster allows one such death), gives
    up at the second, and the build tries it once more: four worker processes die in all."""
    root = _fresh_copy(reference, tmp_path)
    (root / "scripts_src" / "episodes" / "crash.yaml").write_text(CRASH, encoding="utf-8")
    project = load_project(root)
    request = BuildRequest(("crash",), ("en",), out=root / "output", job_timeout=60)
    install = WorkerHooks(functools.partial(fake_engine.install, str(tmp_path)), warm_up_worker)
    with open_cluster(cluster.scheduler_address, _probe(root), _shared(root), 60, install) as executor:
        report = build(project, request, executor=executor)
        assert executor.retried == 1
    [crash] = report.outcomes
    assert crash.status == "failed"
    assert [str(problem) for problem in crash.errors] == [
        "scripts_src/episodes/crash.yaml:5: segments[0]: 01-crash.mp3: failed 2 times: its worker process died"
    ]


def test_a_worker_that_differs_is_refused(reference, tmp_path, cli) -> None:
    root = _fresh_copy(reference, tmp_path)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    espeak = fake_bin / "espeak-ng"
    real = shutil.which("espeak-ng")
    espeak.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "eSpeak NG text-to-speech: 9.99  Data at: {data_folder()}"; exit 0; fi\n'
        f'exec {real} "$@"\n'
    )
    espeak.chmod(espeak.stat().st_mode | stat.S_IXUSR)
    with _local_cluster(1, env={"PATH": f"{fake_bin}:{os.environ['PATH']}"}) as odd:
        result = cli("build", "--project", str(root), "--scheduler", odd.scheduler_address)
        [worker] = odd.scheduler.workers
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith(f"{odd.scheduler_address}: worker {worker} differs from this machine: ")
    assert "espeak-ng for en: espeak-ng 9.99 data " in line and "(here: espeak-ng 1." in line
    assert not (root / "output" / "mini").exists()


def test_an_unreachable_scheduler_is_one_line_and_exit_2(reference, tmp_path, cli) -> None:
    root = _fresh_copy(reference, tmp_path)
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    result = cli("build", "--project", str(root), "--scheduler", address)
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith(f"cannot reach the Dask scheduler at {address} (")
    assert time.monotonic() - started < 30
    assert not (root / "output" / "mini").exists()


def test_a_scheduler_without_workers_is_refused(reference, tmp_path, cli) -> None:
    root = _fresh_copy(reference, tmp_path)
    with _local_cluster(0) as empty:
        result = cli("build", "--project", str(root), "--scheduler", empty.scheduler_address)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"the Dask scheduler at {empty.scheduler_address} has no workers (waited 5 s); "
        f"start some with 'dask worker {empty.scheduler_address}'"
    ]


def test_local_and_no_op_builds_never_import_distributed(reference) -> None:
    """A local build (here remaking one file), and a scheduler build with nothing to make, leave
    Dask unimported."""
    remade = reference / "output" / "mini" / "en" / "01-opening.mp3"
    script = (
        "import sys; from pipeline.cli import main\n"
        f"assert main(['build', 'mini', '--project', {str(reference)!r}]) == 0\n"
        f"assert main(['build', 'mini', '--project', {str(reference)!r}, '--scheduler', 'tcp://127.0.0.1:9']) == 0\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('distributed', 'dask')))\n"
    )
    digest = hashes(remade.parent)[remade.name]
    remade.unlink()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "1 segment file(s) to make" in result.stderr and "0 segment file(s) to make" in result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert hashes(remade.parent)[remade.name] == digest


def test_a_worker_that_cannot_see_the_shared_folder_is_named(tmp_path) -> None:
    with shared_tokens([tmp_path]) as tokens:
        probe = EnvironmentProbe(tokens, (), (), str(tmp_path))
        here = describe_environment(probe)
    assert here[f"shared {tmp_path}"] == "visible and writable"
    assert not list(tmp_path.iterdir())  # the token and the write check are gone
    describe_environment.cache_clear()  # as a worker that never saw the token would answer
    gone = describe_environment(probe)
    assert gone[f"shared {tmp_path}"].startswith("not visible (")
    assert differences(here, gone) == [f"shared {tmp_path}: {gone[f'shared {tmp_path}']} (here: visible and writable)"]


def _probe(root: Path) -> EnvironmentProbe:
    """What the build's own check would ask for the mini project's voices."""
    station = load_project(root).station
    speech = tuple((lang, station.speech_settings(lang).unknown_latin) for lang in ("en", "ko"))
    return EnvironmentProbe((), (("espeak-ng", "en"), ("espeak-ng", "ko")), speech, str(root))


def _shared(root: Path) -> list[Path]:
    return token_folders(root / CACHE_DIR, root / "output")


def _wait_for(marker: Path, seconds: float = 120) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{marker} never appeared")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
