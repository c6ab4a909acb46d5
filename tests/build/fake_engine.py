"""A speech engine that misbehaves on purpose: the one place a fake engine is right.

It speaks through the real espeak-ng backend, except for texts holding a
trigger word: ``hangword`` sleeps far past any timeout, ``crashword`` kills
the worker process outright, ``wobbleword`` kills it only the first time
(a marker file remembers), which a retry must survive, and ``slowword``
writes its process id to a marker file and then takes a minute, the first
time only, so that a test can kill that process mid-job. ``gateone`` and
``gatetwo`` write the process id to ``<word>.pid`` and wait (at most five
minutes) for a test to create ``<word>.open``: a job that runs exactly as long
as a test wants. ``failword`` fails the job at once with the engine's error.
Closing the engine leaves ``closed-<process id>`` behind.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from pipeline.errors import SynthesisError
from pipeline.tts import Voice, register_backend
from pipeline.tts.espeak import EspeakNgBackend

MARKER_DIR = Path(os.environ.get("FAKE_ENGINE_MARKERS", "/tmp"))
GATES = ("gateone", "gatetwo")
GATE_SECONDS = 300


class MisbehavingEngine(EspeakNgBackend):
    """espeak-ng with planted faults (markers under ``markers``: ``$FAKE_ENGINE_MARKERS`` by default)."""

    def __init__(self, markers: Path | None = None) -> None:
        super().__init__()
        self.markers = markers or MARKER_DIR

    def synthesise(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        """Speak, unless the text asks for trouble."""
        words = set(re.findall(r"[a-z]+", text))
        slowed = self.markers / "slowed"
        if "slowword" in words and not slowed.exists():
            slowed.write_text(str(os.getpid()))
            time.sleep(60)
        if "hangword" in words:
            time.sleep(3600)
        for gate in sorted(words.intersection(GATES)):
            (self.markers / f"{gate}.pid").write_text(str(os.getpid()))
            deadline = time.monotonic() + GATE_SECONDS
            while not (self.markers / f"{gate}.open").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        if "failword" in words:
            raise SynthesisError(f"the engine refused: {text}")
        if "crashword" in words:
            os._exit(70)
        if "wobbleword" in words:
            marker = self.markers / "wobbled"
            if not marker.exists():
                marker.write_text("once")
                os._exit(71)
        super().synthesise(text, voice, out_wav, timeout)

    def close(self) -> None:
        """Say that this process closed its engine."""
        (self.markers / f"closed-{os.getpid()}").touch()
        super().close()


def install(markers: str | None = None) -> None:
    """Worker-pool initializer: every worker speaks through the misbehaving engine."""
    register_backend("espeak-ng", MisbehavingEngine(Path(markers) if markers else None))
