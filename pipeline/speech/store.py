"""Normalised sentences kept between builds: a build whose text did not change normalises nothing.

Entry point: :func:`stored_normaliser`. A language's results are kept in
``<folder>/<lang>.<fingerprint>.json``. The fingerprint covers everything
besides the text that shapes a result: the normaliser's and the pronunciation
rules' code and tables, the built-in and project lexicons (with their
``pronounce:`` lists), the station's policy for Latin words, whether the
language's voices want Korean respelled as pronounced, and the Python,
num2words and morphological analyser (mecab-ko and its dictionary)
installations. When any of them changes
the store starts afresh, so a result is never reused under other rules. The
lexicons and language rules are loaded only when some text is not in the
store. A store file that cannot be read is ignored and written again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pipeline.project.station as station_module
from pipeline.errors import storage_error
from pipeline.fsutil import atomic_write_text
from pipeline.project.layout import lexicon_path
from pipeline.project.station import Station
from pipeline.speech.morphology import analyser_files
from pipeline.speech.pieces import SpeechChunk

STORE_FORMAT = 2  # 2: a chunk may carry its respelling as pronounced
_PACKAGE = Path(__file__).parent
# The normaliser's code, its reading tables, and the station settings it is given.
_RULE_SOURCES = (
    *sorted(_PACKAGE.glob("*.py")),
    *sorted((_PACKAGE / "data").glob("*.yaml")),
    Path(station_module.__file__),
)


class StoredNormaliser:
    """A normaliser that answers from the store and normalises (then keeps) only new text."""

    def __init__(self, path: Path, lang: str, load: Callable[[], Callable[[str], list[SpeechChunk]]]) -> None:
        self.path = path
        self.lang = lang
        self._load = load
        self._normalise: Callable[[str], list[SpeechChunk]] | None = None
        self._stored = _read(path)
        self._used: dict[str, tuple[SpeechChunk, ...]] = {}

    def __call__(self, text: str) -> list[SpeechChunk]:
        """``text`` as the language's normaliser reads it; each call gets its own list."""
        chunks = self._used.get(text)
        if chunks is None:
            chunks = self._stored.get(text)
            if chunks is None:
                chunks = tuple(self._normaliser()(text))
            self._used[text] = chunks
        return list(chunks)

    def save(self, prune: bool = True) -> None:
        """Keep the texts used since loading (with ``prune``, only those: a build of every
        episode drops the sentences no script says any more; without it, the stored ones too),
        unless the file already holds exactly that; remove the language's files made under
        other fingerprints. The store only saves work: where the project cannot be written
        (read-only, full), the text is normalised afresh next time."""
        try:
            self._save(prune)
        except OSError as error:
            if storage_error(error) is None:
                raise

    def _save(self, prune: bool) -> None:
        kept = self._used if prune else {**self._stored, **self._used}
        if kept != self._stored:
            texts = {text: [_stored_chunk(chunk) for chunk in chunks] for text, chunks in kept.items()}
            document = {"format": STORE_FORMAT, "texts": texts}
            atomic_write_text(self.path, json.dumps(document, ensure_ascii=False, separators=(",", ":")))
        elif self.path.exists():
            os.utime(self.path)  # last use, for `pipeline cache prune`
        for other in self.path.parent.glob(f"{self.lang}.*.json"):
            if other != self.path:
                other.unlink(missing_ok=True)

    def _normaliser(self) -> Callable[[str], list[SpeechChunk]]:
        if self._normalise is None:
            self._normalise = self._load()
        return self._normalise


def stored_normaliser(folder: Path, root: Path, station: Station, lang: str) -> StoredNormaliser:
    """The project's normaliser for ``lang`` (see :func:`pipeline.speech.normaliser_for`),
    answering from the store in ``folder``."""
    from pipeline.speech import normaliser_for

    policy = station.speech_settings(lang).unknown_latin
    respelled = station.respells(lang)
    path = folder / f"{lang}.{fingerprint(root, lang, policy, respelled)}.json"  # no language code holds a dot
    return StoredNormaliser(path, lang, lambda: normaliser_for(root, station, lang, pronounce=respelled))


def fingerprint(root: Path, lang: str, policy: str, respelled: bool = False) -> str:
    """A digest of everything besides the text that shapes how ``lang`` is normalised (and,
    with ``respelled``, respelled as pronounced)."""
    digest = hashlib.sha256(f"{STORE_FORMAT}\0{lang}\0{policy}\0{respelled}\0{sys.version}\0".encode())
    analyser = analyser_files() if respelled else []
    sources = (
        *_RULE_SOURCES,
        *installed_package_files("num2words"),
        *analyser,
        lexicon_path(root, lang),
        lexicon_path(root, "en"),
    )
    for path in sources:
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(none)")
    return digest.hexdigest()[:20]


def installed_package_files(package: str) -> list[Path]:
    """Files that identify an installed package's version without importing it: its
    ``__init__.py`` and its distribution's METADATA."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return []
    init = Path(spec.origin)
    return [init, *sorted(init.parent.parent.glob(f"{package}-*.dist-info/METADATA"))]


def _read(path: Path) -> dict[str, tuple[SpeechChunk, ...]]:
    """The stored texts, or none when the file is missing, unreadable or not in this format."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("format") != STORE_FORMAT:
        return {}
    texts = document.get("texts")
    if not isinstance(texts, dict) or not all(_is_chunk_list(chunks) for chunks in texts.values()):
        return {}
    return {text: tuple(SpeechChunk(*chunk) for chunk in chunks) for text, chunks in texts.items()}


def _stored_chunk(chunk: SpeechChunk) -> list[str]:
    """``[text, lang]``, or ``[text, lang, pronounced]`` for a chunk respelled as pronounced."""
    fields = [chunk.text, chunk.lang]
    return fields if chunk.pronounced is None else [*fields, chunk.pronounced]


def _is_chunk_list(chunks: object) -> bool:
    return isinstance(chunks, list) and all(
        isinstance(chunk, list) and len(chunk) in (2, 3) and all(isinstance(item, str) for item in chunk)
        for chunk in chunks
    )
