"""A speech engine that misbehaves on purpose: the one place a fake engine is right.

It speaks through the real espeak-ng backend, except for texts holding a
trigger word: ``hangword`` sleeps far past any timeout, ``crashword`` kills
the worker process outright, and ``wobbleword`` kills it only the first time
(a marker file remembers), which a retry must survive.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from pipeline.tts import Voice, register_backend
from pipeline.tts.espeak import EspeakNgBackend

MARKER_DIR = Path(os.environ.get("FAKE_ENGINE_MARKERS", "/tmp"))


class MisbehavingEngine(EspeakNgBackend):
    """espeak-ng with planted faults."""

    def synthesise(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        """Speak, unless the text asks for trouble."""
        words = set(re.findall(r"[a-z]+", text))
        if "hangword" in words:
            time.sleep(3600)
        if "crashword" in words:
            os._exit(70)
        if "wobbleword" in words:
            marker = MARKER_DIR / "wobbled"
            if not marker.exists():
                marker.write_text("once")
                os._exit(71)
        super().synthesise(text, voice, out_wav, timeout)


def install() -> None:
    """Worker-pool initializer: every worker speaks through the misbehaving engine."""
    register_backend("espeak-ng", MisbehavingEngine())
