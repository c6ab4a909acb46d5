"""The sample episodes: shape of each script and source credits that match its metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.project.script import Episode, Project, load_project

ROOT = Path(__file__).resolve().parents[2]
STORY_TEMPLATES = {"news_story", "explainer"}


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT)


def episodes(project: Project) -> list[Episode]:
    return list(project.episodes.values())


def test_there_are_at_least_three_sample_episodes(project: Project) -> None:
    assert len(project.episodes) >= 3


def test_each_episode_opens_with_an_ident_and_closes_with_a_sign_off(project: Project) -> None:
    for episode in episodes(project):
        templates = [segment.template for segment in episode.segments]
        assert templates[0] == "station_ident", episode.id
        assert templates[-1] == "sign_off", episode.id
        middle = templates[1:-1]
        assert 4 <= len(middle) <= 7, episode.id
        assert set(middle) <= STORY_TEMPLATES, episode.id


def test_spoken_credits_match_the_listed_sources(project: Project) -> None:
    mismatched = []
    for episode in episodes(project):
        listed = {(s.publication.casefold(), s.date) for s in episode.sources}
        for segment in episode.segments:
            if "source" not in segment.fields:
                continue
            publication = str(segment.fields["source"].value).casefold()
            published = segment.fields.get("published")
            date = published.value if published else None
            if (publication, date) not in listed:
                mismatched.append(f"{segment.location}: {publication} {date}")
    assert mismatched == []


def test_every_source_names_its_document(project: Project) -> None:
    for episode in episodes(project):
        assert episode.sources, episode.id
        for source in episode.sources:
            assert source.title and source.file.endswith(".txt"), (episode.id, source)
