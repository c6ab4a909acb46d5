"""The five sample documents: titles and dates found, furniture dropped, body kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.ingest import IngestContext, ingest_file, load_context
from tests.ingest.helpers import INGEST_DATA, comparable, contains_line, spoken_body

FOREIGN_MEDIA = "Foreign Media in North Korea - How Kpop is Challenging the Regime"
# The shared page footer of the two blog pages.
BLOG_FOOTER = [
    "Your generous donation will rescue and support North Korean refugees",
    "Donate Now",
    "Learn more about the North Korean people",
    "Awesome! You're subscribed!",
    "Oh no! Looks like something went wrong.",
    "Check these out!",
    "Stand with the north korean people",
    "Join Liberty and give monthly in support of the North Korean people",
    "The logo for Refinery29A logo for CNNThe logo for Fox NewsThe logo for Time Magazine",
]
KPOP_FURNITURE = [
    "Popular South Korean drama Crash Landing on You. Photo credit: Netflix and IMDb.",
    "North Korea is technologically isolated from the world",
    "A representation of how North Koreans watch illegal foreign media",
    "North Korean woman with phone. Photo credit: Eric Lafforgue.",
    "North Koreans watching a Korean drama on a laptop",
]
DOCUMENTS = {
    "000_ad00472382e1c3b8.txt": {
        "articles": [
            ("How North Korean People are Changing North Korea", dt.date(2022, 3, 21)),
            (FOREIGN_MEDIA, dt.date(2022, 4, 22)),
        ],
        "furniture": [
            "Blog - Liberty in North Korea",
            "blog",
            "A flowchart showing the various ways that change occurs in North Korea.",
            "The History of North Korea in under 3 minutes",
            "The Jangmadang Generation",
            "A photo of an outdoor market.",
            "Smiling North Koreans.",
            "Resettled North Koreans.",
            "Kim Jong Un.",
            *KPOP_FURNITURE,
            *BLOG_FOOTER,
        ],
    },
    "001_8beccaf553ee1d6e.txt": {
        "articles": [
            (FOREIGN_MEDIA, dt.date(2022, 4, 22)),
            (
                "Inside North Korea: People still suffer legacy of pandemic-era controls",
                dt.date(2025, 6, 20),
            ),
        ],
        "furniture": [
            "blog",
            *KPOP_FURNITURE,
            "Give Today",
            "Photo: Reuters",
            "Map of 6 areas analyzed along 321km in North Korea's northern border",
            *BLOG_FOOTER,
        ],
    },
    "002_a082c5e72fd41a21.txt": {
        "articles": [("North Korea’s Control of Media Breached by Technology", None)],
        "furniture": [
            "Bloomberg Anywhere Remote Login Bloomberg Terminal Demo Request",
            "Connecting decision makers to a dynamic network of information, people and ideas, "
            "Bloomberg quickly and accurately delivers business and financial information, news "
            "and insight around the world.",
            "Financial Products",
            "Enterprise Products",
            "Customer Support",
            "Americas",
            "+1 212 318 2000",
            "Europe, Middle East, & Africa",
            "+44 20 7330 7500",
            "Asia Pacific",
            "+65 6212 1000",
            "Industry Products",
            "Media Services",
            "Follow Us",
            "Bloomberg Customers",
            "A North Korean woman checks a computer a at music software company in Pyongyang.",
            "Photographer: Pedro Ugarte via Getty Images",
            "Please upgrade your Browser",
            "Your browser is out-of-date.",
            "Please download one of these excellent browsers:",
            "Chrome, Firefox, Safari, Opera or Internet Explorer.",
        ],
    },
    "003_833dac29a6a52413.txt": {
        "articles": [
            (
                "North Korea steps up efforts to stamp out consumption of illegal foreign media "
                "– but entertainment-hungry citizens continue to flout the ban",
                None,
            )
        ],
        "furniture": [
            "Menu Close",
            "A small group of North Korean men and women walking down a city street.",
            "People walking on the street in Pyongyang, North Korea, August 2012.",
            "Chintung Lee/Shutterstock",
            "Kim Jong-un sat at a desk delivering a speech in front of the flag of North Korea.",
            "North Korean leader, Kim Jong-un, delivering a speech during a parliament session "
            "in Pyongyang, North Korea, September 2022.",
            "KCNA / EPA",
            "Five members of a K-pop girls group standing on a stage performing.",
            "Members of the ‘Ive’ girls group performing during a K-Pop concert in Seoul",
            "Jeon Heon-Kyun / EPA",
            "North Korean soldiers guarding a border fence.",
            "North Korea’s borders have been closed since January 2020.",
            "Stefan Bruder/Shutterstock",
            "Want to write?",
            "Write an article and join a growing community of more than 182,600 academics and "
            "researchers from 4,945 institutions.",
            "Register now",
        ],
    },
    "004_9fbb84ea6802f53d.txt": {
        "articles": [("Five Ways North Koreans Are Defying the Regime", dt.date(2014, 1, 13))],
        "furniture": [
            "Sarah Childress",
            "Former Series Senior Editor, FRONTLINE",
            "More Stories",
            "Kherson After Liberation: Co-producer of ‘Putin’s Attack on Ukraine’ Documentary Describes Visit",
            "A Ukrainian filmmaker and journalist who was on one of the first trains traveling "
            "to the newly liberated city",
            "As Donald Trump Announces His 2024 Run, a Look Back at His Presidency and Impact",
            "FRONTLINE has built a unique public record, in documentary format",
            "How American Politics Reached This Fraught Moment: 12 Documentaries to Watch Ahead of the Midterms",
            "As a divided America prepares to vote and fears of political violence continue",
            "How Russian Soldiers Ran a Cleansing Operation in Bucha",
            "I’ve already killed so many civilians",
            "November 29, 2022",
            "November 3, 2022",
        ],
    },
}


@pytest.fixture(scope="module")
def context(project_root: Path) -> IngestContext:
    return load_context(project_root)


@pytest.fixture(scope="module")
def results(context: IngestContext) -> dict[str, object]:
    return {name: ingest_file(INGEST_DATA / name, context) for name in DOCUMENTS}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_titles_and_dates_are_found(name: str, results: dict) -> None:
    result = results[name]
    assert result.error is None
    found = [(draft.article.title, draft.article.date) for draft in result.drafts]
    assert found == DOCUMENTS[name]["articles"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_line_of_page_furniture_is_dropped(name: str, results: dict) -> None:
    spoken = spoken_body(results[name].drafts)
    kept = [line for line in DOCUMENTS[name]["furniture"] if contains_line(spoken, line)]
    assert kept == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_at_least_98_percent_of_body_sentences_survive(name: str, results: dict) -> None:
    listed = (INGEST_DATA / name.replace(".txt", ".sentences.txt")).read_text(encoding="utf-8")
    sentences = [line for line in listed.splitlines() if line.strip()]
    spoken = spoken_body(results[name].drafts)
    lost = [s for s in sentences if comparable(s) not in spoken]
    assert len(sentences) >= 20
    assert (len(sentences) - len(lost)) / len(sentences) >= 0.98, lost


@pytest.mark.parametrize("name", DOCUMENTS)
def test_dropped_lines_are_recorded_with_line_and_reason(name: str, results: dict) -> None:
    result = results[name]
    source = (INGEST_DATA / name).read_text(encoding="utf-8").splitlines()
    assert result.dropped
    for label in result.dropped:
        assert label.reason
        assert label.text[:20] in " ".join(source[label.line.number - 1].split())


def test_quotes_go_to_the_guest_voice_with_their_speaker(results: dict) -> None:
    drafts = results["001_8beccaf553ee1d6e.txt"].drafts
    quotes = {
        str(segment.fields["quote"])[:40]: segment.fields.get("speaker")
        for draft in drafts
        for segment in draft.segments
        if "quote" in segment.fields
    }
    assert quotes["At first you see the cars, apartment bui"] == ("Danbi, escaped North Korea in 2011")
    assert quotes["North Korea is one of the poorest countr"] == "Human Rights Watch"
    eunju = next(text for text in quotes if text.startswith("When the Arduous March"))
    assert quotes[eunju] is None
    whole = next(
        str(s.fields["quote"])
        for d in drafts
        for s in d.segments
        if str(s.fields.get("quote", "")).startswith("When the Arduous March")
    )
    assert whole.endswith("The root cause was the same—severe food shortages.")


def test_bullet_lists_are_read_as_lists(results: dict) -> None:
    spoken = spoken_body(results["000_ad00472382e1c3b8.txt"].drafts)
    assert "within the country. Random house searches. Severe punishment" in spoken
    assert "•" not in spoken


def test_counts_of_drops_keeps_and_repairs(results: dict) -> None:
    """One line per document (``pytest -s``): furniture dropped, body sentences kept, repairs."""
    for name, expected in DOCUMENTS.items():
        result = results[name]
        spoken = spoken_body(result.drafts)
        furniture = expected["furniture"]
        dropped = sum(1 for line in furniture if not contains_line(spoken, line))
        listed = (INGEST_DATA / name.replace(".txt", ".sentences.txt")).read_text(encoding="utf-8")
        sentences = [line for line in listed.splitlines() if line.strip()]
        kept = sum(1 for sentence in sentences if comparable(sentence) in spoken)
        repairs = [note for note in result.notes if "mojibake" in note]
        print(
            f"{name}: {len(result.dropped)} lines dropped; listed furniture dropped {dropped}/{len(furniture)}; "
            f"body sentences kept {kept}/{len(sentences)}; repairs: {repairs[0] if repairs else 'none'}"
        )
        assert dropped == len(furniture)
