"""``pipeline cache stats | prune``."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path


def test_stats_and_prune_by_last_use(mini_project: Path, cli) -> None:
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    stats = cli("cache", "stats", "--project", str(mini_project))
    assert stats.code == 0
    count = int(re.search(r"tts\s+(\d+) entries", stats.out).group(1))
    assert count >= 10
    assert re.search(r"speech-text\s+1 entries", stats.out)  # the English sentences of the one build
    old = time.time() - 40 * 86400
    flacs = sorted((mini_project / ".cache" / "tts").rglob("*.flac"))[:3]
    for flac in flacs:  # each holds its record: one file per entry
        os.utime(flac, (old, old))
    dry = cli("cache", "prune", "--older-than", "30d", "--dry-run", "--project", str(mini_project))
    assert dry.out.startswith("would delete 3 entries unused for more than 30d")
    assert all(flac.exists() for flac in flacs)
    pruned = cli("cache", "prune", "--older-than", "30d", "--project", str(mini_project))
    assert pruned.code == 0 and pruned.out.startswith("deleted 3 entries")
    assert not any(flac.exists() or flac.with_suffix(".json").exists() for flac in flacs)
    rebuilt = cli("build", "--lang", "en", "--project", str(mini_project))
    assert rebuilt.code == 0  # outputs were current: nothing needed the pruned entries


def test_prune_refuses_a_bad_age(mini_project: Path, cli) -> None:
    result = cli("cache", "prune", "--older-than", "soon", "--project", str(mini_project))
    assert result.code == 2
    assert "--older-than 'soon': write a number and d, h or m" in result.err
