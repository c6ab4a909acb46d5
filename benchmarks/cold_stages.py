"""Where a cold build's CPU goes: ``.venv/bin/python benchmarks/cold_stages.py [PROJECT]``.

Entry point: :func:`main`. It copies the project (default: the repository's
sample station) into a temporary folder, builds it cold with every segment
job run in this one process (an in-process executor instead of the worker
pool), and prints the CPU seconds (``time.process_time``) spent in each
stage of making the files, with espeak-ng's own CPU: the program's
processes, or the synthesis helper and the child it forks per utterance
(``PIPELINE_ESPEAK=program`` or ``=library`` chooses). A grandchild's CPU
reaches this process only when its parent is reaped, so the helpers are
stopped before the children's CPU is read.

Each stage counts its own time only: a timed call made inside another (the
levelled PCM computed while LAME asks for it, the decoder inside the check)
is taken out of the outer one, so the rows add up to the build. A stage
that returns a generator is timed at each step of it, where its work is
done. LAME is timed at its own ``encode`` and ``flush`` calls (lameenc's
encoder, wrapped), so the row is the encoder's and nothing else's.
"""

from __future__ import annotations

import collections
import inspect
import os
import resource
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from pipeline.audio import blocks, level, mp3frames
from pipeline.build import assemble, loudness_blocks
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.build.segments import prepare_worker
from pipeline.build.workers import WORKER_ENVIRONMENT
from pipeline.project.script import load_project
from pipeline.tts import cache, close_backends
from pipeline.tts.espeak import EspeakNgBackend

REPO = Path(__file__).resolve().parents[1]
LAME = "LAME encoding (lameenc)"
# (module or class, attribute, label): the stages timed.
STAGES: list[tuple[Any, str, str]] = [
    (level.Leveller, "__init__", "levelling: filters, K-weighting, true-peak envelope"),
    (level.Leveller, "gains", "levelling: gain search and the limiter"),
    (level.Leveller, "render", "levelling: measuring the levelled audio (WAV profiles)"),
    (blocks, "pcm_blocks", "levelling: the gain applied, 16-bit PCM"),
    (level, "_decoded_blocks", "the check: decoding the MP3"),
    (level, "measure_decoded", "the check: measuring the decoded audio"),
    (cache, "compressed", "FLAC for the speech cache"),
    (level, "_read_pcm", "joining: reading speech back"),
    (level, "join_pieces", "joining: trimming and joining"),
    (mp3frames, "scrub_and_probe", "MP3 frames: scrub and probe"),
    (assemble, "assemble_target", "episode files and companions"),
    (loudness_blocks, "store_blocks", "loudness blocks"),
]


class StageClock:
    """CPU seconds per stage, each stage's own: entering a stage pauses the one it is inside."""

    def __init__(self) -> None:
        self.spent: collections.Counter[str] = collections.Counter()
        self._running: list[tuple[str, float]] = []

    def enter(self, label: str) -> None:
        now = time.process_time()
        if self._running:
            outer, started = self._running[-1]
            self.spent[outer] += now - started
        self._running.append((label, now))

    def leave(self) -> None:
        now = time.process_time()
        label, started = self._running.pop()
        self.spent[label] += now - started
        if self._running:
            self._running[-1] = (self._running[-1][0], now)

    def call(self, function: Callable[..., Any], label: str, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` timed as ``label`` (each step, for a generator)."""
        self.enter(label)
        try:
            result = function(*args, **kwargs)
        finally:
            self.leave()
        return self._steps(result, label) if inspect.isgenerator(result) else result

    def _steps(self, generator: Generator[Any, None, None], label: str) -> Iterator[Any]:
        while True:
            self.enter(label)
            try:
                item = next(generator)
            except StopIteration:
                return
            finally:
                self.leave()
            yield item


def timed(owner: Any, name: str, label: str, clock: StageClock) -> None:
    """Replace ``owner.name`` (and every pipeline module's reference to it) by a timed call."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return clock.call(original, label, *args, **kwargs)

    setattr(owner, name, wrapper)
    for module in list(sys.modules.values()):
        if module is not None and module.__name__.startswith("pipeline") and getattr(module, name, None) is original:
            setattr(module, name, wrapper)


def time_lame(clock: StageClock) -> None:
    """Give :mod:`pipeline.audio.level` a lameenc whose encoders are timed at every call that encodes."""
    import lameenc

    class TimedEncoder:
        def __init__(self) -> None:
            self._encoder = lameenc.Encoder()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._encoder, name)

        def encode(self, pcm: bytes) -> Any:
            return clock.call(self._encoder.encode, LAME, pcm)

        def flush(self) -> Any:
            return clock.call(self._encoder.flush, LAME)

    level.lameenc = types.SimpleNamespace(Encoder=TimedEncoder)  # type: ignore[assignment]


class InlineExecutor(Executor):
    """Runs each submitted job at once, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the build as a worker would hand it
            future.set_exception(exc)
        return future


def _program_path() -> bool:
    return not EspeakNgBackend().uses_library()


def children_cpu() -> float:
    """CPU of reaped child processes (espeak-ng) and of the processes they reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    """Build a copy of the project cold in this process; print CPU seconds per stage."""
    source = Path(argv[0]) if argv else REPO
    clock = StageClock()
    time_lame(clock)
    for owner, name, label in STAGES:
        timed(owner, name, label, clock)
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
    for label, seconds in clock.spent.most_common():
        print(f"{seconds:7.2f}    {label}")
    rest = total - sum(clock.spent.values())
    print(f"{rest:7.2f}    the rest: synthesis calls, rendering, planning, tags, manifests")
    print(f"{espeak:7.2f}  espeak-ng: {'the program' if _program_path() else 'the library helper'}, its own CPU")
    return 0


def in_worker_environment() -> None:
    """Start this script again with :data:`WORKER_ENVIRONMENT` unless it is set: BLAS reads its
    thread count, and glibc its malloc settings, when the process starts."""
    missing = {name: value for name, value in WORKER_ENVIRONMENT.items() if name not in os.environ}
    if missing:
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **missing})


if __name__ == "__main__":
    in_worker_environment()
    sys.exit(main(sys.argv[1:]))
