"""The pauses heard in built segments against the pauses configured.

Usage::

    .venv/bin/python benchmarks/pauses.py [OUTPUT_FOLDER]

For every segment MP3 under OUTPUT_FOLDER (default ``output``) with its
``.srt``, the gap between two cues is the pause the build put there (the cue
times come from the real sample counts); ffmpeg's ``silencedetect`` (-50 dB,
at least 0.2 s) measures the silence heard around the middle of that gap.
Prints, per language folder, how many gaps were measured, which pauses they
were and how far what is heard lies from them.
"""

from __future__ import annotations

import collections
import itertools
import re
import subprocess
import sys
from pathlib import Path

from pipeline.formats.lyrics import parse_srt


def silences(path: Path) -> list[tuple[float, float]]:
    """(start, end) of each silence ffmpeg hears in ``path`` (a silence at the end is left out)."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path),
         "-af", "silencedetect=noise=-50dB:d=0.2", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    starts = [float(value) for value in re.findall(r"silence_start: (-?[\d.]+)", result.stderr)]
    ends = [float(value) for value in re.findall(r"silence_end: ([\d.]+)", result.stderr)]
    return list(zip(starts, ends, strict=False))


def main(argv: list[str]) -> int:
    """Measure every language folder and print the results."""
    output = Path(argv[1]) if len(argv) > 1 else Path("output")
    by_folder: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)  # (configured, heard)
    for srt in sorted(output.glob("*/*/[0-9]*.srt")):
        cues = parse_srt(srt.read_text(encoding="utf-8"))
        heard = silences(srt.with_suffix(".mp3"))
        for before, after in itertools.pairwise(cues):
            middle = (before.end + after.start) / 2
            found = next((end - start for start, end in heard if start <= middle <= end), None)
            if found is not None:
                by_folder[srt.parent.name].append((round(after.start - before.end, 3), found))
    for folder, gaps in sorted(by_folder.items()):
        errors = [(heard - configured) * 1000 for configured, heard in gaps]
        pauses = collections.Counter(configured for configured, _ in gaps)
        print(
            f"{folder}: {len(gaps)} gaps, pauses {dict(sorted(pauses.items()))}; heard minus configured: "
            f"{min(errors):+.0f} to {max(errors):+.0f} ms (mean {sum(errors) / len(errors):+.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
