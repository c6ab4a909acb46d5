"""A catalog that cannot be read fails every command that reads it, with one line naming file:line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.i18n.pofile import read_po_file
from pipeline.project.layout import po_path
from tests.commands.test_i18n import msgfmt_check, prepare
from tests.commands.test_i18n import project as project  # a fixture

Breakage = Callable[[str], str]


def _first_msgstr_typo(text: str) -> str:
    return text.replace('\nmsgstr "', '\nmsgstrr "', 2).replace('\nmsgstrr "', '\nmsgstr "', 1)


def _as_euc_kr(text: str) -> str:
    """The text as a legacy Korean editor saved it (read back here as Latin-1 to write it unchanged)."""
    return text.encode("euc-kr").decode("latin-1")


BREAKAGES: dict[str, tuple[Breakage, str]] = {
    "unknown charset": (
        lambda text: text.replace("charset=UTF-8", "charset=NOPE-99"),
        "unknown charset 'NOPE-99' in the Content-Type header",
    ),
    "UTF-8 declared as EUC-KR": (
        lambda text: text.replace("charset=UTF-8", "charset=EUC-KR"),
        "the header declares charset=EUC-KR, but the file is written in UTF-8",
    ),
    "UTF-8 declared as Latin-1": (
        lambda text: text.replace("charset=UTF-8", "charset=ISO-8859-1"),
        "the header declares charset=ISO-8859-1, but the file is written in UTF-8",
    ),
    "EUC-KR declared as Latin-1": (
        lambda text: _as_euc_kr(text.replace("charset=UTF-8", "charset=ISO-8859-1")),
        "the header declares charset=ISO-8859-1, but the text reads as cp949",
    ),
    "empty": (lambda text: "", "empty catalog"),
    "keyword typo": (_first_msgstr_typo, "unknown keyword 'msgstrr' (did you mean 'msgstr'?)"),
}
COMMANDS = [
    ["i18n", "check"],
    ["i18n", "compile"],
    ["i18n", "stats"],
    ["i18n", "update"],
    ["render", "sd-cards", "--lang", "ko"],
    ["build", "sd-cards", "--lang", "ko", "--dry-run"],
]


@pytest.fixture
def translated(project: Path) -> Path:
    prepare(project)
    return project


@pytest.mark.parametrize("kind", BREAKAGES)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c[0] != "i18n" else c[1])
def test_every_command_that_reads_catalogs_stops_with_one_line(
    translated: Path, capsys: pytest.CaptureFixture[str], kind: str, command: list[str]
) -> None:
    breakage, expected = BREAKAGES[kind]
    path = po_path(translated, "ko", "sd-cards")
    broken = breakage(path.read_text(encoding="utf-8"))
    path.write_bytes(broken.encode("latin-1") if kind == "EUC-KR declared as Latin-1" else broken.encode("utf-8"))
    before = path.read_bytes()
    capsys.readouterr()
    status = main([*command, "--project", str(translated)])
    captured = capsys.readouterr()
    assert status != 0
    problems = [line for line in (captured.out + captured.err).splitlines() if expected in line]
    assert problems, captured
    assert "locales/ko/LC_MESSAGES/sd-cards.po:" in problems[0]
    assert "Traceback" not in captured.err
    assert path.read_bytes() == before  # nothing written over the translator's file
    if command[0] == "render":
        assert "[ko]" not in captured.out  # no English under the Korean heading


def test_update_gives_a_catalog_without_a_header_the_one_a_new_catalog_has(
    translated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = po_path(translated, "ko", "sd-cards")
    text = path.read_text(encoding="utf-8")
    body = text[text.index("\n\n", text.index('msgid ""')) + 2 :]  # everything after the header entry
    path.write_text(body, encoding="utf-8")
    assert main(["i18n", "update", "--project", str(translated)]) == 0
    catalog = read_po_file(path, translated)
    assert catalog.header_field("Language") == "ko"
    assert catalog.header_field("Plural-Forms") == "nplurals=1; plural=0;"
    assert len([e for e in catalog.messages() if e.translated]) == 4
    msgfmt_check(path)


def test_update_writes_nothing_when_one_catalog_is_broken(translated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = translated / "scripts_src/episodes/sd-cards.yaml"
    script.write_text(script.read_text().replace("in seconds", "in a few seconds"))
    assert main(["i18n", "extract", "--project", str(translated)]) == 0
    good = po_path(translated, "ko", "sd-cards")
    before = good.read_bytes()
    broken = po_path(translated, "ko", "station")
    broken.write_text(broken.read_text(encoding="utf-8").replace("charset=UTF-8", "charset=NOPE-99"), encoding="utf-8")
    capsys.readouterr()
    assert main(["i18n", "update", "--project", str(translated)]) == 1
    assert "station.po:" in capsys.readouterr().err
    assert good.read_bytes() == before
