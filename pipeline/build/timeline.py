"""Timestamps of a build's phases in every process, for measuring where its wall-clock time goes.

Entry point: :func:`mark`. Nothing is recorded, and nothing is opened, unless
the environment variable ``PIPELINE_TIMELINE`` names a file; then each call
appends one JSON line to it: ``t`` (seconds since the epoch), ``cpu`` (this
process's CPU seconds so far), ``pid``, ``event`` and the given fields. The
build's worker processes inherit the variable, so one file holds the main
process's phases (loaded, rendered, planned, pool started, jobs submitted and
finished, folders assembled, review pages), the worker server's (spawned,
started, preload done) and each worker's (spawned or forked, started,
imports ready, each job's start, speech and end).
``benchmarks/timeline.py`` runs a cold build with it set and prints the
timeline. Lines are short and written with one ``write`` to a file opened
for appending, so processes do not interleave within a line.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

VARIABLE = "PIPELINE_TIMELINE"

_open_files: dict[str, int] = {}  # path → descriptor, opened on first use in this process


def enabled() -> bool:
    """Whether this process records its timeline."""
    return bool(os.environ.get(VARIABLE))


def mark(event: str, **fields: Any) -> None:
    """Record ``event`` now, with ``fields`` (anything JSON can hold), when the timeline is on."""
    path = os.environ.get(VARIABLE)
    if not path:
        return
    record = {"t": round(time.time(), 4), "cpu": round(time.process_time(), 4), "pid": os.getpid(), "event": event}
    line = json.dumps(record | fields, ensure_ascii=False) + "\n"
    os.write(_open(path), line.encode("utf-8"))


def _open(path: str) -> int:
    if path not in _open_files:
        _open_files[path] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    return _open_files[path]


def close() -> None:
    """Close the timeline files this process opened (the next mark opens them again)."""
    while _open_files:
        os.close(_open_files.popitem()[1])
