"""CPU per synthesised part through each way of reaching espeak-ng: ``.venv/bin/python benchmarks/synthesis_paths.py``.

Entry point: :func:`main`. It takes every message of the sample station's
Korean catalogs (the translation, spoken by ``ko``, and its English source,
spoken by ``en-us``), holds ``--ballast`` MB of memory as a build worker does
(starting a process from a large one is what a ``preexec_fn`` makes costly),
and synthesises them all through each path in turn, ``--rounds`` times
alternated:

- ``program, preexec_fn``: the program started as it was before the death
  signal moved to setpriv (``subprocess`` then cannot use vfork);
- ``program``: the program through :func:`pipeline.processes.run_engine`;
- ``library``: the libespeak-ng helper, a forked child per part.

It prints the CPU of this process and of its children (user + system, the
helper's children counted once the helper is reaped) per part, and the WAVs
of each path are compared byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel.messages.pofile import read_po

from pipeline import processes
from pipeline.tts import Voice
from pipeline.tts.espeak import PATH_VARIABLE, EspeakNgBackend

REPO = Path(__file__).resolve().parents[1]


def sample_texts() -> list[tuple[str, Voice]]:
    """The catalogs' messages: Korean translations and their English sources, with their voices."""
    korean, english = Voice("espeak-ng", "ko", 150, 1.0, "ko"), Voice("espeak-ng", "en-us", 165, 1.0, "en")
    texts = []
    for path in sorted((REPO / "locales" / "ko" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and isinstance(message.id, str):
                    texts += [(str(message.string), korean), (message.id, english)]
    return texts


@contextmanager
def path_chosen(path: str) -> Iterator[None]:
    """``PIPELINE_ESPEAK`` set to ``path`` (and run_engine with a preexec_fn for the old way)."""
    previous = os.environ.get(PATH_VARIABLE)
    os.environ[PATH_VARIABLE] = "library" if path == "library" else "program"
    original = processes._setpriv
    if path == "program, preexec_fn":
        processes._setpriv = lambda: None  # type: ignore[assignment]
    try:
        yield
    finally:
        processes._setpriv = original  # type: ignore[assignment]
        if previous is None:
            os.environ.pop(PATH_VARIABLE, None)
        else:
            os.environ[PATH_VARIABLE] = previous


def cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def one_round(path: str, texts: list[tuple[str, Voice]], folder: Path) -> tuple[float, float, float, list[str]]:
    """Seconds of own CPU, children's CPU and wall time for all ``texts``, and the WAVs' digests."""
    digests = []
    with path_chosen(path):
        backend = EspeakNgBackend()
        own0, children0 = cpu()
        started = time.perf_counter()
        for n, (text, voice) in enumerate(texts):
            out = folder / f"{n}.wav"
            backend.synthesise(text, voice, out, timeout=60)
            digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
        backend.close()  # reaps the helper: its children's CPU is counted from here
        wall = time.perf_counter() - started
        own1, children1 = cpu()
    return own1 - own0, children1 - children0, wall, digests


def main(argv: list[str]) -> int:
    """Measure every path ``--rounds`` times, alternated; print medians per part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ballast", type=int, default=300, help="MB this process holds (default 300)")
    options = parser.parse_args(argv)
    ballast = bytearray(options.ballast * 1024 * 1024)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # touched, so the pages are really there
    texts = sample_texts()
    paths = ["program, preexec_fn", "program", "library"]
    figures: dict[str, list[tuple[float, float, float]]] = {path: [] for path in paths}
    reference: list[str] | None = None
    with tempfile.TemporaryDirectory(prefix="synthesis-paths-") as folder:
        for round_number in range(options.rounds):
            for path in paths if round_number % 2 == 0 else reversed(paths):
                own, children, wall, digests = one_round(path, texts, Path(folder))
                reference = reference or digests
                if digests != reference:
                    print(f"{path}: the WAVs differ from the first path's", file=sys.stderr)
                    return 1
                figures[path].append((own, children, wall))
    load = os.getloadavg()
    print(f"{len(texts)} parts, {options.rounds} rounds, {options.ballast} MB held; load {load[0]:.1f}")
    print("path                   own ms/part  children ms/part  total ms/part  wall ms/part")
    for path in paths:
        own, children, wall = (statistics.median(values[i] for values in figures[path]) for i in range(3))
        per = 1000 / len(texts)
        print(f"{path:22} {own * per:11.2f} {children * per:17.2f} {(own + children) * per:14.2f} {wall * per:13.2f}")
    print("every path wrote the same bytes for every part")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
