"""Property: arbitrary text never raises anything but IngestError, never gives an invalid draft."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import IngestError
from pipeline.ingest import IngestOptions, ingest_file, load_context, write_drafts
from pipeline.project.script import load_project
from tests.conftest import PROJECT_ROOT

CONTEXT = load_context(PROJECT_ROOT)
WORDS = st.sampled_from(
    [
        "radio",
        "The",
        "U.S.",
        "Ms.",
        "0.67",
        "“quoted”",
        "said:",
        "#tag",
        "{brace}",
        "- dash",
        "•",
        "March 21, 2022",
        "Photo: Reuters",
        "Donate Now",
        "한국어",
        "North Korea",
        "people.",
        "listen?",
        "\n",
        "\n\n",
        "– Name, a witness",
        "Title Case Heading",
    ]
)
DOCUMENTS = st.one_of(
    st.text(max_size=400),
    st.lists(WORDS, max_size=120).map(" ".join),
    st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=80).map(" ".join),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=DOCUMENTS, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_arbitrary_text_gives_a_valid_draft_or_an_ingest_error(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"doc{suffix}"
        source.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = ingest_file(source, CONTEXT, IngestOptions(max_seconds=30))
        if result.error is not None:
            assert isinstance(result.error, IngestError)
            assert "\n" not in str(result.error)
            return
        paths = [w.path for w in write_drafts(result.drafts, Path(folder) / "drafts") if w.path]
        project = load_project(PROJECT_ROOT, episode_files=paths)
        for draft in result.drafts:
            assert all(segment.seconds <= 30 for segment in draft.segments)
        assert len(project.episodes) == len({d.episode.id for d in result.drafts})
