"""The review page model (rows, lines, cues, marks) and its HTML, from the fixture project's
real scripts and catalogs; cue times are made up here (the browser test uses a real build)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.delivery.review import (
    GAP,
    LEFT_OUT,
    NOT_BUILT,
    READY,
    LanguageBuild,
    ReviewPage,
    match_cues,
    page_summary,
    review_checks,
    review_page,
    write_review_pages,
)
from pipeline.delivery.review_html import page_html
from pipeline.delivery.review_marks import CatalogMarks, Mark
from pipeline.errors import SourceLocation
from pipeline.formats.lyrics import Cue
from pipeline.i18n.catalogs import Translator
from pipeline.i18n.messages import SourceMessage
from pipeline.project.script import Project, load_project
from pipeline.render import LocalisedEpisode, render_episode
from pipeline.speech import SpeechChunk

MINI_PO = Path("locales/ko/LC_MESSAGES/mini.po")
HERE = SourceLocation("scripts_src/episodes/mini.yaml", 1)


def rendered(project: Project, lang: str) -> LocalisedEpisode:
    """The fixture episode in ``lang``, as written; every sentence is 'spoken'."""
    translator = Translator(project.root, lang, project.station.source_language)
    episode = project.episodes["mini"]
    return render_episode(project, episode, lang, translator, lambda text: [SpeechChunk(text, lang)])


def manifest_files(localised: LocalisedEpisode, skip: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Segment records as a build writes them, each sentence one second long, 0.5 s apart;
    sentences in ``skip`` are left out of the cues, as a sentence with nothing to say is."""
    files: dict[str, dict[str, Any]] = {}
    for segment in localised.segments:
        cues, time = [], 0.05
        for part in segment.parts:
            for sentence in part.sentences:
                if sentence.written in skip:
                    continue
                cues.append([round(time, 3), round(time + 1.0, 3), sentence.written])
                time += 1.5
        files[f"{segment.number:02d}-{segment.id}.mp3"] = {
            "kind": "segment",
            "segment": segment.id,
            "duration": round(time + 1.0, 3),
            "loudness_lufs": -16.02,
            "true_peak_dbtp": -1.81,
            "cues": cues,
        }
    return files


def build_of(project: Project, lang: str, out: Path, status: str = "built", **kwargs: Any) -> LanguageBuild:
    localised = rendered(project, lang)
    files = manifest_files(localised, **kwargs)
    return LanguageBuild(localised, status, out / "mini" / lang, files)


def page_for(project: Project, out: Path, ko: LanguageBuild | None = None, marks: Any = None) -> ReviewPage:
    source = build_of(project, "en", out)
    target = ko or build_of(project, "ko", out)
    lookup = marks or (lambda lang, message: ())
    return review_page(source, [target], lookup, out / "_review", "player")


SETS = "Sets are meant to be fixed to state stations, but many are changed."  # the story's 2nd paragraph


