"""Where a cold build's CPU goes: ``.venv/bin/python benchmarks/cold_stages.py [PROJECT]``.

Entry point: :func:`main`. It copies the project (default: the repository's
sample station) into a temporary folder, builds it cold with every segment
job run in this one process (an in-process executor instead of the worker
pool), and prints the CPU seconds (``time.process_time``) spent in each
stage of making the files, with espeak-ng's own CPU: the program's
processes, or the synthesis helper and the child it forks per utterance
(``PIPELINE_ESPEAK=program`` or ``=library`` chooses). A grandchild's CPU
reaches this process only when its parent is reaped, so the helpers are
stopped before the children's CPU is read. Stages nest as listed: the levelling rows are inside no
other row, the decode-and-measure check is counted apart from LAME.
"""

from __future__ import annotations

import collections
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from pipeline.audio import level, mp3frames
from pipeline.build import assemble, segment_audio
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.build.segments import prepare_worker
from pipeline.project.script import load_project
from pipeline.tts import cache, close_backends
from pipeline.tts.espeak import EspeakNgBackend

REPO = Path(__file__).resolve().parents[1]
# (module or class, attribute, label): the stages timed.
STAGES: list[tuple[Any, str, str]] = [
    (level, "_lame_encode", "LAME encoding (lameenc)"),
    (level.Leveller, "__init__", "levelling: filters, K-weighting, true-peak envelope"),
    (level.Leveller, "render_pcm", "levelling: gain search and the limiter"),
    (level, "measure_decoded", "decoding the MP3 and measuring it again"),
    (cache, "compress", "FLAC for the speech cache"),
    (level, "_read_pcm", "reading speech back"),
    (mp3frames, "scrub_and_probe", "MP3 frames: scrub and probe"),
    (assemble, "assemble_target", "episode files and companions"),
    (segment_audio, "store_blocks", "loudness blocks"),
]


class InlineExecutor(Executor):
    """Runs each submitted job at once, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the build as a worker would hand it
            future.set_exception(exc)
        return future


def timed(owner: Any, name: str, label: str, spent: collections.Counter[str]) -> None:
    """Replace ``owner.name`` (and every pipeline module's reference to it) by a timed call."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started

    setattr(owner, name, wrapper)
    for module in list(sys.modules.values()):
        if module is not None and module.__name__.startswith("pipeline") and getattr(module, name, None) is original:
            setattr(module, name, wrapper)


def _program_path() -> bool:
    return not EspeakNgBackend().uses_library()


def children_cpu() -> float:
    """CPU of reaped child processes (espeak-ng) and of the processes they reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    """Build a copy of the project cold in this process; print CPU seconds per stage."""
    source = Path(argv[0]) if argv else REPO
    spent: collections.Counter[str] = collections.Counter()
    for owner, name, label in STAGES:
        timed(owner, name, label, spent)
    with tempfile.TemporaryDirectory(prefix="cold-stages-") as folder:
        root = Path(folder)
        for name in ("scripts_src", "locales"):
            shutil.copytree(source / name, root / name)
        prepare_worker()
        started, children = time.process_time(), children_cpu()
        report = build(load_project(root), BuildRequest(out=root / "output"), executor=InlineExecutor())
        close_backends()  # the synthesis helpers, reaped: their utterances' CPU is counted with theirs
        total, espeak = time.process_time() - started, children_cpu() - children
    if report.exit_code != 0:
        print(f"the build failed (exit {report.exit_code})", file=sys.stderr)
        return 1
    print(f"{total:7.2f}  the build in this process (CPU s)")
    for label, seconds in spent.most_common():
        print(f"{seconds:7.2f}    {label}")
    print(f"{total - sum(spent.values()):7.2f}    the rest: synthesis calls, rendering, planning, tags, manifests")
    print(f"{espeak:7.2f}  espeak-ng: {'the program' if _program_path() else 'the library helper'}, its own CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
