"""Reading the ``manifest.json`` a build writes beside each folder of output files.

Entry points: :class:`ManifestWriter` (what a build keeps and saves),
:func:`read_manifest` and :func:`find_manifests` (what verify and bundle
read). A manifest
names the episode, language, localised title and the profile the files were
made with, and lists every file with its kind, size and sha256 (audio files
also with duration, title and segment). Problems raise
:class:`~pipeline.errors.OutputError` naming the manifest.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.build.filehashes import FileHashes
from pipeline.errors import OutputError, SourceLocation
from pipeline.fsutil import atomic_write_bytes, write_if_changed
from pipeline.project.station import Profile, as_codec

MANIFEST_NAME = "manifest.json"
AUDIO_KINDS = ("segment", "episode")
# Header fields a build records so that a card can tell a finished, current folder:
COMPLETE_KEY = "complete"  # true only once the build that described the folder finished it
SCRIPT_KEY = "script"  # the episode's script, project-relative (gone: the episode was retracted)
SOURCES_KEY = "sources"  # project file -> sha256 (null: absent) of everything the folder was made from
DATE_KEY = "date"  # the episode's date (cards play the newest first)
LEFT_OUT_KEY = "left_out"  # segments left out (built with --allow-incomplete)


@dataclass(frozen=True)
class ManifestFile:
    """One file a manifest lists."""

    name: str
    kind: str
    bytes: int | None
    sha256: str | None
    duration: float | None = None
    title: str | None = None
    segment: str | None = None
    lyrics_for: str | None = None


@dataclass(frozen=True)
class Manifest:
    """A folder of built files: what they are and what they were made with."""

    path: Path
    episode: str
    language: str
    title: str
    profile: Profile
    files: dict[str, ManifestFile] = field(default_factory=dict)
    complete: bool = False
    sources: dict[str, str | None] | None = None  # None: a build that did not record them
    script: str = ""
    date: str = ""
    left_out: tuple[str, ...] = ()

    @property
    def folder(self) -> Path:
        """The folder the listed files are in."""
        return self.path.parent

    def segments(self) -> list[ManifestFile]:
        """The per-segment audio files, in name (= play) order."""
        return sorted(
            (entry for entry in self.files.values() if entry.kind == "segment"),
            key=lambda entry: entry.name,
        )


def read_manifest(path: Path, shown: str | None = None) -> Manifest:
    """The manifest at ``path``; raises OutputError when it is missing or malformed."""
    where = SourceLocation(shown or path.as_posix())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot read manifest: {exc.strerror}", where) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutputError(f"not a valid JSON manifest ({exc})", where) from exc
    try:
        return Manifest(
            path=path,
            episode=_text(data, "episode"),
            language=_text(data, "language"),
            title=_text(data, "title"),
            profile=_profile(data["profile"]),
            files={name: _file(name, entry) for name, entry in data["files"].items()},
            complete=data.get(COMPLETE_KEY) is True,
            sources=_sources(data.get(SOURCES_KEY)),
            script=str(data.get(SCRIPT_KEY) or ""),
            date=str(data.get(DATE_KEY) or ""),
            left_out=tuple(str(segment) for segment in data.get(LEFT_OUT_KEY) or ()),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OutputError(f"manifest is missing or has a bad field: {exc}", where) from exc


def find_manifests(root: Path) -> list[Path]:
    """Every manifest under ``root``, sorted."""
    return sorted(root.rglob(MANIFEST_NAME))


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text")
    return value


def _sources(data: Any) -> dict[str, str | None] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"'{SOURCES_KEY}' must be a mapping")
    return {str(path): None if digest is None else str(digest) for path, digest in data.items()}


def _profile(data: dict[str, Any]) -> Profile:
    bitrate = data.get("bitrate_kbps")
    return Profile(
        name=str(data["name"]),
        codec=as_codec(data["codec"]),
        bitrate_kbps=int(bitrate) if bitrate is not None else None,
        sample_rate=int(data["sample_rate"]),
        channels=int(data["channels"]),
        loudness_lufs=float(data.get("loudness_lufs", 0.0)),
        true_peak_dbtp=float(data.get("true_peak_dbtp", 0.0)),
    )


def _file(name: str, entry: dict[str, Any]) -> ManifestFile:
    duration = entry.get("duration")
    size = entry.get("bytes")
    return ManifestFile(
        name=name,
        kind=str(entry["kind"]),
        bytes=int(size) if size is not None else None,
        sha256=entry.get("sha256"),
        duration=float(duration) if duration is not None else None,
        title=entry.get("title"),
        segment=entry.get("segment"),
        lyrics_for=entry.get("for"),
    )


class ManifestWriter:
    """``manifest.json`` of one output folder as a build keeps it: loaded, updated file by file,
    saved. What it writes is what :func:`read_manifest` reads."""

    def __init__(self, folder: Path, hashes: FileHashes | None = None) -> None:
        self.folder = folder
        self.hashes = hashes or FileHashes()
        self.path = folder / MANIFEST_NAME
        self.header: dict[str, Any] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._saved: dict[str, Any] | None = None  # what the file holds (when loaded or saved)

    @classmethod
    def load(cls, folder: Path, hashes: FileHashes | None = None) -> ManifestWriter:
        """The folder's manifest, or an empty one when missing or unreadable; ``hashes`` may
        remember the files' sha256 from an earlier build."""
        manifest = cls(folder, hashes)
        try:
            text = manifest.path.read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError):
            return manifest
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            manifest.files = data["files"]
            manifest.header = {k: v for k, v in data.items() if k != "files"}
            manifest._saved = _snapshot(data)
        return manifest

    def describe(
        self,
        episode: str,
        language: str,
        title: str,
        profile: dict[str, Any],
        build: dict[str, Any] | None = None,
    ) -> None:
        """Say what the folder holds: the episode, its language and title, and the profile;
        ``build`` adds what it is made from (``script``, ``sources``, ``date``, ``left_out``). The folder
        counts as unfinished until :meth:`mark_complete`."""
        self.header = {"episode": episode, "language": language, "title": title, "profile": profile}
        self.header.update(build or {})
        self.header[COMPLETE_KEY] = False

    def mark_complete(self) -> None:
        """Record that every file of the folder was made by the build that described it."""
        self.header[COMPLETE_KEY] = True

    def entry(self, name: str) -> dict[str, Any] | None:
        """The record of file ``name``."""
        return self.files.get(name)

    def is_current(self, name: str, wanted_input_hash: str) -> bool:
        """True when ``name`` exists intact and was made from the same inputs."""
        record = self.files.get(name)
        if not record or record.get("input_hash") != wanted_input_hash:
            return False
        path = self.folder / name
        try:
            found = os.lstat(path)  # one system call: a no-op build asks this of every file it keeps
        except OSError:
            return False
        if not stat.S_ISREG(found.st_mode) or found.st_size != record.get("bytes"):
            return False  # missing, a link, or not the size recorded
        return self.hashes.sha256(path, found) == record.get("sha256")

    def record(self, name: str, written: str | None = None, **fields: Any) -> None:
        """Record file ``name`` with its size and sha256 and the given fields (``written``: the
        sha256 of the bytes the build has just put there, which are then not read back)."""
        path = self.folder / name
        if written is None:
            digest = self.hashes.sha256(path)
            size = path.stat().st_size
        else:
            digest, size = written, self.hashes.remember(path, written).st_size
        self.files[name] = {**fields, "bytes": size, "sha256": digest}

    def keep_only(self, names: set[str]) -> list[str]:
        """Forget and delete files this build no longer produces; return their names."""
        removed = []
        for name in sorted(set(self.files) - names):
            (self.folder / name).unlink(missing_ok=True)
            del self.files[name]
            removed.append(name)
        return removed

    def save(self) -> None:
        """Write the manifest atomically (sorted keys, stable formatting), unless it holds
        what the file already does (then it is not even formatted again). A manifest that
        differs from what this writer last loaded or saved differs from the file too, which is
        then written without being read first (a build saves a folder's manifest after each of
        its files)."""
        data = {**self.header, "files": self.files}
        if data == self._saved and self.path.exists():
            return
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
        if self._saved is None:
            write_if_changed(self.path, text.encode("utf-8"))
        else:
            atomic_write_bytes(self.path, text.encode("utf-8"))
        self._saved = _snapshot(data)


def _snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """What a manifest holds, to tell later whether anything changed. A file's record is replaced
    whole, never changed in place, so the records themselves need no copy (a second parse of every
    manifest was a tenth of a no-op build)."""
    return {**data, "files": dict(data["files"])}
