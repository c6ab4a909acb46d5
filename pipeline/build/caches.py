"""What the build caches under ``.cache`` hold, and removing what has not been used lately.

Entry points: :func:`entries` (every entry of every cache, with its size and
last use) and :func:`prune`. Each cache keeps an entry as a data file and,
for some kinds, a small record beside it; the newer of the two times is the
entry's last use, because a build touches what it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.build.lock import build_lock
from pipeline.project.layout import CACHE_DIR, LEVELS_CACHE, MO_CACHE, REVIEW_CACHE, SPEECH_TEXT_CACHE, TTS_CACHE

# Each kind's data-file suffix and, where it has one, its record's suffix.
CACHE_KINDS: dict[str, tuple[str, str | None]] = {
    TTS_CACHE: (".wav", ".json"),
    LEVELS_CACHE: (".npy", None),
    MO_CACHE: (".mo", ".mo.src"),
    SPEECH_TEXT_CACHE: (".json", None),
    REVIEW_CACHE: (".json", None),
}


@dataclass
class Entry:
    """One cache entry: its files and when it was last used."""

    kind: str
    files: list[Path]
    last_used: float

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return sum(path.stat().st_size for path in self.files if path.exists())


def entries(root: Path) -> list[Entry]:
    """Every entry of every cache under the project's ``.cache``."""
    found = []
    for kind, (data_suffix, record_suffix) in CACHE_KINDS.items():
        folder = root / CACHE_DIR / kind
        for data in sorted(folder.rglob(f"*{data_suffix}")) if folder.exists() else []:
            record = data.with_name(data.name.removesuffix(data_suffix) + record_suffix) if record_suffix else None
            files = [data, record] if record and record.exists() else [data]
            found.append(Entry(kind, files, max(path.stat().st_mtime for path in files)))
    return found


def prune(root: Path, cutoff: float, dry_run: bool = False) -> tuple[int, int]:
    """Delete (unless ``dry_run``) the entries last used before ``cutoff`` (a Unix time), under
    the build lock so that no build is reading them; how many entries, and their bytes."""
    stale = [entry for entry in entries(root) if entry.last_used < cutoff]
    freed = sum(entry.size for entry in stale)
    if not dry_run:
        with build_lock(root, "cache prune"):
            for entry in stale:
                for path in entry.files:
                    path.unlink(missing_ok=True)
    return len(stale), freed
