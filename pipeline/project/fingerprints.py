"""The files a built folder was made from, and their fingerprints.

Entry points: :func:`source_files` (which project files decide one episode's
files in one language: its script, the templates it uses, ``station.yaml``,
the catalogs and the lexicons), :class:`Fingerprints` (their sha256, each
file read once per run; ``None`` for a file that does not exist, so one
that appears later counts as a change too) and :func:`changed_sources` (what
differs now from what a build recorded). A build records them in each
folder's ``manifest.json``; ``bundle`` refuses a folder whose sources
changed since, or whose script is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.fsutil import sha256_file
from pipeline.project.layout import TEMPLATES_DIR, lexicon_path, po_path
from pipeline.project.script import SHARED_DOMAIN, Episode
from pipeline.project.station import Station


def source_files(
    root: Path, station: Station, episode: Episode, lang: str, voice_languages: Iterable[str]
) -> dict[str, str]:
    """Project-relative path → kind of every file that decides ``episode`` in ``lang``:
    ``voice_languages`` are the languages whose voices read it (their lexicons count)."""
    files = {episode.path: "script", station.path: "station"}
    for name in sorted({segment.template for segment in episode.segments}):
        files[(TEMPLATES_DIR / f"{name}.yaml").as_posix()] = "template"
    if lang != station.source_language:
        for domain in (episode.id, SHARED_DOMAIN):
            files[relative_name(po_path(root, lang, domain), root)] = "catalog"
    for code in sorted({lang, *voice_languages}):
        files[relative_name(lexicon_path(root, code), root)] = "lexicon"
    return files


class Fingerprints:
    """sha256 of project files, each read at most once (``None``: the file does not exist)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._known: dict[str, str | None] = {}

    def of(self, relative: str) -> str | None:
        """The file's sha256, or None when it does not exist."""
        if relative not in self._known:
            try:
                self._known[relative] = sha256_file(self.root / relative)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                self._known[relative] = None
        return self._known[relative]

    def record(self, files: Iterable[str]) -> dict[str, str | None]:
        """Path → sha256 (or None) of every file, for a manifest."""
        return {path: self.of(path) for path in sorted(files)}


def changed_sources(fingerprints: Fingerprints, recorded: Mapping[str, str | None]) -> list[str]:
    """The recorded sources that differ now: ``path (changed)``, ``(removed)`` or ``(added)``."""
    changed = []
    for path, digest in sorted(recorded.items()):
        now = fingerprints.of(path)
        if now == digest:
            continue
        state = "removed" if now is None else "added" if digest is None else "changed"
        changed.append(f"{path} ({state})")
    return changed


def relative_name(path: Path, root: Path) -> str:
    """``path`` as :class:`Fingerprints` names it: relative to ``root`` when under it, else as given."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
