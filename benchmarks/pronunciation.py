"""How long respelling Korean as pronounced takes per sentence (done once per distinct sentence).

Usage::

    .venv/bin/python benchmarks/pronunciation.py [ROUNDS]

Normalises every Korean translation of the sample catalogs
(``locales/ko/LC_MESSAGES/*.po``), then respells each Korean chunk ROUNDS times
(default 5), with the sample project's ``pronounce:`` lists as a build does,
and prints the first use (importing the rules and loading the
analyser) and the mean time per sentence of each round.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from babel.messages.pofile import read_po

from pipeline.speech import load_lexicon, normalise
from pipeline.text.sentences import split_sentences

REPO = Path(__file__).resolve().parents[1]


def korean_chunks() -> list[str]:
    """The normalised Korean chunks of every sentence the sample catalogs translate."""
    texts = []
    for path in sorted((REPO / "locales" / "ko" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="ko")
        for message in catalog:
            if message.id and isinstance(message.string, str) and message.string:
                for sentence in split_sentences(message.string, "ko"):
                    texts.extend(chunk.text for chunk in normalise(sentence, "ko") if chunk.lang == "ko")
    return texts


def main(argv: list[str]) -> int:
    """Time the pronunciation stage and print the results."""
    rounds = int(argv[1]) if len(argv) > 1 else 5
    texts = korean_chunks()
    exceptions = load_lexicon(REPO, "ko").pronunciations
    started = time.perf_counter()
    from pipeline.speech.pronounce import respell

    respell("국민", exceptions)
    first = time.perf_counter() - started
    means = []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            respell(text, exceptions)
        means.append((time.perf_counter() - started) / len(texts))
    characters = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} Korean sentences of {characters:.0f} characters on average")
    print(f"first use (rules and analyser loaded): {first * 1000:.0f} ms")
    print("mean per sentence, each round: " + ", ".join(f"{mean * 1000:.2f} ms" for mean in means))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
