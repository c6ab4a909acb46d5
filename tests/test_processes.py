"""Engines started by a worker die with it, and vfork stays possible for them."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from pipeline import processes

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")

WORKER = """
from pipeline.processes import run_engine
print("starting", flush=True)
run_engine(["sleep", "600"], b"", timeout=600)
"""


@pytest.mark.parametrize("setpriv", [True, False], ids=["setpriv", "preexec_fn"])
def test_an_engine_dies_with_its_killed_worker(setpriv: bool) -> None:
    worker_code = WORKER if setpriv else "import pipeline.processes as p; p._setpriv = lambda: None\n" + WORKER
    worker = subprocess.Popen([sys.executable, "-c", worker_code], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "starting"
        deadline = time.monotonic() + 30
        engine = None
        while engine is None:
            assert time.monotonic() < deadline, "the engine did not start"
            # An exec'ing process has the engine's name a moment before its command line: wait for both.
            found = [p for p in psutil.Process(worker.pid).children() if p.name() == "sleep" and p.cmdline()]
            engine = found[0] if found else None
        assert psutil.Process(engine.pid).cmdline() == ["sleep", "600"]  # setpriv exec'd into the engine
        worker.kill()
        worker.wait(timeout=10)
        engine.wait(timeout=10)  # psutil.TimeoutExpired if the engine outlived its worker
    finally:
        worker.kill()
        worker.wait()


def test_the_engine_start_uses_no_preexec_fn_when_setpriv_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    real = subprocess.Popen

    def recording(*args, **kwargs):
        started.append(kwargs)
        return real(*args, **kwargs)

    if processes._setpriv() is None:
        pytest.skip("util-linux's setpriv is not installed")
    monkeypatch.setattr(subprocess, "Popen", recording)
    result = processes.run_engine(["cat"], b"through", timeout=30)
    assert result.stdout == b"through"
    assert started and "preexec_fn" not in started[0]
