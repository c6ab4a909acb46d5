"""The built-in reading tables shipped in ``pipeline/speech/data/``.

Entry points: :func:`data_path` and :func:`load_rules`. The tables are plain
YAML so that they can be read and corrected without touching code; they are
loaded once per process.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from pipeline.project.yamlsource import FAST_LOADER

DATA_DIR = Path(__file__).parent / "data"


def data_path(name: str) -> Path:
    """The built-in data file ``name`` (without ``.yaml``)."""
    return DATA_DIR / f"{name}.yaml"


@functools.cache
def load_rules(name: str) -> dict[str, Any]:
    """The mapping in the built-in data file ``name``, parsed once."""
    with data_path(name).open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=FAST_LOADER)
    if not isinstance(data, dict):
        raise TypeError(f"{data_path(name)} must hold a mapping")  # a packaging bug
    return data


def alternation(words: list[str]) -> str:
    """A regular-expression alternation of ``words``, longest first (so the longest wins)."""
    return "|".join(re.escape(word) for word in sorted(set(words), key=lambda w: (-len(w), w)))
