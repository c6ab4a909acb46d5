"""Writing drafts without ever overwriting a producer's edits.

Entry point: :func:`write_drafts`. A draft file is replaced only when it
still holds exactly what ingest last wrote there; the SHA-256 of each file
ingest writes is kept in a ledger (``.cache/ingest/written.json`` of the
project). A draft that was edited since (or that ingest has no record of) is
left alone and the new draft is written beside it as ``<name>.new.yaml``,
which the command reports. When that file too was edited, nothing is written
and the draft is reported as not written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.fsutil import atomic_write_text, write_if_changed
from pipeline.project.layout import INGEST_LEDGER

LEDGER_FILE = INGEST_LEDGER
NEW_SUFFIX = ".new.yaml"


class HasDraftText(Protocol):
    """A draft to write: its id names the file, its text is the file."""

    @property
    def file_stem(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class WrittenDraft:
    """Where one draft went: its file, and the edited draft it was kept beside (if any)."""

    path: Path | None  # None when nothing could be written
    edited: Path | None = None  # the producer's edited draft, left as it was


class Ledger:
    """Path → SHA-256 of the text ingest last wrote there."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.hashes: dict[str, str] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}  # an unreadable ledger knows nothing: every draft counts as edited
            if isinstance(loaded, dict):
                self.hashes = {str(k): str(v) for k, v in loaded.items()}

    def wrote(self, target: Path, current: str) -> bool:
        """True when ``current`` (the file's text now) is what ingest last wrote at ``target``."""
        return self.hashes.get(_key(target)) == _digest(current)

    def record(self, target: Path, text: str) -> None:
        """Remember that ingest wrote ``text`` at ``target``."""
        self.hashes[_key(target)] = _digest(text)

    def save(self) -> None:
        """Write the ledger (atomically), when it has a file; drafts deleted since are forgotten."""
        if self.path is None:
            return
        kept = {key: digest for key, digest in self.hashes.items() if Path(key).is_file()}
        atomic_write_text(self.path, json.dumps(kept, indent=1, sort_keys=True) + "\n")


def write_drafts(drafts: Sequence[HasDraftText], out_dir: Path, ledger_path: Path | None = None) -> list[WrittenDraft]:
    """Write each draft as ``<out_dir>/<stem>.yaml``, or beside an edited one as ``<stem>.new.yaml``."""
    ledger = Ledger(ledger_path)
    written = [_write_one(draft, out_dir, ledger) for draft in drafts]
    ledger.save()
    return written


def _write_one(draft: HasDraftText, out_dir: Path, ledger: Ledger) -> WrittenDraft:
    target = out_dir / f"{draft.file_stem}.yaml"
    if _may_replace(target, draft.text, ledger):
        _write(target, draft.text, ledger)
        return WrittenDraft(target)
    beside = out_dir / f"{draft.file_stem}{NEW_SUFFIX}"
    if _may_replace(beside, draft.text, ledger):
        _write(beside, draft.text, ledger)
        return WrittenDraft(beside, edited=target)
    return WrittenDraft(None, edited=target)


def _may_replace(target: Path, text: str, ledger: Ledger) -> bool:
    """True when ``target`` is absent, already holds ``text``, or holds what ingest last wrote."""
    try:
        current = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False
    return current == text or ledger.wrote(target, current)


def _write(target: Path, text: str, ledger: Ledger) -> None:
    write_if_changed(target, text.encode("utf-8"))
    ledger.record(target, text)


def _key(target: Path) -> str:
    return str(target.resolve())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
