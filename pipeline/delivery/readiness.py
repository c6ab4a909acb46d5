"""Is a built folder fit for a card? Finished, whole, current, and its episode not retracted.

Entry points: :func:`unready_reasons` (why one folder is not ready; empty
when it is), :func:`split_ready` (the ready manifests and one
:class:`Unready` per other folder) and :class:`FoldersNotReady` (the refusal,
one line per folder). It reads only what the build recorded in each
``manifest.json`` (see :mod:`pipeline.formats.manifests`): whether the build
that described the folder finished it, the files it made, the fingerprints of
the project files it was made from, and the segments it left out; a changed
script is read for its ``languages:``, which may have retracted the folder's
language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError, Problem, ProblemList, SourceLocation, ValidationFailed
from pipeline.formats.manifests import Manifest
from pipeline.project.fingerprints import Fingerprints, changed_sources
from pipeline.project.yamlsource import load_located

SHOWN_LIMIT = 3  # names listed in one reason before "and N more"


@dataclass(frozen=True)
class Unready:
    """A built folder that may not go on a card, and why."""

    manifest: Manifest
    shown: str  # the folder as people see it
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.shown}: not ready: {'; '.join(self.reasons)}"


def unready_reasons(manifest: Manifest, fingerprints: Fingerprints) -> list[str]:
    """Why the folder may not go on a card (empty: it may)."""
    reasons = []
    legacy = manifest.sources is None or not manifest.script
    if legacy:
        reasons.append("built before builds recorded their sources and completion: build it again")
    elif not manifest.complete:
        reasons.append("its build did not finish (interrupted or failed): build it again")
    missing = _missing_files(manifest)
    if missing:
        reasons.append(f"{len(missing)} of its files are missing or cut short: {_some(missing)}")
    if manifest.left_out:
        reasons.append(
            f"built without {len(manifest.left_out)} untranslated segments (--allow-incomplete): "
            f"{_some(manifest.left_out)}"
        )
    if legacy or manifest.sources is None:
        return reasons
    if fingerprints.of(manifest.script) is None:
        reasons.append(f"retracted: its script {manifest.script} no longer exists")
        return reasons
    changed = changed_sources(fingerprints, manifest.sources)
    script_changed = fingerprints.of(manifest.script) != manifest.sources.get(manifest.script)
    made_in = _languages_named(fingerprints.root / manifest.script) if script_changed else ()
    if made_in and manifest.language not in made_in:
        reasons.append(f"retracted: its script {manifest.script} now makes it only in {', '.join(made_in)}")
    elif changed:
        reasons.append(f"older than its sources: {_some(changed)} since it was built: build it again")
    return reasons


def split_ready(
    manifests: Iterable[Manifest], fingerprints: Fingerprints, shown: dict[str, str]
) -> tuple[list[Manifest], list[Unready]]:
    """The manifests of ready folders, and the others with their reasons (``shown``: how each
    folder, by its path, is named to people)."""
    ready, unready = [], []
    for manifest in manifests:
        reasons = unready_reasons(manifest, fingerprints)
        if reasons:
            folder = shown.get(str(manifest.folder), manifest.folder.as_posix())
            unready.append(Unready(manifest, folder, tuple(reasons)))
        else:
            ready.append(manifest)
    return ready, unready


class FoldersNotReady(ProblemList, OutputError):
    """Built folders that may not go on a card; one line each, nothing written."""

    def __init__(self, unready: Sequence[Unready]) -> None:
        super().__init__(
            Problem(SourceLocation(item.shown), f"not ready: {'; '.join(item.reasons)}") for item in unready
        )
        self.unready = list(unready)

    def __str__(self) -> str:
        hint = "nothing written (--skip-unready leaves such folders out)"
        return "\n".join([*(str(problem) for problem in self.problems), hint])


def _languages_named(script: Path) -> tuple[str, ...]:
    """The ``languages:`` a script names (empty when it names none or cannot be read: a script
    that cannot be read is reported by the build, and its change is reason enough here)."""
    try:
        data = load_located(script).data
    except ValidationFailed:
        return ()
    named = data.get("languages") if isinstance(data, dict) else None
    return tuple(str(code) for code in named) if isinstance(named, list) else ()


def _missing_files(manifest: Manifest) -> list[str]:
    missing = []
    for name, entry in sorted(manifest.files.items()):
        path = manifest.folder / name
        if not path.is_file() or (entry.bytes is not None and path.stat().st_size != entry.bytes):
            missing.append(name)
    return missing


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN_LIMIT])
    return shown if len(names) <= SHOWN_LIMIT else f"{shown} and {len(names) - SHOWN_LIMIT} more"
