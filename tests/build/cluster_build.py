"""``pipeline build`` in a process of its own whose cluster workers speak through the fake engine.

``python -m tests.build.cluster_build MARKERS build ARGS…`` runs the command
line exactly as ``pipeline build ARGS…`` does (its signal handling, its lines
and exit status), except that every cluster worker installs
:mod:`tests.build.fake_engine` (markers under ``MARKERS``) before its first
job, so that a test can hold a job for as long as it needs (a gate word), then
kill or stop the build around it.
"""

from __future__ import annotations

import functools
import sys

from pipeline.build import orchestrator
from pipeline.build.segments import prepare_worker
from pipeline.cli import main
from tests.build import fake_engine


def prepare_with_fake_engine(markers: str) -> None:
    """A cluster worker's preparation: the fake engine, then what every build worker runs."""
    fake_engine.install(markers)
    prepare_worker()


if __name__ == "__main__":
    orchestrator.prepare_worker = functools.partial(prepare_with_fake_engine, sys.argv[1])  # type: ignore[assignment]
    sys.exit(main(sys.argv[2:]))
