"""Headlines: glued to the body and split off; written in capitals and put in title case for speech."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file, load_context
from pipeline.ingest.headlines import headline_case, split_glued
from pipeline.speech import load_lexicon, normalise
from tests.ingest.helpers import INGEST_DATA, spoken_body

HEADLINES = INGEST_DATA / "headlines"
SENTENCE = "The report said that radios were common in the border towns."
# page → (title, date, first spoken sentence)
PAGES = {
    "glued_capitals.txt": (
        "Border Watch: Small Radios Carry News from Outside",
        dt.date(2024, 10, 2),
        "The report said that wind-up radios have become the most common way",
    ),
    "glued_title_case.txt": (
        "Radios Reach the Northern Farm Towns",
        dt.date(2024, 3, 18),
        "Farmers in two provinces told researchers that a cheap radio",
    ),
    "capitals.html": (
        "BBC and VOA Signals Reach the North on USB Sticks",
        dt.date(2024, 6, 1),
        "Recordings of foreign radio programmes are now copied onto USB sticks",
    ),
}


@pytest.fixture(scope="module")
def context(project_root: Path):
    return load_context(project_root)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (f"NEWS FROM OUTSIDE{SENTENCE}", ("NEWS FROM OUTSIDE", SENTENCE)),
        (f"SMALL RADIOS: NEWS FROM OUTSIDE{SENTENCE}", ("SMALL RADIOS: NEWS FROM OUTSIDE", SENTENCE)),
        ("NEWS FROM OUTSIDEA report said so.", None),  # a body of fewer than six words is no sentence to split off
        (
            "NEWS FROM OUTSIDEA report released today said radios were common in towns.",
            ("NEWS FROM OUTSIDE", "A report released today said radios were common in towns."),
        ),
        (f"Small Radios Reach the North{SENTENCE}", ("Small Radios Reach the North", SENTENCE)),
        (f"The BBC World Service Reaches the North{SENTENCE}", ("The BBC World Service Reaches the North", SENTENCE)),
        ("Videos on YouTube are watched by many people in the South every single day.", None),
        ("In Secret State of North Koreawhich airs Tuesday at 10 p.m. EST, FRONTLINE follows them.", None),
        ("The logo for Refinery29A logo for CNNThe logo for Fox News", None),
        ("KCNA said that the USB sticks and DVDs were seized at the border.", None),
        ("NEWS FROM OUTSIDE", None),
    ],
)
def test_split_glued(text: str, parts: tuple[str, str] | None) -> None:
    assert split_glued(text) == parts


def test_a_title_case_join_inside_the_article_is_not_split() -> None:
    assert split_glued(f"Small Radios Reach the North{SENTENCE}", title_case_too=False) is None
    assert split_glued(f"NEWS FROM OUTSIDE{SENTENCE}", title_case_too=False) == ("NEWS FROM OUTSIDE", SENTENCE)


@pytest.mark.parametrize(
    ("text", "cased"),
    [
        ("SMALL RADIOS REACH THE NORTH", "Small Radios Reach the North"),
        ("A USB STICK IN A SACK OF FLOUR", "A USB Stick in a Sack of Flour"),
        ("BORDER WATCH: THE DVD TRADE", "Border Watch: The DVD Trade"),
        ("KIM'S NEW LAW ON K-POP", "Kim's New Law on K-Pop"),
        ("Small Radios Reach the North", "Small Radios Reach the North"),
        ("BBC", "BBC"),
    ],
)
def test_headline_case(text: str, cased: str) -> None:
    assert headline_case(text) == cased


@pytest.mark.parametrize("name", PAGES)
def test_pages_with_glued_or_capital_headlines(name: str, context) -> None:
    result = ingest_file(HEADLINES / name, context)
    assert result.error is None, result.error
    (draft,) = result.drafts
    title, date, first = PAGES[name]
    assert (draft.article.title, draft.article.date) == (title, date)
    assert draft.episode.id.startswith(f"{date.isoformat()}-")
    spoken = spoken_body(result.drafts)
    assert spoken.startswith(first)
    assert title.upper() not in spoken.upper()  # the headline is not read as body text


def test_headlines_in_capitals_are_flagged_and_read_as_words(context) -> None:
    (draft,) = ingest_file(HEADLINES / "capitals.html", context).drafts
    assert (
        "# Check: the headline is written in capitals in the page; here in title case: "
        "'BBC and VOA Signals Reach the North on USB Sticks'"
    ) in draft.text
    assert '    title: "BBC AND VOA SIGNALS REACH THE NORTH ON USB STICKS"' in draft.text  # the source's own
    lexicon = load_lexicon(context.root, "en")
    said = " ".join(chunk.text for chunk in normalise(draft.article.title, "en", lexicon))
    assert said == "B.B.C. and V.O.A. Signals Reach the North on U.S.B. Sticks"


def test_glued_headlines_are_noted(context) -> None:
    result = ingest_file(HEADLINES / "glued_capitals.txt", context)
    assert "line 4: a headline glued to the first sentence was split off" in result.notes
