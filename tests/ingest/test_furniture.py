"""Page furniture by kind: paywalls, newsletters, donations, copyright, share and related links.

Each fixture under ``tests/data/ingest/furniture/`` is a page written for these
tests in the shapes of the sample documents. The tables list, for each page,
the furniture lines with the reason the report must give, and the body lines
that must be spoken; the counts are printed (``pytest -s``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file, load_context
from tests.ingest.helpers import INGEST_DATA, contains_line, spoken_body

FURNITURE = INGEST_DATA / "furniture"
# page → {furniture line: the start of the reason the report gives}
DROPPED = {
    "courier_paywall.txt": {
        "Skip to main content": "page header",
        "Share this article": "page header",
        "Get the Courier briefing": "repeated",
        "Every morning, the news from the peninsula in five minutes, free.": "repeated",
        "Get unlimited access to our reporting for $1 a week. Cancel anytime.": "page furniture, paywall",
        "Already a subscriber? Log in to continue reading.": "page furniture, paywall",
        "Sign up for our weekly newsletter and get the best of our reporting delivered to your inbox every Friday.": (
            "page furniture, newsletter"
        ),
        "Most read": "heading of a block of links",
        "Five things to know about the new border fence": "in a block of links",
        "Why the price of rice doubled this spring": "in a block of links",
        "Your generous donation keeps our reporters in the field. Please support independent journalism today.": (
            "page furniture, donation"
        ),
        "Related coverage": "heading of a block of links",
        "How radio signals cross the mountains": "in a block of links",
        "© 2024 The Northern Courier. All rights reserved. Reproduction in whole or in part without permission "
        "is prohibited.": "page furniture, copyright",
        "Terms of use | Privacy policy | Contact": "page furniture, copyright",
    },
    "charity_appeal.md": {
        "Home · Our work · Stories · Donate": "page header",
        "Your gift today can put more stories like hers on more sticks. Make a donation to support our work "
        "on the border.": "page furniture, donation",
        "Share this story: Facebook · X · Email": "page furniture, share",
        "Sign up for our newsletter to hear from people who made the journey.": "page furniture, newsletter",
        "Read more stories · Meet our team · Annual report": "link-dense block",
        "© 2024 Open Gate Refugee Aid. Registered charity.": "page furniture, copyright",
    },
    "frontier_defense.txt": {
        "Asia Pacific | Frontier Defense Weekly": "page header",
        "Like this:": "page header",
        "Soldiers stand guard at an observation post near the border. (Frontier Defense Weekly file photo)": (
            "caption-like line"
        ),
        "Story continues below advertisement": "page furniture, advertisement",
        "Related: How soldiers on the front line listen in secret": "page furniture, related",
        "Reporting by Hana Seo; Editing by Tom Reyes": "page furniture, author note",
        "Hana Seo is a correspondent for Frontier Defense Weekly based in Seoul.": "page furniture, author note",
        "Share": "stop-list line",
        "Copy link": "stop-list line",
        "You may also like": "end-of-article marker",
        "Drones over the river: what the patrols see": "after an end-of-article marker",
        "Copyright © 2024 Frontier Defense Weekly. All rights reserved.": "after an end-of-article marker",
    },
    "garrison_report.html": {
        "Subscribers get unlimited access to every report from the front lines. Already a subscriber? Sign in.": (
            "page furniture, paywall"
        ),
    },
}
# Lines the HTML extractor removes before cleaning (they never reach the report).
NOT_SPOKEN = {
    "garrison_report.html": [
        "Sign up for our newsletter and get the top defence stories in your inbox every morning.",
        "New radar sites along the coast",
        "© 2023 Garrison Report Media Group. All rights reserved.",
        "Copy link",
    ],
}
KEPT = {
    "courier_paywall.txt": [
        "Traders in two border towns say that memory cards",
        "The cards hold South Korean dramas, foreign films and, more and more often, recorded news programmes",
        "One trader said a card loaded with a full season of a drama sells for about the price of a kilo of pork",
        "A card can be swallowed if a patrol comes too close.",
        "Researchers who study the flow of information into the country say the change matters",
    ],
    "charity_appeal.md": [
        "She told them that the first foreign film she ever saw came on a USB stick hidden in a sack of flour.",
        "Her family watched it with blankets over the windows",
        "Stories like hers are common among the young people who reach the South",
    ],
    "frontier_defense.txt": [
        "The loudspeakers that blared news and pop music across the demilitarized zone were switched off",
        "Several stations broadcast on medium wave after midnight, when reception is at its best.",
        "A defence ministry spokesman declined to say how many hours of programmes are broadcast each week.",
        "which makes it far safer than trading in memory cards.",
    ],
    "garrison_report.html": [
        "Conscripts at a remote post on the northern border have been swapping part of their rice",
        "Officers, one of the former soldiers said, often look the other way because they want the cards too.",
        "Discipline reports seen by researchers describe units being punished as a whole",
        "demand rose every winter when there was little else to do.",
    ],
}


@pytest.fixture(scope="module")
def results(project_root: Path) -> dict:
    context = load_context(project_root)
    return {name: ingest_file(FURNITURE / name, context) for name in DROPPED}


@pytest.mark.parametrize("name", DROPPED)
def test_each_kind_of_furniture_is_dropped_with_its_reason(name: str, results: dict) -> None:
    result = results[name]
    assert result.error is None, result.error
    reasons = {label.text: label.reason for label in result.dropped}
    spoken = spoken_body(result.drafts)
    wrong = {
        line: reasons.get(line)
        for line, reason in DROPPED[name].items()
        if not reasons.get(line, "").startswith(reason)
    }
    leaked = [line for line in [*DROPPED[name], *NOT_SPOKEN.get(name, [])] if contains_line(spoken, line)]
    kept = [line for line in KEPT[name] if contains_line(spoken, line)]
    print(
        f"{name}: furniture dropped {len(DROPPED[name]) + len(NOT_SPOKEN.get(name, [])) - len(leaked)}"
        f"/{len(DROPPED[name]) + len(NOT_SPOKEN.get(name, []))} (reason right for "
        f"{len(DROPPED[name]) - len(wrong)}/{len(DROPPED[name])}); body kept {len(kept)}/{len(KEPT[name])}"
    )
    assert wrong == {}
    assert leaked == []
    assert kept == KEPT[name]


def test_a_block_of_links_ends_at_the_next_full_paragraph(results: dict) -> None:
    spoken = spoken_body(results["courier_paywall.txt"].drafts)
    assert "Researchers who study the flow of information into the country" in spoken


def test_copyright_line_inside_a_block_of_links_keeps_its_own_reason(results: dict) -> None:
    (label,) = [label for label in results["courier_paywall.txt"].dropped if label.text.startswith("©")]
    assert label.reason == "page furniture, copyright or rights line ('©')"


def test_report_lists_the_kind_for_each_dropped_line(tmp_path: Path, project_root: Path, cli) -> None:
    result = cli(
        "ingest",
        "--project",
        str(project_root),
        "--out",
        str(tmp_path),
        "--report",
        str(FURNITURE / "courier_paywall.txt"),
    )
    assert result.code == 0
    assert (
        "tests/data/ingest/furniture/courier_paywall.txt:19: page furniture, paywall or membership pitch "
        "('unlimited access'): Get unlimited access to our reporting for $1 a week. Cancel anytime."
    ) in result.out.splitlines()


def test_a_dateline_beside_the_site_name_dates_the_article(results: dict) -> None:
    (draft,) = results["frontier_defense.txt"].drafts
    assert draft.article.date == dt.date(2024, 8, 2)
    assert draft.episode.publication == "Frontier Defense Weekly"
    assert "# Check: date" not in draft.text


def test_report_counts_the_dropped_lines_by_kind(tmp_path: Path, project_root: Path, cli) -> None:
    page = str(FURNITURE / "courier_paywall.txt")
    result = cli("ingest", "--project", str(project_root), "--out", str(tmp_path), "--report", page)
    counts = next(line for line in result.out.splitlines() if "dropped by kind" in line)
    print(counts)
    assert counts == (
        "tests/data/ingest/furniture/courier_paywall.txt: dropped by kind: page header before the article 6, "
        "in a block of links 5, repeated line 4, paywall or membership pitch 2, heading of a block of links 2, "
        "copyright or rights line 2, newsletter sign-up 1, donation appeal 1"
    )
