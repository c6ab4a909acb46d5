"""What a machine that makes segment files must share with the build: checked before a cluster runs jobs.

Entry points: :class:`EnvironmentProbe` (what to look at, sent to every
worker), :func:`describe_environment` (the same description computed here and
on each worker), :func:`differences` (what a worker has that this machine has
not, one phrase each) and :func:`shared_tokens` (token files that prove a
worker sees the shared folders at the same paths).

A segment file's bytes depend on the code that makes it, the Python packages
under it (numpy, scipy, lameenc, soundfile…), the speech engine and its voice
data, and the speech rules and lexicons. The build's input hashes assume that
every file was made where the build runs; a worker that differs in any of
them would make other bytes under the same hash. So the description holds:

- ``shared <folder>``: the token this build wrote there, as the worker reads
  it, and whether it can create a file there (segment files, speech cache);
- ``python``, ``pipeline code`` (a digest of every file of the package, so two
  checkouts with the same version number still differ) and ``package <name>``
  for every pinned dependency (the cluster extra included);
- ``<backend> for <lang>``: the engine's version string, which covers its
  voice data (phonemes and the language's dictionary), and ``<backend>
  voices``, the installed voice ids;
- ``pronunciation <lang>``: the speech-text store's fingerprint of the
  normaliser's code, reading tables, lexicons and num2words.

Nothing here imports Dask: the description runs the same way in any process.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import platform
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pipeline
from pipeline.fsutil import PARTIAL_SUFFIX, atomic_write_text
from pipeline.project.layout import CLUSTER_CHECK_FOLDER, LOGS_FOLDER

if TYPE_CHECKING:
    from pipeline.build.segments import SegmentJob
    from pipeline.project.station import Station

DISTRIBUTION = "broadcast-pipeline"
CHECKED_EXTRAS = ("cluster",)  # optional dependencies a worker runs with (dev tools are not)
_REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
TOKEN_SUFFIX = ".token"
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class EnvironmentProbe:
    """What a worker is asked to describe (hashable: a worker describes each probe once)."""

    tokens: tuple[tuple[str, str], ...]  # (absolute folder, token file name) pairs
    engines: tuple[tuple[str, str], ...]  # (backend, language) pairs the build's voices use
    speech: tuple[tuple[str, str], ...]  # (language, unknown-Latin policy) pairs
    root: str  # the project folder (absolute): its lexicons are part of the pronunciation


def probe_for(root: Path, station: Station, jobs: Iterable[SegmentJob]) -> EnvironmentProbe:
    """What must match for ``jobs`` (the token files are added when they are written)."""
    engines = sorted({(voice.backend, voice.lang) for job in jobs for voice in job.voices.values()})
    languages = sorted({lang for _, lang in engines})
    speech = tuple((lang, station.speech_settings(lang).unknown_latin) for lang in languages)
    return EnvironmentProbe((), tuple(engines), speech, str(root))


def token_folders(cache: Path, out: Path) -> list[Path]:
    """Where a build's tokens go: in the project's cache (speech, loudness blocks) and in the output
    folder's log folder (segment files are written beside it, and a card never holds it)."""
    return [cache / CLUSTER_CHECK_FOLDER, out / LOGS_FOLDER / CLUSTER_CHECK_FOLDER]


@contextlib.contextmanager
def shared_tokens(folders: list[Path]) -> Iterator[tuple[tuple[str, str], ...]]:
    """Write a fresh token file into each of ``folders`` (absolute) for the duration of the block.

    Runs under the build lock: any other token there was left by a build that
    was killed, and is removed. The tokens stay while the build runs, so that
    a worker joining later can check itself too.
    """
    tokens = []
    try:
        for folder in folders:
            if not folder.is_absolute():
                raise ValueError(f"shared folders must be absolute paths: {folder}")
            for stale in folder.glob(f"*{TOKEN_SUFFIX}"):
                stale.unlink(missing_ok=True)
            name = f"{secrets.token_hex(8)}{TOKEN_SUFFIX}"
            atomic_write_text(folder / name, name + "\n")
            tokens.append((str(folder), name))
        yield tuple(tokens)
    finally:
        for written, name in tokens:
            (Path(written) / name).unlink(missing_ok=True)


@cache
def describe_environment(probe: EnvironmentProbe) -> dict[str, str]:
    """This process's answer to ``probe``: one readable value per thing that must match."""
    description = {f"shared {folder}": _shared_folder(Path(folder), name) for folder, name in probe.tokens}
    description["python"] = platform.python_version()
    description["pipeline code"] = f"{pipeline.__version__} ({_package_digest()})"
    description.update({f"package {name}": version for name, version in _pinned_versions().items()})
    description.update(_engines(probe.engines))
    description.update(_pronunciation(Path(probe.root), probe.speech))
    return description


def differences(here: dict[str, str], there: dict[str, str]) -> list[str]:
    """One phrase per thing a worker has otherwise than this machine: ``what: theirs (here: ours)``."""
    found = []
    for key in sorted(here.keys() | there.keys()):
        mine, theirs = here.get(key, "absent"), there.get(key, "absent")
        if mine != theirs:
            found.append(f"{key}: {theirs} (here: {mine})")
    return found


def _shared_folder(folder: Path, token: str) -> str:
    """``visible and writable`` when the token reads back and a file can be made beside it."""
    try:
        content = (folder / token).read_text(encoding="utf-8").strip()
    except OSError as error:
        return f"not visible ({error.strerror or error})"
    if content != token:
        return "another folder at that path (its token differs)"
    probe = folder / f".write-check-{secrets.token_hex(6)}{PARTIAL_SUFFIX}"  # swept if left behind
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"visible but not writable ({error.strerror or error})"
    return "visible and writable"


@cache
def _package_digest() -> str:
    """A digest of every file of the installed ``pipeline`` package (bytecode caches aside)."""
    package = Path(pipeline.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _pinned_versions() -> dict[str, str]:
    """Installed version of every dependency the project pins (base and :data:`CHECKED_EXTRAS`)."""
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return {"package metadata": "missing (the pipeline is not installed as a package)"}
    versions = {}
    for requirement in requirements:
        extra = _EXTRA_MARKER.search(requirement)
        name = _REQUIREMENT_NAME.match(requirement)
        if name is None or (extra is not None and extra.group(1) not in CHECKED_EXTRAS):
            continue
        try:
            versions[name.group(0).lower()] = importlib.metadata.version(name.group(0))
        except importlib.metadata.PackageNotFoundError:
            versions[name.group(0).lower()] = "not installed"
    return versions


def _engines(engines: tuple[tuple[str, str], ...]) -> dict[str, str]:
    from pipeline.errors import PipelineError
    from pipeline.tts import get_backend

    description = {}
    for backend_name, lang in engines:
        try:
            backend = get_backend(backend_name)
            description[f"{backend_name} for {lang}"] = backend.version(lang)
            voices = ",".join(sorted(voice.id for voice in backend.voices()))
            description[f"{backend_name} voices"] = hashlib.sha256(voices.encode()).hexdigest()[:16]
        except PipelineError as error:  # the engine is missing or broken on this machine
            description[f"{backend_name} for {lang}"] = f"unusable ({error})"
    return description


def _pronunciation(root: Path, speech: tuple[tuple[str, str], ...]) -> dict[str, str]:
    from pipeline.speech.store import fingerprint

    description = {}
    for lang, policy in speech:
        try:
            description[f"pronunciation {lang}"] = fingerprint(root, lang, policy)
        except OSError as error:
            description[f"pronunciation {lang}"] = f"unreadable ({error.strerror or error})"
    return description
