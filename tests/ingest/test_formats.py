"""Reading: HTML main content, Markdown structure, mojibake repair, legacy encodings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file, load_context
from tests.ingest.helpers import INGEST_DATA, contains_line, spoken_body


@pytest.fixture(scope="module")
def context(project_root: Path):
    return load_context(project_root)


def test_html_main_content_is_extracted_offline(context) -> None:
    result = ingest_file(INGEST_DATA / "listening_at_night.html", context)
    assert result.error is None
    (draft,) = result.drafts
    assert draft.article.title == "Listening at night: the radios that cross the border"
    assert draft.article.date == dt.date(2023, 5, 4)
    assert draft.episode.publication == "Harbour Light Review"
    spoken = spoken_body(result.drafts)
    for body in (
        "Small radios still cross the border in sacks of rice and crates of batteries.",
        "Prices fell by about a third over two years.",
        "News read slowly, twice. Letters from relatives abroad.",
    ):
        assert contains_line(spoken, body)
    for furniture in (
        "Subscribe",
        "Log in",
        "A pocket radio of the kind traders carry.",
        "Donate now to support our reporting!",
        "Ten tips for travel photography in the mountains this summer",
        "Copyright 2023 Harbour Light Review.",
        "Cookie settings",
    ):
        assert not contains_line(spoken, furniture), furniture
    quotes = [s.fields["quote"] for s in draft.segments if "quote" in s.fields]
    assert quotes == [
        "At first I was afraid of every sound in the street. Later the radio became the only voice I trusted."
    ]


def test_html_report_lines_point_into_the_html_file(context) -> None:
    result = ingest_file(INGEST_DATA / "listening_at_night.html", context)
    source = (INGEST_DATA / "listening_at_night.html").read_text(encoding="utf-8").splitlines()
    donate = next(label for label in result.dropped if label.text.startswith("Donate"))
    assert "Donate now" in source[donate.line.number - 1]


def test_mojibake_is_repaired(context) -> None:
    raw = (INGEST_DATA / "batteries_mojibake.txt").read_text(encoding="utf-8")
    assert "governmentâ€™s" in raw
    result = ingest_file(INGEST_DATA / "batteries_mojibake.txt", context)
    spoken = spoken_body(result.drafts)
    assert "The government’s new rules on batteries" in spoken
    assert "about €4 for the parts" in spoken
    assert "â€" not in spoken
    assert any("mojibake" in note for note in result.notes)


def test_legacy_single_byte_encoding_is_detected(context) -> None:
    assert b"\x92" in (INGEST_DATA / "market_cp1252.txt").read_bytes()
    result = ingest_file(INGEST_DATA / "market_cp1252.txt", context)
    assert result.error is None
    assert "the price of a week’s food" in spoken_body(result.drafts)


def test_markdown_structure_gives_title_lists_and_quotes(tmp_path: Path, context) -> None:
    source = tmp_path / "notes.md"
    source.write_text(
        "[Home](/) | [About](/about)\n\n"
        "# Cards in the post\n\n*April 8, 2024*\n\n"
        "Memory cards travel in letters and parcels. They are **small** enough to hide in a "
        "seam, and one card holds a whole season of a drama series.\n\n"
        "![A memory card](card.jpg)\n\n"
        "Couriers say three things matter:\n\n- a dry pouch\n- a trusted buyer\n- a quiet road\n\n"
        "> They never look inside the socks. That is where the cards go.\n\n"
        "— A courier who asked not to be named\n",
        encoding="utf-8",
    )
    result = ingest_file(source, context)
    assert result.error is None, result.error
    (draft,) = result.drafts
    assert draft.article.title == "Cards in the post"
    assert draft.article.date == dt.date(2024, 4, 8)
    assert draft.episode.publication == context.settings.unknown_publication
    spoken = spoken_body(result.drafts)
    assert "They are small enough to hide in a seam" in spoken
    assert "A dry pouch" not in spoken and "a dry pouch. a trusted buyer. a quiet road." in spoken
    quote = draft.segments[-1].fields
    assert quote["quote"] == "They never look inside the socks. That is where the cards go."
    assert quote["speaker"] == "A courier who asked not to be named"
    assert not contains_line(spoken, "A memory card")


@pytest.mark.parametrize("name", ["script_in_headline.html", "script_in_headline.md"])
def test_script_and_style_never_reach_the_title_or_the_speech(name: str, context) -> None:
    result = ingest_file(INGEST_DATA / "repairs" / name, context)
    assert result.error is None
    (draft,) = result.drafts
    assert draft.article.title in ("Radios by the river", "Cards under the floor")
    for code in ("dataLayer", "track(", "document.write", "console.log", "display: none", "color: red", "Subscribe"):
        assert code not in draft.text
    assert "then hides it again" in spoken_body(result.drafts) or "copied so often" in spoken_body(result.drafts)


def test_a_sentence_written_as_a_link_is_text_but_a_row_of_links_is_not(tmp_path: Path, context) -> None:
    source = tmp_path / "links.md"
    source.write_text(
        "# Cards in the post\n\n*April 8, 2024*\n\n"
        "Memory cards travel in letters and parcels, and one card holds a whole season of a drama series.\n\n"
        "[A survey of people who left in 2023 found that most had watched foreign films "
        "at least once a week.](/survey)\n\n"
        "[Markets](/m) · [Radio](/r) · [Phones](/p) · [Archive](/a)\n",
        encoding="utf-8",
    )
    result = ingest_file(source, context)
    spoken = spoken_body(result.drafts)
    assert "most had watched foreign films at least once a week." in spoken
    reasons = {label.text: label.reason for label in result.dropped}
    assert reasons["Markets · Radio · Phones · Archive"].startswith("link-dense block")
