"""Faults never corrupt outputs: killed builds, hung engines and Ctrl-C, with real processes and signals."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pipeline.audio.ffmpeg import tool_path

PIPELINE = [sys.executable, "-m", "pipeline"]
WORDS = ("north", "river", "valley", "signal", "winter", "station", "market", "border", "letter", "harbour")


def long_episode(sentences: int, per_paragraph: int = 100) -> str:
    """An English-only episode whose one story has ``sentences`` distinct sentences (about five
    seconds each), ``per_paragraph`` to a paragraph."""
    lines = [
        f"The {WORDS[n % 10]} report number {n} says that the {WORDS[(n // 10) % 10]} radio was heard again."
        for n in range(sentences)
    ]
    paragraphs = "".join(
        f"      - {' '.join(lines[start : start + per_paragraph])}\n" for start in range(0, sentences, per_paragraph)
    )
    return (
        "id: long\ntitle: A long night\ndate: 2026-11-20\nsegments:\n"
        "  - id: story\n    template: explainer\n    title: A long story.\n"
        f"    paragraphs:\n{paragraphs}"
    )


def write_episode(project: Path, text: str) -> None:
    (project / "scripts_src" / "episodes" / "long.yaml").write_text(text, encoding="utf-8")


def run_pipeline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PIPELINE, *args], capture_output=True, text=True, env=env, timeout=600)


def start_build(project: Path, episode: str, jobs: int, **popen) -> subprocess.Popen[str]:
    """A build of one episode in English, in a session of its own (signals reach only what a test sends)."""
    command = [*PIPELINE, "build", episode, "--lang", "en", "--jobs", str(jobs), "--project", str(project)]
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(command, text=True, start_new_session=True, **popen)


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def still_running(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """The processes that have not ended within ``seconds``."""
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def cached_wavs(project: Path) -> int:
    return sum(1 for path in (project / ".cache" / "tts").rglob("*") if path.suffix in (".flac", ".wav"))


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_builds_workers_never_write_into_a_later_build(
    mini_project: Path, tmp_path: Path, signal_number: int
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(mini_project, reference)
    write_episode(reference, long_episode(4))
    assert run_pipeline("build", "long", "--lang", "en", "--project", str(reference)).returncode == 0

    write_episode(mini_project, long_episode(90))  # the long job the build is killed in
    victim = start_build(mini_project, "long", jobs=1)
    wait_for(lambda: cached_wavs(mini_project) >= 5, 120, "the long segment to be under way")
    workers = descendants(victim.pid)
    assert workers, "the build has no worker processes"
    os.kill(victim.pid, signal_number)  # the build's own process only: its workers must follow it
    victim.wait(timeout=30)
    assert still_running(workers, 20) == []

    write_episode(mini_project, long_episode(4))  # the fix, then a new build
    rebuilt = run_pipeline("build", "long", "--lang", "en", "--project", str(mini_project))
    assert rebuilt.returncode == 0, rebuilt.stderr
    time.sleep(2)  # time for anything left over from the killed build to land (nothing may)
    folder = mini_project / "output" / "long"
    verified = run_pipeline("verify", str(folder))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert file_hashes(folder) == file_hashes(reference / "output" / "long")


HANGING_ENGINE = """#!/bin/sh
# espeak-ng, except that speaking a text with 'hangword' in it never ends (in a child, too)
for arg in "$@"; do
  if [ "$arg" = "--stdin" ]; then
    text=$(cat)
    case "$text" in
      *hangword*) sleep 3600 & wait ;;
    esac
    printf '%s' "$text" | exec {real} "$@"
  fi
done
exec {real} "$@"
"""


@pytest.fixture
def hanging_engine(tmp_path: Path) -> dict[str, str]:
    """An environment whose espeak-ng hangs on 'hangword' (a shell script and its sleep child)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "espeak-ng"
    script.write_text(HANGING_ENGINE.format(real=tool_path("espeak-ng")), encoding="utf-8")
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def engines_of(folder: Path) -> list[psutil.Process]:
    """Running processes started from the hanging engine script (the shell and its sleep)."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            path = (process.info["environ"] or {}).get("PATH", "")
            if (str(folder) in cmdline or path.startswith(str(folder))) and "python" not in cmdline:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def named(process: psutil.Process, name: str) -> bool:
    """Whether ``process`` runs a program called ``name`` (False once it has ended: the engine's
    short-lived processes end between being listed and being asked)."""
    try:
        return name in process.name()
    except psutil.NoSuchProcess:
        return False


HUNG = """\
id: hung
title: A hung engine
date: 2026-11-20
segments:
  - id: stuck
    template: explainer
    title: A stuck story.
    paragraphs:
      - The engine meets a hangword in this sentence.
  - id: fine
    template: explainer
    title: A fine story.
    paragraphs:
      - This part is spoken without any trouble at all.
"""


def test_a_hung_engine_is_killed_with_its_process_group(
    mini_project: Path, tmp_path: Path, hanging_engine: dict[str, str]
) -> None:
    (mini_project / "scripts_src" / "episodes" / "hung.yaml").write_text(HUNG, encoding="utf-8")
    result = run_pipeline(
        "build", "hung", "--lang", "en", "--jobs", "2", "--job-timeout", "4",
        "--project", str(mini_project), env=hanging_engine,
    )  # fmt: skip
    assert result.returncode == 1
    assert "01-stuck.mp3: failed 2 times: it ran longer than 4 s" in result.stderr + result.stdout
    assert (mini_project / "output" / "hung" / "en" / "02-fine.mp3").exists()
    assert still_running(engines_of(tmp_path / "bin"), 5) == []


def test_killing_a_build_kills_its_hung_engines(
    mini_project: Path, tmp_path: Path, hanging_engine: dict[str, str]
) -> None:
    (mini_project / "scripts_src" / "episodes" / "hung.yaml").write_text(HUNG, encoding="utf-8")
    victim = start_build(mini_project, "hung", jobs=1, env=hanging_engine)
    wait_for(lambda: any(named(p, "sleep") for p in engines_of(tmp_path / "bin")), 120, "the engine to hang")
    os.kill(victim.pid, signal.SIGKILL)  # the build's own process: its worker and the engine must follow
    victim.wait(timeout=30)
    assert still_running(engines_of(tmp_path / "bin"), 10) == []


def test_ctrl_c_stops_the_build_with_one_line(mini_project: Path) -> None:
    write_episode(mini_project, long_episode(150))
    build = start_build(mini_project, "long", jobs=2, stderr=subprocess.PIPE)
    wait_for(lambda: cached_wavs(mini_project) >= 3, 120, "the build to be under way")
    assert build.poll() is None, "the build ended before it could be interrupted"
    workers = descendants(build.pid)
    os.killpg(build.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
    _, err = build.communicate(timeout=60)
    assert build.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert any(line.startswith("interrupted") for line in err.splitlines()), err  # one line says so
    assert still_running(workers, 10) == []
    assert not (mini_project / "output" / "long" / "en" / "01-story.mp3").exists()
