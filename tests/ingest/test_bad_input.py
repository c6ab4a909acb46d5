"""Bad input: one clear line per file, a non-zero exit, the other files still ingested."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import IngestError
from pipeline.ingest import IngestOptions, ingest_file, load_context
from tests.ingest.helpers import INGEST_DATA

BAD = INGEST_DATA / "bad"
EXPECTED = {
    "empty.txt": "empty file",
    "blank.txt": "empty file",
    "picture.txt": "binary file, not text (it contains NUL bytes)",
    "unknown_encoding.txt": "cannot tell the text encoding (not UTF-8, and no other fits)",
    "only_boilerplate.txt": ("no article text found: every line looks like page furniture (see --report)"),
    "mixed_scripts.txt": ("mixed scripts (Latin 37%, Greek 34%, Cyrillic 29%); expected Latin text for 'en'"),
    "other_script.txt": (
        "text is in another writing system (Cyrillic 100%); drafts are written in 'en' (Latin script)"
    ),
    "notes.pdf": "unsupported file type '.pdf' (use .txt, .md, .markdown, .html, .htm)",
}


@pytest.fixture(scope="module")
def context(project_root: Path):
    return load_context(project_root)


def test_every_bad_fixture_has_an_expected_message() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_gives_one_clear_line(name: str, context) -> None:
    result = ingest_file(BAD / name, context)
    assert isinstance(result.error, IngestError)
    assert str(result.error) == f"tests/data/ingest/bad/{name}: {EXPECTED[name]}"
    assert result.drafts == []


def test_enormous_line_is_refused_with_its_line_number(tmp_path: Path, context) -> None:
    source = tmp_path / "huge.txt"
    source.write_text("Title here\n\n" + "word " * 5000 + "\n", encoding="utf-8")
    result = ingest_file(source, context)
    assert result.error is not None
    assert result.error.message == ("line is 24,999 characters long (limit 20,000): not article text")
    assert result.error.location.line == 3


def test_a_sentence_longer_than_max_seconds_is_refused(tmp_path: Path, context) -> None:
    source = tmp_path / "long.txt"
    sentence = "The radio " + "and the radio " * 60 + "played."
    source.write_text(f"A long one\n\nMay 1, 2024\n\n{sentence}\n", encoding="utf-8")
    result = ingest_file(source, context, IngestOptions(max_seconds=30))
    assert result.error is not None
    assert "more than --max-seconds 30" in result.error.message
    assert result.error.location.line == 5


def test_a_large_document_without_sentence_ends_is_refused_before_the_cleaning(tmp_path: Path, context) -> None:
    """250 lines of 19,000 characters, none a sentence end: refused at its first line, in far less
    CPU than cleaning 4.7 MB takes (5 s before this check)."""
    words = ["radio", "news", "people", "listen", "night", "border", "signal", "outside", "station", "voice", "market"]
    line = " ".join(words[n % len(words)] for n in range(3_000))[:19_000]
    source = tmp_path / "unbroken.txt"
    source.write_text("A title\n\n" + "\n\n".join([line] * 250) + "\n", encoding="utf-8")
    started = time.process_time()
    result = ingest_file(source, context)
    spent = time.process_time() - started
    assert result.error is not None
    assert result.error.message.startswith("a sentence of 19,000 characters needs about ")
    assert result.error.message.endswith(" s, more than --max-seconds 90; raise --max-seconds or shorten it")
    assert result.error.location.line == 3
    assert spent < 2.0, f"{spent:.1f} s of CPU"


def test_cli_reports_each_bad_file_and_still_ingests_the_good_ones(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drafts"
    status = main(
        [
            "ingest",
            "--project",
            str(project_root),
            "--out",
            str(out),
            str(BAD / "empty.txt"),
            str(INGEST_DATA / "004_9fbb84ea6802f53d.txt"),
            str(BAD / "picture.txt"),
        ]
    )
    captured = capsys.readouterr()
    assert status == 1
    errors = captured.err.splitlines()
    assert errors == [
        "tests/data/ingest/bad/empty.txt: empty file",
        "tests/data/ingest/bad/picture.txt: binary file, not text (it contains NUL bytes)",
    ]
    assert [p.name for p in out.iterdir()] == ["2014-01-13-five-ways-north-koreans-are-defying.yaml"]
    assert "Traceback" not in captured.err
