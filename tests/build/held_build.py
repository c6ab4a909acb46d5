"""``pipeline build`` in a process of its own whose workers stop still right after they create a
staged segment file, until a test lets them go.

``python -m tests.build.held_build MARKERS build ARGS…`` runs the command line
exactly as ``pipeline build ARGS…`` does (its signal handling, its lines and
exit status), except that a worker that has just created a staged ``.mp3``
file (``.NAME.mp3.<hex>.part`` beside its destination) writes its process id
and the file's path to ``MARKERS/staged`` and waits, at most five minutes, for
``MARKERS/go``: a test can stop the build while a worker is in the middle of
staging, the moment a sweep of its folder must not come too early.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

from pipeline.build import early_workers
from pipeline.build.segments import prepare_worker
from pipeline.cli import main
from pipeline.fsutil import PARTIAL_SUFFIX

HOLD_SECONDS = 300


def prepare_and_hold(markers: str) -> None:
    """A build worker's preparation, then every staged segment file it creates holds it."""
    prepare_worker()
    real_open = os.open

    def open_and_hold(path: str | os.PathLike[str], flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        descriptor = real_open(path, flags, mode, dir_fd=dir_fd)
        name = os.fsdecode(path)
        if name.endswith(PARTIAL_SUFFIX) and ".mp3." in Path(name).name:
            _hold(Path(markers), name)
        return descriptor

    os.open = open_and_hold  # type: ignore[assignment]


def _hold(markers: Path, staged: str) -> None:
    said = markers / "staged.new"
    said.write_text(f"{os.getpid()} {staged}", encoding="utf-8")
    said.replace(markers / "staged")  # whole when the test reads it
    deadline = time.monotonic() + HOLD_SECONDS
    while not (markers / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


if __name__ == "__main__":
    early_workers.prepare = functools.partial(prepare_and_hold, sys.argv[1])
    sys.exit(main(sys.argv[2:]))
