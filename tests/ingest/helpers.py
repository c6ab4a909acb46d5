"""Helpers for ingest tests: the spoken text of drafts and text comparison."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.ingest import Draft

INGEST_DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
_QUOTE_MARKS = re.compile(r"[“”\"«»]")


def comparable(text: str) -> str:
    """``text`` with double quotation marks removed and spaces folded."""
    return " ".join(_QUOTE_MARKS.sub(" ", text).split())


def spoken_body(drafts: list[Draft]) -> str:
    """Every paragraph and quote the drafts would speak (not titles or credits)."""
    pieces: list[str] = []
    for draft in drafts:
        for segment in draft.segments:
            pieces.extend(segment.fields.get("paragraphs", []))  # type: ignore[arg-type]
            if "quote" in segment.fields:
                pieces.append(str(segment.fields["quote"]))
    return comparable(" ".join(pieces))


def contains_line(spoken: str, line: str) -> bool:
    """True when ``line`` (as words) appears in ``spoken``."""
    pattern = r"(?<!\w)" + re.escape(comparable(line)) + r"(?!\w)"
    return re.search(pattern, spoken) is not None
