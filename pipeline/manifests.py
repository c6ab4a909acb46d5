"""Reading the ``manifest.json`` a build writes beside each folder of output files.

Entry points: :func:`read_manifest` and :func:`find_manifests`. A manifest
names the episode, language, localised title and the profile the files were
made with, and lists every file with its kind, size and sha256 (audio files
also with duration, title and segment). Problems raise
:class:`~pipeline.errors.OutputError` naming the manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Profile
from .errors import OutputError, SourceLocation

MANIFEST_NAME = "manifest.json"
AUDIO_KINDS = ("segment", "episode")


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


def _profile(data: dict[str, Any]) -> Profile:
    bitrate = data.get("bitrate_kbps")
    return Profile(
        name=str(data["name"]),
        codec=str(data["codec"]),
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
