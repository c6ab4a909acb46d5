"""How long speech normalisation takes per sentence (it runs on every sentence of every build).

Usage::

    .venv/bin/python benchmarks/speech_normalise.py [ROUNDS]

Normalises every written input of the Korean and English case tables
(``tests/data/speech/*_cases.yaml``) ROUNDS times (default 20) with the sample
project's lexicons and prints the mean time per text.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline.project.yamlsource import load_located
from pipeline.speech import load_lexicon, normalise

REPO = Path(__file__).resolve().parents[1]


def table_inputs(lang: str) -> list[str]:
    """The written texts of one case table."""
    document = load_located(REPO / "tests" / "data" / "speech" / f"{lang}_cases.yaml")
    return [written for section in document.data.values() for written in section]


def main(argv: list[str]) -> int:
    """Time normalisation per language and print the results."""
    rounds = int(argv[1]) if len(argv) > 1 else 20
    for lang in ("ko", "en"):
        texts = table_inputs(lang)
        lexicon = load_lexicon(REPO, lang)
        normalise(texts[0], lang, lexicon)  # load the tables before timing
        start = time.perf_counter()
        for _ in range(rounds):
            for text in texts:
                normalise(text, lang, lexicon)
        elapsed = time.perf_counter() - start
        count = rounds * len(texts)
        print(f"{lang}: {count} texts, {elapsed / count * 1e6:.0f} µs per text")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
