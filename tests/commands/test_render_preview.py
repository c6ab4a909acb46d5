"""``pipeline render --allow-incomplete``: a translator previews what is done, gaps marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from tests.commands.test_i18n import KOREAN, prepare
from tests.commands.test_i18n import project as project  # a fixture


def render(project: Path, *options: str) -> int:
    return main(["render", "sd-cards", "--lang", "ko", "--written", "--project", str(project), *options])


def test_a_preview_shows_every_translated_part_and_marks_the_gaps(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(project, skip=("episode.title", "cards.paragraphs"))
    capsys.readouterr()
    assert render(project) == 1
    refused = capsys.readouterr()
    assert "Why SD cards" not in refused.out and "SD card is smaller" not in refused.out
    assert "# ⟨not translated⟩ [ko]" in refused.out  # never the English title under [ko]

    assert render(project, "--allow-incomplete") == 0
    preview = capsys.readouterr()
    lines = preview.out.splitlines()
    assert lines[0] == "# ⟨not translated⟩ [ko]"
    # The ident's second part names the episode title, which is missing.
    assert "[host] ⟨not translated⟩ not translated in locales/ko/LC_MESSAGES/sd-cards.po:" in preview.out
    assert f"[host] {KOREAN['sd-cards']['cards.title']}" in lines
    gaps = [line for line in lines if "⟨not translated⟩" in line]
    assert len(gaps) == 1 + 1 + 2  # the heading, the ident's title part, both paragraphs
    assert not any("SD card is smaller" in line or "swallowed" in line for line in lines)
    assert "sd-cards.yaml:2: title: ko: not translated" in preview.err
