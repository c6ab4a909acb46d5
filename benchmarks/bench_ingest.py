"""Time ``pipeline ingest`` on the sample documents: ``python benchmarks/bench_ingest.py``.

Prints the seconds each document takes (read, clean, structure, segment,
render and validate; nothing is written) and the segments made.
"""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.ingest import ingest_file, load_context

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted((ROOT / "tests/data/ingest").glob("0*_*.txt"))


def main() -> None:
    """Ingest each sample document three times and print the best time."""
    context = load_context(ROOT)
    for path in DOCUMENTS:
        if path.name.endswith(".sentences.txt"):
            continue
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            result = ingest_file(path, context)
            best = min(best, time.perf_counter() - start)
        segments = sum(len(draft.segments) for draft in result.drafts)
        print(f"{path.name}: {best * 1000:.0f} ms, {segments} segments")


if __name__ == "__main__":
    main()
