"""The command line's front door: help for every command, one line for an unknown one, and what
a command imports before it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS
from tests.conftest import CliResult


def test_help_lists_every_command(cli: Callable[..., CliResult]) -> None:
    result = cli("--help")
    assert result.code == 0
    for name in COMMANDS:
        assert f"    {name} " in result.out or f"    {name}\n" in result.out, name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(cli: Callable[..., CliResult], name: str) -> None:
    result = cli(name, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: pipeline {name} ")


def test_unknown_command_is_one_line_and_exit_2(cli: Callable[..., CliResult]) -> None:
    result = cli("bulid", "--project", ".")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert "invalid choice: 'bulid'" in result.err


def modules_after_importing(*modules: str) -> set[str]:
    """The modules a fresh interpreter holds once it has imported ``modules``."""
    code = f"import sys, {', '.join(modules)}; print(' '.join(sys.modules))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def test_build_command_loads_without_the_build_stages() -> None:
    """``pipeline build`` starts its workers before it imports rendering, speech, assembling,
    the review pages and the report: its module and what it needs to start them import none."""
    stages = (
        "pipeline.build.orchestrator",
        "pipeline.render",
        "pipeline.speech.ko",
        "pipeline.build.assemble",
        "pipeline.delivery.review",
        "pipeline.build.report",
        "pipeline.build.runlog",
        "rich",
        "numpy",
    )
    loaded = modules_after_importing("pipeline.cli", "pipeline.commands.build")
    assert [name for name in stages if name in loaded] == []


def test_the_build_imports_what_it_needs_after_submitting_its_jobs_later() -> None:
    """The orchestrator and the build's progress lines (not on a terminal) import neither rich, numpy,
    mutagen nor the review pages' machinery: a build imports those once its jobs are submitted."""
    later = ("rich", "numpy", "mutagen", "pipeline.delivery.review", "pipeline.build.report")
    loaded = modules_after_importing("pipeline.build.orchestrator", "pipeline.build.runlog")
    assert [name for name in later if name in loaded] == []


def test_a_build_run_as_a_program_leaves_everything_written(mini_project: Path) -> None:
    """``python -m pipeline build`` ends without the interpreter's teardown: its log, report,
    review pages and folders are complete all the same, and its exit status is the build's."""
    command = [sys.executable, "-m", "pipeline", "build", "--project", str(mini_project), "--jobs", "1"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("log: ")  # every line printed reached the pipe
    out = mini_project / "output"
    (log,) = (out / "_logs").glob("build-*.jsonl")
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[-1])["event"] == "finish"
    assert (out / "_report" / "index.html").is_file() and (out / "_review" / "mini.html").is_file()
    for lang in ("ko", "en"):
        assert json.loads((out / "mini" / lang / "manifest.json").read_text(encoding="utf-8"))["complete"] is True


def test_a_usage_error_from_the_program_is_one_line_and_exit_2(mini_project: Path) -> None:
    command = [sys.executable, "-m", "pipeline", "build", "nosuch", "--project", str(mini_project)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["unknown episode nosuch (known: mini)"]


def test_the_program_gives_numerical_libraries_one_thread_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The program sets the thread counts before any command runs (so before numpy is imported);
    a count the operator set is kept."""
    from pipeline import cli

    for name in cli.SINGLE_THREADED_NUMERICS:
        monkeypatch.setenv(name, "")  # so that the test's end puts back what was there
        monkeypatch.delenv(name)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    seen: dict[str, str | None] = {}

    def record(end_process: bool = False) -> int:
        seen.update({name: os.environ.get(name) for name in cli.SINGLE_THREADED_NUMERICS})
        return 0

    monkeypatch.setattr(cli, "main", record)
    with pytest.raises(SystemExit):
        cli.entry()
    assert seen == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "1"}
