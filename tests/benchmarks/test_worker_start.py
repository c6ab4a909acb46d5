"""``benchmarks/worker_start.py``: it measures both ways of starting workers, with real pools."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from pipeline.build import worker_server
from tests.conftest import REPO


@pytest.fixture(scope="module")
def worker_start() -> ModuleType:
    """``benchmarks/worker_start.py`` as a module named as its file, from its folder on the path
    (it imports ``nightly`` from there, and the workers import its job function by that name)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO / "benchmarks"))
        spec = importlib.util.spec_from_file_location("worker_start", REPO / "benchmarks" / "worker_start.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        yield module


@pytest.mark.skipif(not worker_server.supported(), reason="workers are forked from a server on Linux only")
def test_a_forked_replacement_costs_a_fraction_of_a_spawned_one(worker_start: ModuleType) -> None:
    # Each figure is the difference of two pools' CPU, each with its server's start (about 0.2 s,
    # varying by a few hundredths): sixteen forked replacements make a difference well above that
    # (one costs 0.005-0.008 s); two did not always (one run measured -0.006 s each).
    forked, spawned = worker_start.replacements(16, True), worker_start.replacements(2, False)
    assert 0 < forked < spawned / 5, (forked, spawned)  # measured: 0.006 s against 0.27 s
    cpu, wall = worker_start.start(1, True)
    assert cpu > 0 and wall > 0
