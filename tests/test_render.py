"""Rendering: catalog lookups, placeholders, locale dates, particles, missing translations."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.build.orchestrator import render_all
from pipeline.i18n.josa import resolve_particles
from pipeline.project.script import load_project

QUOTE_MSGSTR = 'msgstr "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."'


def render(project: Path, lang: str):
    loaded = load_project(project)
    return render_all(loaded, list(loaded.episodes.values()), [lang])[("mini", lang)]


CATALOG = Path("locales/ko/LC_MESSAGES/mini.po")


def edit_catalog(project: Path, old: str, new: str) -> None:
    """Replace text in the Korean episode catalog."""
    path = project / CATALOG
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(project: Path, needle: str) -> int:
    """1-based line of ``needle`` in the Korean episode catalog."""
    text = (project / CATALOG).read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def test_korean_render_uses_catalogs_dates_and_roles(mini_project: Path) -> None:
    localised = render(mini_project, "ko")
    assert localised.is_complete
    opening, story, closing = localised.segments
    assert opening.parts[1].sentences[0].written == "2026년 11월 20일 방송, 국경을 넘는 라디오."
    assert [part.role for part in story.parts] == ["host", "host", "host", "guest", "host", "host"]
    assert story.parts[-1].sentences[0].written == (
        "이 소식은 2022년 4월 22일에 발표된 북한자유연합의 보도를 바탕으로 했습니다."
    )
    assert closing.parts[0].sentences[0].written == "지금까지 열린창 라디오였습니다."


def test_english_render_is_the_source(mini_project: Path) -> None:
    localised = render(mini_project, "en")
    story = localised.segments[1]
    assert story.parts[-1].sentences[0].written == (
        "This story is based on reporting by Liberty in North Korea, published on April 22, 2022."
    )
    assert story.parts[4].sentences[0].written == "Those were the words of a former soldier."


@pytest.mark.parametrize(
    ("replacement", "reason"),
    [
        (
            '#, fuzzy\nmsgctxt "radio-reach.quote"',
            "translation is marked fuzzy in {catalog}:{line}",
        ),
        ('msgctxt "radio-reach.quote"', "not translated in {catalog}:{line}"),
    ],
)
def test_untranslated_or_fuzzy_segment_is_left_out_and_located(
    mini_project: Path, replacement: str, reason: str
) -> None:
    if "fuzzy" in replacement:
        edit_catalog(mini_project, 'msgctxt "radio-reach.quote"', replacement)
    else:
        edit_catalog(mini_project, QUOTE_MSGSTR, 'msgstr ""')
    line = line_of(mini_project, 'msgid "When I found') + 1  # the msgstr line, where the fix goes
    localised = render(mini_project, "ko")
    assert not localised.is_complete
    assert [segment.id for segment in localised.segments] == ["opening", "closing"]
    (missing,) = localised.incomplete["radio-reach"]
    assert str(missing) == (
        "scripts_src/episodes/mini.yaml:13: segments[1].quote: ko: "
        + reason.format(catalog=CATALOG, line=line)
        + ": msgid 'When I found a foreign station, I listened every night.'"
    )


def test_every_missing_string_of_a_segment_is_listed(mini_project: Path) -> None:
    edit_catalog(mini_project, QUOTE_MSGSTR, 'msgstr ""')
    edit_catalog(mini_project, 'msgctxt "radio-reach.speaker"', '#, fuzzy\nmsgctxt "radio-reach.speaker"')
    path = mini_project / "locales" / "ko" / "LC_MESSAGES" / "station.po"
    path.write_text(path.read_text(encoding="utf-8").replace("{speaker}의 말을", "{speeker}의 말을"), encoding="utf-8")
    missing = render(mini_project, "ko").incomplete["radio-reach"]
    found = [(m.context, m.lookup.status, m.segment_id) for m in missing]
    assert found == [
        ("radio-reach.quote", "untranslated", "radio-reach"),
        ("radio-reach.speaker", "fuzzy", "radio-reach"),
        ("news_story.parts", "invalid", "radio-reach"),
    ]


def test_missing_entry_points_to_update(mini_project: Path) -> None:
    edit_catalog(mini_project, 'msgctxt "radio-reach.speaker"', 'msgctxt "radio-reach.speaker-old"')
    (missing,) = render(mini_project, "ko").incomplete["radio-reach"]
    assert "not in locales/ko/LC_MESSAGES/mini.po (run 'pipeline i18n update')" in str(missing)


def test_translation_with_a_foreign_placeholder_is_not_spoken(mini_project: Path) -> None:
    path = mini_project / "locales" / "ko" / "LC_MESSAGES" / "station.po"
    text = path.read_text(encoding="utf-8").replace("{speaker}의 말을", "{speeker}의 말을")
    path.write_text(text, encoding="utf-8")
    (missing,) = render(mini_project, "ko").incomplete["radio-reach"]
    assert "cannot be used: placeholders:" in str(missing) and "{speeker}" in str(missing)


def test_build_fails_incomplete_language_unless_allowed(mini_project: Path, cli) -> None:
    edit_catalog(mini_project, QUOTE_MSGSTR, 'msgstr ""')
    result = cli("build", "--lang", "ko", "--project", str(mini_project))
    assert result.code == 3  # waiting for translation
    where = "scripts_src/episodes/mini.yaml:13: segments[1].quote"
    assert f"{where}: ko: not translated in" in result.err
    assert "incomplete" in result.out
    assert not (mini_project / "output" / "mini" / "ko").exists()
    result = cli("build", "--lang", "ko", "--allow-incomplete", "--project", str(mini_project))
    assert result.code == 3  # built, but partial: still waiting for translation
    assert "partial" in result.out
    names = sorted(p.name for p in (mini_project / "output" / "mini" / "ko").glob("*.mp3"))
    assert names == ["01-opening.mp3", "03-closing.mp3", "mini.mp3"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("열린창 라디오(이)었습니다", "열린창 라디오였습니다"),
        ("자유 방송(이)었습니다", "자유 방송이었습니다"),
        ("라디오을(를) 듣습니다", "라디오를 듣습니다"),
        ("방송을(를) 듣습니다", "방송을 듣습니다"),
        ("BBC은(는)", "BBC는"),
        ("VOA은(는)", "VOA는"),
        ("유엔과(와)", "유엔과"),
        ("서울(으)로", "서울로"),
        ("부산(으)로", "부산으로"),
        ("라디오(으)로", "라디오로"),
        ("2022년이(가)", "2022년이"),
        ("3은(는)", "3은"),
        ("2은(는)", "2는"),
        ("“단비”은(는)", "“단비”는"),
    ],
)
def test_korean_particles_follow_the_word_before(written: str, expected: str) -> None:
    assert resolve_particles(written) == expected


def test_render_pronounced_prints_what_each_voice_is_given(mini_project: Path, cli) -> None:
    written = cli("render", "--project", str(mini_project), "--lang", "ko", "mini")
    pronounced = cli("render", "--project", str(mini_project), "--lang", "ko", "mini", "--pronounced")
    assert pronounced.code == written.code == 0
    assert "라디오는 모든 지방에 닿습니다." in written.out
    assert "라디오는 모든 지방에 다씀니다." in pronounced.out
    assert "수신기는 구경 방송에 고정되어야 하지만, 마는 사람드리 이를 개조함니다." in pronounced.out
    assert len(pronounced.out.splitlines()) == len(written.out.splitlines())
    english = cli("render", "--project", str(mini_project), "--lang", "en", "mini", "--pronounced")
    assert english.out == cli("render", "--project", str(mini_project), "--lang", "en", "mini").out
