"""What the speech tests share: the case tables and how chunks are written down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.project.yamlsource import load_located
from pipeline.speech import SpeechChunk

DATA = Path(__file__).resolve().parents[1] / "data" / "speech"


@dataclass(frozen=True)
class Case:
    """One row of a case table: written text and what the voices should read."""

    section: str
    line: int
    written: str
    said: str

    @property
    def id(self) -> str:
        return f"{self.section}:{self.line}:{self.written.strip()[:30]}"


def load_cases(name: str) -> list[Case]:
    """Every case of ``tests/data/speech/<name>.yaml`` with the line it is written on."""
    document = load_located(DATA / f"{name}.yaml")
    cases = []
    for section, table in document.data.items():
        for written, said in table.items():
            line = document.line_of((section, written))
            cases.append(Case(section, line, written, str(said)))
    return cases


def render(chunks: list[SpeechChunk], lang: str) -> str:
    """Chunks as one line: " | " between chunks, other voices marked "[en] "."""
    return " | ".join(c.text if c.lang == lang else f"[{c.lang}] {c.text}" for c in chunks)
