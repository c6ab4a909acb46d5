"""Memory does not grow with a segment's length: a 60-minute segment builds in under 400 MB per process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
# Levelling, encoding, checking, scrubbing and tagging hold a block of audio (96 s) at a time and
# keep every longer array, control-rate data too, in temporary files: memory per process does not
# grow with a segment's length (README, reliability section: 20, 60 and 120 minutes measured).
# Before, a 57.2-minute segment's build peaked at 477 MB, with the limiter's control data kept whole.
CEILING_MB = 400
SENTENCE = "The valley report says that the border radio was heard again tonight, clear and strong."


def hour_long_episode(minutes: float) -> str:
    """One segment of about ``minutes`` of speech: the same sentence again and again (synthesised
    once, from the speech cache after that; about 5.6 s with its pause), a hundred to a
    paragraph."""
    sentences = round(minutes * 60 / 5.6)
    sizes = [min(100, sentences - start) for start in range(0, sentences, 100)]
    paragraphs = "".join(f"      - {' '.join([SENTENCE] * size)}\n" for size in sizes)
    return (
        "id: hour\ntitle: A long hour\ndate: 2026-11-20\nsegments:\n"
        "  - id: story\n    template: explainer\n    title: A long story.\n"
        f"    paragraphs:\n{paragraphs}"
    )


@pytest.mark.slow
@pytest.mark.skipif(TIME is None, reason="GNU time (/usr/bin/time -v) is not installed")
def test_a_60_minute_segment_builds_under_the_memory_ceiling(mini_project: Path) -> None:
    (mini_project / "scripts_src" / "episodes" / "hour.yaml").write_text(hour_long_episode(66), encoding="utf-8")
    command = [
        str(TIME),
        "-v",
        sys.executable,
        "-m",
        "pipeline",
        "build",
        "hour",
        "--lang",
        "en",
        "--jobs",
        "1",
        "--job-timeout",
        "3600",
    ]
    result = subprocess.run([*command, "--project", str(mini_project)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    # GNU time reports the largest of the build's process and the children it waited for (the worker).
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    manifest = json.loads((mini_project / "output" / "hour" / "en" / "manifest.json").read_text(encoding="utf-8"))
    duration = manifest["files"]["01-story.mp3"]["duration"]
    print(f"{duration / 60:.1f}-minute segment: peak resident set {peak_kb / 1024:.0f} MB")
    assert duration >= 60 * 60
    assert peak_kb < CEILING_MB * 1024