def edit_catalog(project: Path, msgctxt: str, new_block: str, msgid: str = "") -> None:
    """Replace the entry of ``msgctxt`` (and ``msgid``, for a context paragraphs share) in the fixture's catalog."""
    path = project / MINI_PO
    source = re.escape(f'"{msgid}"') if msgid else ".*"
    pattern = re.compile(rf'(#.*\n)*msgctxt "{re.escape(msgctxt)}"\nmsgid {source}\nmsgstr .*\n')
    text, count = pattern.subn(lambda _: new_block, path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")


def put_a_web_address_in_the_title(project: Path) -> None:
    """A Korean title that fails the 'unspeakable' check (a web address)."""
    edit_catalog(
        project,
        "radio-reach.title",
        'msgctxt "radio-reach.title"\nmsgid "Radio reaches every province."\n'
        'msgstr "라디오는 www.example.com 모든 지방에 닿습니다."\n',
    )


def msgstr_line(project: Path, msgctxt: str, msgid: str = "") -> int:
    lines = (project / MINI_PO).read_text(encoding="utf-8").splitlines()
    start = lines.index(f'msgctxt "{msgctxt}"')
    if msgid:
        start = lines.index(f'msgid "{msgid}"') - 1
    return next(n for n in range(start, len(lines)) if lines[n].startswith("msgstr")) + 1


def segment(page: ReviewPage, segment_id: str):
    return next(s for s in page.segments if s.id == segment_id)


def test_rows_pair_each_source_part_with_its_translation(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    page = page_for(project, tmp_path)
    assert page.languages == ("en", "ko")
    assert dict(page.titles) == {"en": "Radio across the border", "ko": "국경을 넘는 라디오"}
    story = segment(page, "radio-reach")
    ko_story = next(s for s in rendered(project, "ko").segments if s.id == "radio-reach")
    assert len(story.rows) == len(ko_story.parts) == 6  # title, two paragraphs, quote, speaker, source
    for row, part in zip(story.rows, ko_story.parts, strict=True):
        en, ko = row.cells
        assert (en.lang, ko.lang) == ("en", "ko")
        assert [line.text for line in ko.lines] == [s.written for s in part.sentences]
        assert row.role == part.role
    assert story.rows[1].cells[0].lines[0].text.startswith("Radio is the only foreign medium")
    assert story.rows[1].cells[1].lines[0].text.startswith("라디오는 나라 전체에서")
    assert story.rows[3].role == "guest"


def test_every_spoken_line_carries_its_cue_and_the_audio_its_measures(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    ko = build_of(project, "ko", tmp_path)
    page = page_for(project, tmp_path, ko)
    story = segment(page, "radio-reach")
    record = ko.files["02-radio-reach.mp3"]
    lines = [line for row in story.rows for line in row.cells[1].lines]
    assert [(line.cue.start, line.cue.end, line.cue.text) for line in lines if line.cue] == [
        tuple(cue) for cue in record["cues"]
    ]
    audio = {a.lang: a for a in story.audio}
    assert audio["ko"].status == READY
    assert audio["ko"].href == "../mini/ko/02-radio-reach.mp3"
    assert (audio["ko"].duration, audio["ko"].loudness_lufs, audio["ko"].true_peak_dbtp) == (
        record["duration"], -16.02, -1.81,
    )  # fmt: skip


def test_a_sentence_left_out_of_the_audio_says_so(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    quote = "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."
    page = page_for(project, tmp_path, build_of(project, "ko", tmp_path, skip=frozenset({quote})))
    lines = {line.text: line for row in segment(page, "radio-reach").rows for line in row.cells[1].lines}
    assert lines[quote].cue is None and "not in the audio" in lines[quote].note
    assert all(line.cue is not None for text, line in lines.items() if text != quote)


def test_cues_that_do_not_match_the_text_are_not_used() -> None:
    cues = [Cue(0.0, 1.0, "One."), Cue(1.5, 2.5, "Two.")]
    assert match_cues(["One.", "Two."], cues) == cues
    assert match_cues(["One.", "Skipped.", "Two."], cues) == [cues[0], None, cues[1]]
    assert match_cues(["One.", "Changed."], cues) is None  # the audio is older than the text
    assert match_cues(["One."], cues) is None


def test_an_untranslated_segment_is_left_out_and_marked_with_the_catalog_line(mini_project: Path) -> None:
    edit_catalog(
        mini_project,
        "radio-reach.quote",
        'msgctxt "radio-reach.quote"\nmsgid "When I found a foreign station, I listened every night."\nmsgstr ""\n',
    )
    line = msgstr_line(mini_project, "radio-reach.quote")
    project = load_project(mini_project)
    out = mini_project / "output"
    marks = CatalogMarks(project.root, project.station, "ko", mini_project / ".cache" / "review")
    page = page_for(project, out, build_of(project, "ko", out), lambda lang, m: marks.marks(m) if lang == "ko" else ())
    story = segment(page, "radio-reach")
    ko_audio = next(a for a in story.audio if a.lang == "ko")
    assert ko_audio.status == LEFT_OUT and ko_audio.href is None
    assert f"not translated in {MINI_PO.as_posix()}:{line}" in ko_audio.note
    quote_row = story.rows[3]
    assert quote_row.cells[0].lines[0].text == "When I found a foreign station, I listened every night."
    ko_cell = quote_row.cells[1]
    assert ko_cell.lines == () and "not in the audio" in ko_cell.note
    assert Mark("warning", "untranslated", f"{MINI_PO.as_posix()}:{line}", "not translated yet") in ko_cell.marks
    assert not story.rows[0].cells[1].marks  # the title is translated and passes every check
    assert page_summary(page) == [
        "en: 3 of 3 segments in the audio",
        "ko: 2 of 3 segments in the audio · 0 errors · 1 warning",
    ]


def test_a_left_out_segment_shows_its_translated_lines_with_a_gap_for_the_missing_one(mini_project: Path) -> None:
    edit_catalog(
        mini_project,
        "radio-reach.quote",
        'msgctxt "radio-reach.quote"\nmsgid "When I found a foreign station, I listened every night."\nmsgstr ""\n',
    )
    project = load_project(mini_project)
    out = mini_project / "output"
    builds = [build_of(project, "en", out), build_of(project, "ko", out)]
    write_review_pages(project, builds, out, "player", mini_project / ".cache" / "review")
    html = (out / "_review" / "mini.html").read_text(encoding="utf-8")
    story = html[html.index('id="s2"') : html.index('id="s3"')]
    rows = re.findall(r"<tr id=\"s2-p\d\">.*?</tr>", story)
    assert len(rows) == 6
    assert "라디오는 나라 전체에서 실시간으로 들을 수 있는 유일한 외부 매체입니다." in rows[1]
    assert f'<td lang="ko" data-label="ko" class="cell"><p class="line"><span class="text">{GAP}</span>' in rows[3]
    assert "warning[untranslated]" in rows[3] and "warning[untranslated]" not in rows[1]
    assert "지금까지 한 전직 군인의 말을 들으셨습니다." in rows[4]
    assert 'data-audio="a2-ko"' not in story and 'data-audio="a2-en"' in story  # nothing to play in Korean
    assert story.count("not in the audio: the segment is left out") == 6


def test_fuzzy_and_failed_checks_are_marked_on_their_lines(mini_project: Path, tmp_path: Path) -> None:
    edit_catalog(
        mini_project,
        "radio-reach.paragraphs",
        f'#, fuzzy\nmsgctxt "radio-reach.paragraphs"\nmsgid "{SETS}"\nmsgstr "수신기는 고정됩니다."\n',
        SETS,
    )
    put_a_web_address_in_the_title(mini_project)
    project = load_project(mini_project)
    marks = CatalogMarks(project.root, project.station, "ko", tmp_path / "cache")
    title_message = SourceMessage("mini", "radio-reach.title", "Radio reaches every province.", HERE)
    found = marks.marks(title_message)
    where = f"{MINI_PO.as_posix()}:{msgstr_line(mini_project, 'radio-reach.title')}"
    assert ("error", "unspeakable", where) in [(m.severity, m.check, m.where) for m in found]
    assert all(m.where == where for m in found)
    page = page_for(project, tmp_path, marks=lambda lang, m: marks.marks(m) if lang == "ko" else ())
    story = segment(page, "radio-reach")
    assert story.rows[0].cells[1].marks == found
    fuzzy = story.rows[2].cells[1].marks
    assert [(m.check, m.where) for m in fuzzy] == [
        ("fuzzy", f"{MINI_PO.as_posix()}:{msgstr_line(mini_project, 'radio-reach.paragraphs', SETS)}")
    ]
    assert not story.rows[2].cells[0].marks  # the source language has nothing to check


def test_a_message_missing_from_the_catalog_is_marked(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    marks = CatalogMarks(project.root, project.station, "ko", tmp_path / "cache")
    absent = SourceMessage("mini", "radio-reach.nothing", "Not in any catalog.", HERE)
    assert [(m.check, m.where) for m in marks.marks(absent)] == [("missing", MINI_PO.as_posix())]
    other = SourceMessage("other-episode", "x.title", "No catalog.", HERE)
    assert marks.marks(other)[0].where == "locales/ko/LC_MESSAGES/other-episode.po"


def test_a_catalog_that_cannot_be_read_marks_its_lines(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    catalog = mini_project / MINI_PO
    lines = catalog.read_text(encoding="utf-8").count("\n")
    catalog.write_text(catalog.read_text(encoding="utf-8") + 'msgid "x"\nmsgstr "y\n', encoding="utf-8")
    marks = CatalogMarks(project.root, project.station, "ko", tmp_path / "cache")
    title = SourceMessage("mini", "radio-reach.title", "Radio reaches every province.", HERE)
    (mark,) = marks.marks(title)
    assert (mark.severity, mark.check, mark.where) == ("error", "catalog", f"{MINI_PO.as_posix()}:{lines + 2}")
    assert mark.message.startswith("cannot be read: ")


def test_check_findings_are_kept_until_the_catalog_changes(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    cache = tmp_path / "cache"
    title = SourceMessage("mini", "radio-reach.title", "Radio reaches every province.", HERE)
    assert CatalogMarks(project.root, project.station, "ko", cache).marks(title) == ()
    kept = cache / "ko.mini.json"
    before = kept.read_bytes()
    assert CatalogMarks(project.root, project.station, "ko", cache).marks(title) == ()
    assert kept.read_bytes() == before
    assert b'"entries": {' in before
    kept.write_text(before.decode().replace('"entries": {', '"entries": {"x": [[1, 2]], '), encoding="utf-8")
    assert CatalogMarks(project.root, project.station, "ko", cache).marks(title) == ()  # a damaged file is redone
    assert kept.read_bytes() == before
    edit_catalog(
        mini_project,
        "radio-reach.title",
        'msgctxt "radio-reach.title"\nmsgid "Radio reaches every province."\nmsgstr "<b>라디오</b>는 닿습니다."\n',
    )
    assert "unspeakable" in [m.check for m in CatalogMarks(project.root, project.station, "ko", cache).marks(title)]


def test_a_language_that_was_not_built_says_so(mini_project: Path, tmp_path: Path) -> None:
    project = load_project(mini_project)
    ko = LanguageBuild(rendered(project, "ko"), "failed", None, {}, ("engine timed out",))
    page = page_for(project, tmp_path, ko)
    for item in page.segments:
        audio = next(a for a in item.audio if a.lang == "ko")
        assert audio.status == NOT_BUILT and "not built (failed): engine timed out" in audio.note
        assert all(line.cue is None for row in item.rows for line in row.cells[1].lines)
        assert all(row.cells[1].note == "not in the audio: no ko audio was built" for row in item.rows)


INJECTED = "<script>document.title='pwned'</script>"


def test_script_and_catalog_text_is_escaped(mini_project: Path, tmp_path: Path) -> None:
    episode = mini_project / "scripts_src" / "episodes" / "mini.yaml"
    text = episode.read_text(encoding="utf-8").replace("title: Radio across the border", f'title: "{INJECTED}"')
    episode.write_text(text, encoding="utf-8")
    edit_catalog(
        mini_project,
        "episode.title",
        f'msgctxt "episode.title"\nmsgid "{INJECTED}"\nmsgstr "국경 {INJECTED}"\n',
    )
    edit_catalog(
        mini_project,
        "radio-reach.quote",
        'msgctxt "radio-reach.quote"\nmsgid "When I found a foreign station, I listened every night."\n'
        'msgstr "<img src=x onerror=alert(1)> \\"따옴표\\" & 밤"\n',
    )
    project = load_project(mini_project)
    html = page_html(page_for(project, tmp_path))
    assert html.count("<script>") == 1  # the page's own
    assert "<img" not in html and "onerror=alert(1)>" not in html
    assert "<h1 lang=\"en\">&lt;script&gt;document.title='pwned'&lt;/script&gt;</h1>" in html
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;따옴표&quot; &amp; 밤" in html


def test_pages_are_the_same_bytes_every_time_and_written_only_when_changed(mini_project: Path) -> None:
    project = load_project(mini_project)
    out = mini_project / "output"
    builds = [build_of(project, "en", out), build_of(project, "ko", out)]
    cache = mini_project / ".cache" / "review"
    written = write_review_pages(project, builds, out, "player", cache)
    page = out / "_review" / "mini.html"
    assert written == [page, out / "_review" / "index.html"]
    first = page.read_bytes()
    assert write_review_pages(project, builds, out, "player", cache) == []
    assert page.read_bytes() == first
    assert not re.search(rb"20\d\d-\d\d-\d\d[T ]\d\d:\d\d", first)  # no time of making inside
    assert b'href="mini.html"' in (out / "_review" / "index.html").read_bytes()
    assert not list((out / "_review").glob(".*"))  # no partial files


def test_pages_of_episodes_gone_from_project_and_output_are_removed(mini_project: Path) -> None:
    project = load_project(mini_project)
    out = mini_project / "output"
    pages = out / "_review"
    pages.mkdir(parents=True)
    (pages / "gone.html").write_text("<title>Review: Gone</title>")
    (pages / "draft.html").write_text("<title>Review: A draft &amp; its title</title>")
    (out / "draft").mkdir()  # a draft built on its own: its output is there
    write_review_pages(project, [build_of(project, "ko", out)], out, "player", mini_project / ".cache" / "review")
    assert not (pages / "gone.html").exists()
    assert (pages / "draft.html").exists() and (pages / "mini.html").exists()
    index = (pages / "index.html").read_text(encoding="utf-8")
    assert index.index('href="mini.html"') < index.index('href="draft.html">A draft &amp; its title</a>')
    assert "en: 0 of 3 segments in the audio; ko: 3 of 3 segments in the audio · 0 errors · 0 warnings" in index


def test_a_source_language_the_station_does_not_broadcast_is_shown_as_text(mini_project: Path) -> None:
    station = mini_project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    for line in (
        "  en:\n    host:  {backend: espeak-ng, voice: en-us, rate: 155, volume: 1.0}\n"
        "    guest: {backend: espeak-ng, voice: en-us+f3, rate: 150, volume: 1.0}\n",
        "  en: {words_per_minute: 150}\n",
    ):
        assert line in text
        text = text.replace(line, "")
    station.write_text(text.replace("languages: [ko, en]", "languages: [ko]"), encoding="utf-8")
    project = load_project(mini_project)
    out = mini_project / "output"
    write_review_pages(project, [build_of(project, "ko", out)], out, "player", mini_project / ".cache" / "review")
    html = (out / "_review" / "mini.html").read_text(encoding="utf-8")
    assert 'class="player text-only" lang="en"' in html and 'id="a2-en"' not in html
    assert "not built" not in html and "Radio reaches every province." in html


def test_an_untranslated_episode_title_is_marked_in_the_header(mini_project: Path, tmp_path: Path) -> None:
    edit_catalog(mini_project, "episode.title", 'msgctxt "episode.title"\nmsgid "Radio across the border"\nmsgstr ""\n')
    project = load_project(mini_project)
    marks = CatalogMarks(project.root, project.station, "ko", tmp_path / "cache")
    ko = LanguageBuild(rendered(project, "ko"), "incomplete")
    page = page_for(project, tmp_path, ko, lambda lang, m: marks.marks(m) if lang == "ko" else ())
    assert dict(page.titles)["ko"] == ""
    assert [(m.check, m.where) for m in page.marks] == [
        ("untranslated", f"{MINI_PO.as_posix()}:{msgstr_line(mini_project, 'episode.title')}")
    ]
    assert all(next(a for a in s.audio if a.lang == "ko").status == LEFT_OUT for s in page.segments)
    assert "(not translated)" in page_html(page)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_page_shows_the_other_languages_as_an_earlier_build_left_them(mini_project: Path, lang: str) -> None:
    project = load_project(mini_project)
    out = mini_project / "output"
    other = "ko" if lang == "en" else "en"
    earlier = build_of(project, other, out)
    folder = out / "mini" / other
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"files": dict(earlier.files)}), encoding="utf-8")
    write_review_pages(project, [build_of(project, lang, out)], out, "player", mini_project / ".cache" / "review")
    html = (out / "_review" / "mini.html").read_text(encoding="utf-8")
    assert f'id="a2-{other}"' in html and f'id="a2-{lang}"' in html
    assert "from an earlier build" in html


def test_findings_read_ahead_give_the_same_pages(mini_project: Path, tmp_path: Path) -> None:
    """A build reads the check findings of its episodes' catalogs while its jobs run
    (``review_checks``); the pages it then writes are those written without reading ahead."""
    put_a_web_address_in_the_title(mini_project)
    project = load_project(mini_project)
    cache = mini_project / ".cache" / "review"
    checks = review_checks(project, cache, [project.episodes["mini"]])
    assert sorted(path.name for path in cache.iterdir()) == ["ko.mini.json", "ko.station.json"]
    pages = []
    for out, given in ((tmp_path / "ahead", checks), (tmp_path / "on-demand", None)):
        builds = [build_of(project, "en", out), build_of(project, "ko", out)]
        write_review_pages(project, builds, out, "player", tmp_path / "cache-of" / out.name, given)
        pages.append((out / "_review" / "mini.html").read_bytes())
    assert pages[0] == pages[1]
    assert b"unspeakable" in pages[0]  # the finding is on the page
    assert not (tmp_path / "cache-of" / "ahead").exists()  # the findings read ahead were used
