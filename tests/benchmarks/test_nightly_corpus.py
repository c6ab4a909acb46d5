"""The nightly benchmark's corpus: complete Korean catalogs, deterministic, one change that is one part.

Nothing here synthesises or times anything; the benchmark itself is run by hand
(``benchmarks/nightly.py``) and its figures go in the README.
"""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pytest

from pipeline.build.orchestrator import render_all
from pipeline.project.script import load_project
from tests.conftest import REPO


@pytest.fixture(scope="module")
def nightly() -> ModuleType:
    """``benchmarks/nightly.py`` as a module (the benchmarks folder is not a package)."""
    path = REPO / "benchmarks" / "nightly.py"
    spec = importlib.util.spec_from_file_location("nightly_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def make_corpus(nightly: ModuleType, folder: Path, episodes: int = 3, minutes: float = 8.0, seed: int = 6) -> Any:
    """A generated corpus (the module's ``Corpus``) in ``folder``."""
    samples = nightly.read_samples(REPO)
    return nightly.generate_corpus(folder, samples, episodes, minutes, seed)


def corpus_files(root: Path) -> dict[str, bytes]:
    """Every file of a corpus by its path inside it."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_every_generated_episode_renders_completely_in_both_languages(nightly: ModuleType, tmp_path: Path) -> None:
    corpus = make_corpus(nightly, tmp_path / "corpus")
    project = load_project(corpus.root)
    assert sorted(project.episodes) == ["night-01", "night-02", "night-03"]
    rendered = render_all(project, list(project.episodes.values()), ["ko", "en"])
    for (episode, lang), item in rendered.items():
        assert item.is_complete, f"{episode} [{lang}]: {[str(m) for m in item.missing()]}"
        stories = len(corpus.episodes[episode])
        assert len(item.segments) == stories + 2  # the ident and the sign-off around the stories


def test_the_corpus_is_the_same_for_the_same_seed_and_differs_for_another(nightly: ModuleType, tmp_path: Path) -> None:
    first = corpus_files(make_corpus(nightly, tmp_path / "a").root)
    again = corpus_files(make_corpus(nightly, tmp_path / "b").root)
    other = corpus_files(make_corpus(nightly, tmp_path / "c", seed=7).root)
    assert first == again
    assert first != other


def test_stories_are_dealt_to_fill_the_minutes_asked_for(nightly: ModuleType) -> None:
    stories = nightly.read_samples(REPO).stories
    dealt = nightly.deal_stories(stories, 20, 60.0, 6)
    planned = sum(story.seconds for episode in dealt for story in episode) + 20 * nightly.EPISODE_EXTRA_SECONDS
    assert len(dealt) == 20 and all(dealt)
    assert abs(planned - 3600) < max(story.seconds for story in stories)


def test_the_one_change_edits_one_sentence_that_is_one_korean_part(nightly: ModuleType, tmp_path: Path) -> None:
    corpus = make_corpus(nightly, tmp_path / "corpus")
    change = nightly.choose_change(corpus)
    nightly.apply_change(corpus.root, change)
    project = load_project(corpus.root)
    rendered = render_all(project, [project.episodes[change.episode]], ["ko"])[(change.episode, "ko")]
    spoken = [sentence for segment in rendered.segments for part in segment.parts for sentence in part.sentences]
    changed = [sentence for sentence in spoken if sentence.written.startswith(nightly.CHANGE_PREFIX)]
    assert [sentence.written for sentence in changed] == [change.after]
    assert len(changed[0].chunks) == 1


def test_a_folder_the_benchmark_did_not_make_is_never_replaced(nightly: ModuleType, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not a corpus made by this benchmark"):
        make_corpus(nightly, precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    corpus = make_corpus(nightly, tmp_path / "corpus")
    make_corpus(nightly, corpus.root)  # its own corpus is made anew


FORKING_PARENT = """
import os, sys, time
child = os.fork()
if child == 0:
    time.sleep(30)  # a fork that has not started its program yet
    os._exit(0)
print(child, flush=True)
time.sleep(30)
"""


def test_memory_sampling_skips_a_fork_that_has_not_started_its_program(nightly: ModuleType) -> None:
    parent = subprocess.Popen([sys.executable, "-c", FORKING_PARENT], stdout=subprocess.PIPE, text=True)
    started = subprocess.Popen(["sleep", "30"])
    processes = [psutil.Process(parent.pid), psutil.Process(started.pid)]
    try:
        assert parent.stdout is not None
        fork = psutil.Process(int(parent.stdout.readline()))
        processes.append(fork)
        assert nightly.forked_not_yet_started(fork)
        assert not nightly.forked_not_yet_started(processes[1])
        assert not nightly.forked_not_yet_started(processes[0])
    finally:
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        for popen in (parent, started):
            popen.wait()


def test_pairs_on_a_slowed_machine_are_named(nightly: ModuleType) -> None:
    # The benchmark's own run at 20:53 UTC on 2026-12-05: the last two pairs ran on a slower machine.
    colds = [{"cpu_seconds": cpu} for cpu in (11.2, 11.2, 11.0, 14.8, 14.7)]
    raws = [{"cpu_seconds": cpu} for cpu in (9.2, 9.2, 9.3, 10.3, 9.7)]
    assert nightly.slowed_pairs(colds, raws) == [4, 5]
    assert nightly.slowed_text(colds, raws) == "4 (14.8 / 10.3 s), 5 (14.7 / 9.7 s)"
    steady = [{"cpu_seconds": cpu} for cpu in (11.2, 11.4, 11.0)]
    assert nightly.slowed_pairs(steady, raws[:3]) == []
    assert nightly.slowed_text(steady, raws[:3]) == "none"
    raw_slowed = [{"cpu_seconds": cpu} for cpu in (9.2, 11.0, 9.3)]  # only the raw toolchain's run slowed
    assert nightly.slowed_pairs(steady, raw_slowed) == [2]
