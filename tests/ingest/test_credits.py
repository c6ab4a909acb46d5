"""Credits: the publisher and the date found in the page, each guess flagged with ``# Check:``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file, load_context
from pipeline.ingest.credits import copyright_holder, site_name
from pipeline.ingest.lines import date_inside, url_date
from tests.ingest.helpers import INGEST_DATA

FURNITURE = INGEST_DATA / "furniture"
BODY = (
    "Fishermen on the river say the best reception comes just before dawn, when the jamming stations are "
    "quiet and the water carries the signal a long way.\n\n"
    "One of them keeps a set wrapped in oilcloth under the boards of his boat and listens for half an hour "
    "before the patrols come down to the bank.\n"
)


@pytest.fixture(scope="module")
def context(project_root: Path):
    return load_context(project_root)


def draft_of(tmp_path: Path, context, text: str, suffix: str = ".txt"):
    source = tmp_path / f"page{suffix}"
    source.write_text(text, encoding="utf-8")
    result = ingest_file(source, context)
    assert result.error is None, result.error
    (draft,) = result.drafts
    return draft


def checks(draft) -> list[str]:
    return [line for line in draft.text.splitlines() if line.startswith("# Check:")]


@pytest.mark.parametrize(
    ("line", "holder"),
    [
        ("© 2024 The Northern Courier. All rights reserved.", "The Northern Courier"),
        ("Copyright © 2019-2024 Harbour Light Review, all rights reserved", "Harbour Light Review"),
        ("(c) 2022 Open Gate Refugee Aid | Registered charity", "Open Gate Refugee Aid"),
        ("Copyright 2023 Garrison Report Media Group", "Garrison Report Media Group"),
        ("All rights reserved.", None),
    ],
)
def test_copyright_holder(line: str, holder: str | None) -> None:
    assert copyright_holder(line) == holder


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Asia | The Northern Courier", "The Northern Courier"),
        ("Blog - Liberty in North Korea", "Liberty in North Korea"),
        ("News – Korea – Garrison Report", "Garrison Report"),
        ("North Korea | Garrison Report", "Garrison Report"),
        ("Menu", None),
    ],
)
def test_site_name_beside_a_section(line: str, name: str | None) -> None:
    assert site_name(line) == name


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("By Min Park | Published March 5, 2024", dt.date(2024, 3, 5)),
        ("Published: 5 March 2024, 10:02 KST", dt.date(2024, 3, 5)),
        ("Last updated on Tue, Mar. 5, 2024", dt.date(2024, 3, 5)),
        ("Posted 2024-03-05", dt.date(2024, 3, 5)),
        ("By Jae Kwon · November 8, 2023", dt.date(2023, 11, 8)),
        ("In March 5, 2024 the border was closed to traders, officials said.", None),
        ("Updated daily", None),
    ],
)
def test_dates_in_bylines_and_labelled_lines(line: str, date: dt.date | None) -> None:
    assert date_inside(line, ("published", "posted", "updated", "last updated")) == date


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("https://www.courier.example/world/2024/03/05/cards-in-rice-cakes", dt.date(2024, 3, 5)),
        ("Saved from www.courier.example/2023-11-30-radio-story", dt.date(2023, 11, 30)),
        ("https://courier.example/news/20230412/a", dt.date(2023, 4, 12)),
        ("https://courier.example/2023/13/45/not-a-date", None),
        ("The year 2024/03/05 is not an address", None),
    ],
)
def test_dates_in_page_addresses(text: str, date: dt.date | None) -> None:
    assert url_date(text) == date


def test_publisher_from_a_known_site_name_in_the_furniture(tmp_path: Path, context) -> None:
    page = "Subscribe | Sign in\nDaily NK\n\nRadios by the river\n\nMarch 3, 2024\n\n" + BODY
    draft = draft_of(tmp_path, context, page)
    assert draft.episode.publication == "Daily NK"
    assert "# Check: publisher 'Daily NK' recognised in the page header (line 2)" in checks(draft)


def test_a_picture_credit_is_not_the_publisher(tmp_path: Path, context) -> None:
    page = "Radios by the river\n\nMarch 3, 2024\n\n" + BODY + "\nPhoto: Reuters\n"
    draft = draft_of(tmp_path, context, page)
    assert draft.episode.publication == context.settings.unknown_publication


def test_publisher_from_the_header_and_date_from_the_byline(context) -> None:
    draft = ingest_file(FURNITURE / "courier_paywall.txt", context).drafts[0]
    assert draft.episode.publication == "The Northern Courier"
    assert draft.article.date == dt.date(2024, 3, 5)
    assert checks(draft) == ["# Check: publisher 'The Northern Courier' from the page header (line 2)"]


def test_publisher_from_the_copyright_line(context) -> None:
    draft = ingest_file(FURNITURE / "charity_appeal.md", context).drafts[0]
    assert draft.episode.publication == "Open Gate Refugee Aid"
    assert "# Check: publisher 'Open Gate Refugee Aid' from the copyright line (line 21)" in checks(draft)


def test_a_site_name_in_the_footer_is_recognised(tmp_path: Path, context) -> None:
    page = "Radios by the river\n\nMarch 3, 2024\n\n" + BODY + "\nSarah Lee, Senior Editor, FRONTLINE\n"
    draft = draft_of(tmp_path, context, page)
    assert draft.episode.publication == "FRONTLINE"


def test_html_metadata_and_time_element(context) -> None:
    draft = ingest_file(FURNITURE / "garrison_report.html", context).drafts[0]
    assert draft.episode.publication == "Garrison Report"
    assert draft.article.date == dt.date(2023, 11, 8)
    assert checks(draft) == [
        "# Check: publisher 'Garrison Report' from the page's metadata",
        "# Check: date 2023-11-08 from the page's metadata",
    ]


def test_date_from_a_published_line_at_the_foot_of_the_page(tmp_path: Path, context) -> None:
    page = "Radios by the river\n\n" + BODY + "\nFirst published 14 June 2023\n"
    draft = draft_of(tmp_path, context, page)
    assert draft.article.date == dt.date(2023, 6, 14)
    assert "# Check: date 2023-06-14 from line 7 ('First published 14 June 2023')" in checks(draft)


def test_date_from_the_page_address(tmp_path: Path, context) -> None:
    page = "https://www.courier.example/asia/2022/09/17/radios-by-the-river\n\nRadios by the river\n\n" + BODY
    draft = draft_of(tmp_path, context, page)
    assert draft.article.date == dt.date(2022, 9, 17)
    assert "# Check: date 2022-09-17 from the page address on line 1" in checks(draft)


def test_no_date_anywhere_falls_back_to_the_file_and_says_so(tmp_path: Path, context) -> None:
    draft = draft_of(tmp_path, context, "Radios by the river\n\n" + BODY)
    assert draft.article.date is None
    assert "# Check: no publication date found; the episode date is the file's modification date" in checks(draft)


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("Frontier Defense Weekly • August 2, 2024 at 6:15 a.m. KST", dt.date(2024, 8, 2)),
        ("2024.03.05", dt.date(2024, 3, 5)),
        ("Posted 2024/03/05 09:00", dt.date(2024, 3, 5)),
        ("North Korea closed its border on March 3, 2024.", None),
    ],
)
def test_datelines_beside_a_name_or_a_time(line: str, date: dt.date | None) -> None:
    assert date_inside(line, ("posted",)) == date


def test_anchored_furniture_phrases_match_only_at_the_start(context) -> None:
    assert context.settings.furniture_in("Related: How radios cross the border") is not None
    assert context.settings.furniture_in("The two traders were related: they were cousins.") is None


def test_dates_of_related_stories_do_not_date_the_article(tmp_path: Path, context) -> None:
    page = "Radios by the river\n\n" + BODY + "\nMore Stories\nDrones over the river\nNovember 29, 2022\n"
    draft = draft_of(tmp_path, context, page)
    assert draft.article.date is None


def test_publisher_and_date_from_the_pages_structured_data(context) -> None:
    (draft,) = ingest_file(FURNITURE / "json_ld.html", context).drafts
    assert draft.episode.publication == "Harbor Evening Post"
    assert draft.article.date == dt.date(2023, 9, 14)
    assert "Subscribe today" not in draft.text and "schema.org" not in draft.text


def test_the_copyright_holder_picks_the_site_name_out_of_a_header(tmp_path: Path, context) -> None:
    page = (
        "The Courier - News from the Northern Peninsula\n\nRadios by the river\n\nMarch 3, 2024\n\n"
        + BODY
        + "\n© 2024 The Courier. All rights reserved.\n"
    )
    draft = draft_of(tmp_path, context, page)
    assert draft.episode.publication == "The Courier"
    assert site_name("The Courier - News from the Northern Peninsula") == "News from the Northern Peninsula"
