"""``benchmarks/synthesis_overhead.py``: it measures the helper's CPU per utterance, with the real library."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the library path is Linux only")


@pytest.fixture(scope="module")
def synthesis_overhead() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthesis_overhead", REPO / "benchmarks" / "synthesis_overhead.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_sentence_costs_more_than_the_overhead_and_the_template_is_measured(
    synthesis_overhead: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert synthesis_overhead.main(["--rounds", "1", "--count", "10", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert 0 < figures["a_helper_ms"] < figures["sentence_helper_ms"], figures  # measured: 1.9 and 6.4 ms
    assert figures["start_ms"] > 0 and figures["a_own_ms"] > 0
    assert 1_000 < figures["template_rss_anon_kb"] < 100_000, figures  # measured: 5,424 kB
    # A bare fork is measured before and after the library is loaded, which maps more into it.
    assert figures["fork_bare_ms"] > 0 and figures["fork_library_ms"] > 0, figures  # measured: 0.60 and 0.84 ms
    assert figures["fork_bare_mappings"] < figures["fork_library_mappings"], figures  # measured: 65 and 226
