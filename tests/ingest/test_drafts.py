"""Drafts: valid scripts for the project, safe quoting, durations, stable ids, same bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.ingest import IngestOptions, ingest_file, load_context, write_drafts
from pipeline.ingest.draft import yaml_string
from pipeline.ingest.segment import PARAGRAPH_SECONDS, Timing, spoken_seconds
from pipeline.project.script import load_project
from pipeline.project.yamlsource import parse_located
from pipeline.text.durations import estimate_seconds
from tests.ingest.helpers import INGEST_DATA

DOCUMENTS = sorted(p.name for p in INGEST_DATA.glob("0*_*.txt") if "sentences" not in p.name)
AWKWARD = [
    "Key: value # not a comment",
    "\"Quoted\" and 'single' and “curly”",
    "- leading dash",
    "{braces} stay {literal}",
    "back\\slash and tab\there",
    "? question: mark & *star* !bang %percent @at `tick` |pipe >gt",
    "   ",
    "null",
    "2022-03-21",
    "yes",
    "Line\u2028separator\x85next\ufeffbom",
    "한국어 문장입니다.",
]


@pytest.fixture(scope="module")
def context(project_root: Path):
    return load_context(project_root)


@pytest.mark.parametrize("text", AWKWARD)
def test_yaml_strings_load_back_exactly(text: str) -> None:
    document = parse_located(f"value: {yaml_string(text)}\n", "t.yaml")
    assert document.data == {"value": text}


def test_awkward_article_text_survives_the_round_trip(tmp_path: Path, project_root: Path) -> None:
    source = tmp_path / "awkward.txt"
    body = (
        "Prices: up 30% # says the report, and {braces} stay as written. "
        '"Quoted words" and - dashes - are fine; so is a colon: here. '
        "The seller said it plainly, then left the market before the guards came back."
    )
    source.write_text(f"Awkward: a {{title}} # test\n\nMay 2, 2024\n\n{body}\n", encoding="utf-8")
    context = load_context(project_root)
    result = ingest_file(source, context)
    assert result.error is None
    (path,) = [w.path for w in write_drafts(result.drafts, tmp_path / "drafts")]
    project = load_project(project_root, episode_files=[path])
    (episode,) = project.episodes.values()
    assert episode.title == "Awkward: a {title} # test"
    assert [segment.template for segment in episode.segments] == ["station_ident", "news_story", "sign_off"]
    assert episode.segments[1].fields["paragraphs"].value == (body,)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_drafts_validate_with_load_project(name: str, tmp_path: Path, project_root: Path, context) -> None:
    result = ingest_file(INGEST_DATA / name, context)
    paths = [w.path for w in write_drafts(result.drafts, tmp_path)]
    project = load_project(project_root, episode_files=paths)
    assert len(project.episodes) == len(result.drafts)
    for episode in project.episodes.values():
        assert episode.sources[0].file == name
        assert episode.segments[1].template == "news_story"


@pytest.mark.parametrize("max_seconds", [45.0, 90.0])
@pytest.mark.parametrize("name", DOCUMENTS)
def test_segments_fit_and_are_not_too_short(
    name: str, max_seconds: float, tmp_path: Path, project_root: Path, context
) -> None:
    result = ingest_file(INGEST_DATA / name, context, IngestOptions(max_seconds=max_seconds))
    paths = [w.path for w in write_drafts(result.drafts, tmp_path)]
    project = load_project(project_root, episode_files=paths)
    timing = Timing(project.station, project.templates, "en", max_seconds)
    rate = project.station.speaking_rates["en"]
    for episode in project.episodes.values():
        durations = []
        parts = []
        for segment in episode.segments[1:-1]:  # the story, between the station's opening and closing
            values = {name: field.value for name, field in segment.fields.items()}
            seconds = spoken_seconds(timing, project.templates[segment.template], values)
            durations.append(seconds)
            assert seconds <= max_seconds, segment.id
            parts += [estimate_seconds(p, "en", rate) for p in values.get("paragraphs", [])]
        # Under 20 s only when neither neighbour could take the segment in (a quote ends its segment).
        for i, seconds in enumerate(durations):
            if seconds < 20 and sum(durations) >= 20:
                before = durations[i - 1] if i and "quote" not in episode.segments[i].fields else max_seconds
                after = durations[i + 1] if i + 1 < len(durations) else max_seconds
                assert seconds + min(before, after) > max_seconds, durations
        assert max(parts) <= 2 * PARAGRAPH_SECONDS, parts
    print(f"{name} at {max_seconds:g} s: segments of {min(durations):.0f}-{max(durations):.0f} s")


def test_the_estimate_counts_the_templates_own_words(context) -> None:
    timing = Timing(context.station, context.templates, "en", 90)
    template = context.templates["news_story"]
    bare = spoken_seconds(timing, template, {"title": "T", "paragraphs": ["Words."], "source": "S"})
    # "T" + "Words." + "This story is based on reporting by S." is 10 words at 150 wpm.
    assert bare > 10 * 60 / 150


def test_same_input_gives_byte_identical_drafts(tmp_path: Path, context) -> None:
    first = ingest_file(INGEST_DATA / DOCUMENTS[1], context)
    second = ingest_file(INGEST_DATA / DOCUMENTS[1], context)
    assert [d.text for d in first.drafts] == [d.text for d in second.drafts]
    paths = [w.path for w in write_drafts(first.drafts, tmp_path)]
    before = [p.read_bytes() for p in paths]
    [w.path for w in write_drafts(second.drafts, tmp_path)]
    assert [p.read_bytes() for p in paths] == before


def test_segment_ids_are_stable_when_a_later_paragraph_changes(tmp_path: Path, context) -> None:
    original = INGEST_DATA / "004_9fbb84ea6802f53d.txt"
    edited = tmp_path / original.name
    shutil.copy(original, edited)
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("Check local listings here.", "Check listings."), "utf-8")
    before = [s.id for s in ingest_file(original, context).drafts[0].segments]
    after = [s.id for s in ingest_file(edited, context).drafts[0].segments]
    assert before[:-1] == after[:-1]
    assert all(len(segment_id) <= 48 for segment_id in before)


def test_drafts_carry_source_header_and_duration_comments(context) -> None:
    (draft,) = ingest_file(INGEST_DATA / "004_9fbb84ea6802f53d.txt", context).drafts
    lines = draft.text.splitlines()
    assert lines[0].startswith("# Draft episode made by `pipeline ingest` from 004_9fbb")
    assert lines[1] == ("# Source: Five Ways North Koreans Are Defying the Regime (FRONTLINE, 2014-01-13).")
    comments = [line for line in lines if line.startswith("  # ")]
    assert comments[0] == "  # The station's opening: about 11 s."
    assert comments[-1] == "  # The station's closing: about 12 s."
    assert len(comments[1:-1]) == len(draft.segments)
    assert all(" s; from source line" in line for line in comments[1:-1])


def test_one_block_of_six_sentences_becomes_several_spoken_parts(tmp_path: Path, context) -> None:
    sentences = [
        "The radio was small enough to fit in a coat pocket.",
        "Her father had bought it from a trader who came to the village every spring.",
        "They listened only when the neighbours' lights were out.",
        "The signal faded in and out with the weather, and on some nights there was nothing but hiss.",
        "On good nights they heard the news, a drama and sometimes a song she still remembers.",
        "She says those evenings taught her that the outside world was not what the school had said.",
    ]
    source = tmp_path / "one_block.txt"
    source.write_text("Nights with a pocket radio\n\nMay 2, 2024\n\n" + " ".join(sentences) + "\n", "utf-8")
    (draft,) = ingest_file(source, context).drafts
    paragraphs = [p for segment in draft.segments for p in segment.fields.get("paragraphs", [])]
    print(f"one block of {len(sentences)} sentences: {len(paragraphs)} spoken parts")
    assert len(paragraphs) >= 2
    assert " ".join(paragraphs) == " ".join(sentences)


def test_drafts_open_and_close_with_the_stations_segments(tmp_path: Path, project_root: Path, context) -> None:
    result = ingest_file(INGEST_DATA / "004_9fbb84ea6802f53d.txt", context)
    (path,) = [w.path for w in write_drafts(result.drafts, tmp_path)]
    (episode,) = load_project(project_root, episode_files=[path]).episodes.values()
    assert (episode.segments[0].id, episode.segments[0].template) == ("opening", "station_ident")
    assert (episode.segments[-1].id, episode.segments[-1].template) == ("closing", "sign_off")


def test_a_framing_template_with_required_fields_is_refused(tmp_path: Path, project_root: Path) -> None:
    shutil.copytree(project_root / "scripts_src", tmp_path / "scripts_src")
    settings = tmp_path / "scripts_src/ingest.yaml"
    text = settings.read_text("utf-8").replace(
        "{id: opening, template: station_ident}", "{id: opening, template: news_story}"
    )
    settings.write_text(text, "utf-8")
    line = text.splitlines().index("  - {id: opening, template: news_story}") + 1
    with pytest.raises(ConfigError) as raised:
        load_context(tmp_path)
    assert str(raised.value) == (
        f"scripts_src/ingest.yaml:{line}: the template 'news_story' needs the fields title, paragraphs, source; "
        "an opening or closing segment gives none"
    )
