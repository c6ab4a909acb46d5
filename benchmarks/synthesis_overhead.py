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
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

from pipeline.tts.espeak import _version_number, data_folder
from pipeline.tts.espeak_server import SynthesisServer

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
    if options.json:
        print(json.dumps(summary))
        return 0
    print(f"{options.count} utterances per round, {options.rounds} rounds; load {os.getloadavg()[0]:.2f}")
    print(f"helper start and first utterance: {start * 1000:.1f} ms CPU")
    for name in TEXTS:
        own, helper = summary[f"{name}_own_ms"], summary[f"{name}_helper_ms"]
        print(f"{name:9} own {own:6.3f} ms  helper tree {helper:6.3f} ms  total {own + helper:6.3f} ms per utterance")
    print(f"template RssAnon {summary['template_rss_anon_kb']} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
