"""A job that reports what its worker process saw, in a module of its own: a worker unpickling
the job imports only this (not a test module with pytest and its fixtures), so the CPU it reports
is the worker's start and nothing of the test's."""

from __future__ import annotations

import os
import sys
import time


def worker_state() -> dict[str, object]:
    """What a job sees of its worker: its ids, the CPU it had spent, and whether the audio stack
    (the segment job's module, numpy, LAME) was there before the job."""
    return {
        "pid": os.getpid(),
        "parent": os.getppid(),
        "cpu": time.process_time(),
        "audio": all(name in sys.modules for name in ("pipeline.build.segment_audio", "numpy", "lameenc")),
    }
