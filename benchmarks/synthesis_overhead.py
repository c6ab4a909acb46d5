"""The CPU of one utterance through the libespeak-ng helper: ``.venv/bin/python benchmarks/synthesis_overhead.py``.

Entry point: :func:`main`. A :class:`~pipeline.tts.espeak_server.SynthesisServer`
(the helper, its per-voice template, a forked child per utterance) speaks
``--count`` times the text "a" (almost no speech: the cost is the
per-utterance overhead) and as many times a 15-word sentence, in alternated
rounds. The helper's CPU, its templates' and their children's included, is
read from ``RUSAGE_CHILDREN`` once the server is closed (every level reaps the
one below it); this process's own CPU (writing requests, reading replies and,
where there is one, the WAV) is read from ``RUSAGE_SELF``. It also prints the
template's anonymous memory (``RssAnon``, what every fork copies the page
tables of). Prints medians per utterance in ms, and ``--json`` a line of them.

It also times the bare fork underneath every utterance: in an interpreter
started as the helper is (``python -I -S``, ctypes loaded), the CPU of a
fork whose child exits at once, before and after libespeak-ng is loaded
(:data:`FORK_PROBE`); the library brings its audio-output dependencies
(libpcaudio: PulseAudio, ALSA and theirs), every one of them mapped into
each fork, though the helper never plays audio. The difference is what
those mappings cost a fork; the rest of an utterance's overhead is the
child's copy-on-write and page faults and the work in Python.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from pipeline.tts.espeak import _version_number, data_folder
from pipeline.tts.espeak_server import SynthesisServer

# Run in ``python -I -S``: per-fork CPU (parent, child) and mappings, before and after loading the library.
FORK_PROBE = """
import ctypes, json, os, resource, sys
def cost(forks):
    own0, children0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(forks):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    own1, children1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    own = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
    child = children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime
    with open("/proc/self/maps") as maps:
        mappings = sum(1 for _ in maps)
    return {"parent_ms": own * 1000 / forks, "child_ms": child * 1000 / forks, "mappings": mappings}
forks = int(sys.argv[1])
bare = cost(forks)
ctypes.CDLL("libespeak-ng.so.1")
print(json.dumps({"bare": bare, "library": cost(forks)}))
"""

TEXTS = {
    "a": "a",
    "sentence": "Radio from outside reaches people at night, when the jamming is weaker and the neighbours sleep.",
}


def cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def template_rss_anon() -> int:
    """RssAnon in kB of the helpers' template processes (the helpers' children), the largest."""
    largest = 0
    for helper in psutil.Process().children():
        for template in helper.children():
            for line in Path(f"/proc/{template.pid}/status").read_text(encoding="ascii").splitlines():
                if line.startswith("RssAnon:"):
                    largest = max(largest, int(line.split()[1]))
    return largest


def one_round(text: str, count: int, folder: Path) -> tuple[float, float, int]:
    """Own and helper CPU seconds for ``count`` utterances of ``text``, and the template's RssAnon."""
    server = SynthesisServer(_version_number(), data_folder())
    server.synthesise(text, "en-us", 165, 100, folder / "warm.wav", timeout=60)  # helper and template started
    own0, children0 = cpu()
    for n in range(count):
        server.synthesise(text, "en-us", 165, 100, folder / f"{n % 4}.wav", timeout=60)
    rss = template_rss_anon()
    own1, _ = cpu()
    server.close()
    _, children1 = cpu()  # includes the warm-up utterance and the helper's start: subtracted below
    return own1 - own0, children1 - children0, rss


def start_cost(folder: Path) -> float:
    """Helper CPU seconds of starting it and speaking one "a" (subtracted from every round)."""
    _, before = cpu()
    server = SynthesisServer(_version_number(), data_folder())
    server.synthesise("a", "en-us", 165, 100, folder / "warm.wav", timeout=60)
    server.close()
    return cpu()[1] - before


def fork_costs(forks: int, rounds: int) -> dict[str, float]:
    """Medians over ``rounds`` of :data:`FORK_PROBE`: ms of CPU per fork (parent and child
    together) without and with libespeak-ng loaded, and the mappings each fork copies."""
    runs = []
    for _ in range(rounds):
        probe = subprocess.run(
            [sys.executable, "-I", "-S", "-c", FORK_PROBE, str(forks)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(probe.stdout))
    summary: dict[str, float] = {}
    for side in ("bare", "library"):
        summary[f"fork_{side}_ms"] = statistics.median(run[side]["parent_ms"] + run[side]["child_ms"] for run in runs)
        summary[f"fork_{side}_mappings"] = statistics.median(run[side]["mappings"] for run in runs)
    return summary


def main(argv: list[str]) -> int:
    """Alternate the texts over ``--rounds``; print per-utterance medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="one JSON line of the medians")
    options = parser.parse_args(argv)
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in TEXTS}
    starts = []
    with tempfile.TemporaryDirectory(prefix="synthesis-overhead-") as folder:
        for round_number in range(options.rounds):
            starts.append(start_cost(Path(folder)))
            names = list(TEXTS) if round_number % 2 == 0 else list(reversed(TEXTS))
            for name in names:
                results[name].append(one_round(TEXTS[name], options.count, Path(folder)))
    start = statistics.median(starts)
    summary: dict[str, float] = {"start_ms": start * 1000}
    for name, rounds in results.items():
        summary[f"{name}_own_ms"] = statistics.median(own for own, _, _ in rounds) * 1000 / options.count
        summary[f"{name}_helper_ms"] = (
            (statistics.median(helper for _, helper, _ in rounds) - start) * 1000 / options.count
        )
        summary["template_rss_anon_kb"] = max(rss for _, _, rss in rounds)
    summary.update(fork_costs(options.count, options.rounds))
    if options.json:
        print(json.dumps(summary))
        return 0
    print(f"{options.count} utterances per round, {options.rounds} rounds; load {os.getloadavg()[0]:.2f}")
    print(f"helper start and first utterance: {start * 1000:.1f} ms CPU")
    for name in TEXTS:
        own, helper = summary[f"{name}_own_ms"], summary[f"{name}_helper_ms"]
        print(f"{name:9} own {own:6.3f} ms  helper tree {helper:6.3f} ms  total {own + helper:6.3f} ms per utterance")
    print(f"template RssAnon {summary['template_rss_anon_kb']} kB")
    for side, label in (("bare", "before loading libespeak-ng"), ("library", "with libespeak-ng loaded")):
        print(
            f"a fork that exits at once, {label}: {summary[f'fork_{side}_ms']:.3f} ms CPU "
            f"({summary[f'fork_{side}_mappings']:.0f} mappings)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
