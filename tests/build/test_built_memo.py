"""Episodes found unchanged from the memo of the last build: the same outcomes and the same
files as a full check, for every kind of change that must make an episode be checked again."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeline.build.built_memo as built_memo
import pipeline.build.orchestrator as orchestrator
from pipeline.build.orchestrator import BuildRequest, build
from pipeline.project.layout import BUILT_MEMO
from pipeline.project.script import load_project
from tests.conftest import DATA

OPERATOR_FILES = ("_logs", "_report")


def age(root: Path, seconds: float = 120.0) -> None:
    """Move every file's modification time into the past, as if written minutes ago."""
    then = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (then, then))


def add_second_episode(root: Path) -> None:
    """A second episode, ``mini2``, with its own Korean catalog."""
    script = (root / "scripts_src/episodes/mini.yaml").read_text(encoding="utf-8")
    (root / "scripts_src/episodes/mini2.yaml").write_text(script.replace("id: mini\n", "id: mini2\n"), "utf-8")
    catalogs = root / "locales/ko/LC_MESSAGES"
    shutil.copy(catalogs / "mini.po", catalogs / "mini2.po")


def run_build(root: Path, **options: object) -> dict[tuple[str, str, str], tuple[str, int, float]]:
    """Build ``root`` in this process; each folder's (status, segments, audio seconds)."""
    project = load_project(root)
    request = BuildRequest(out=root / "output", jobs=1, **options)  # type: ignore[arg-type]
    report = build(project, request)
    return {(o.episode, o.lang, o.profile): (o.status, o.segments, round(o.audio_seconds, 3)) for o in report.outcomes}


def output_files(root: Path) -> dict[str, bytes]:
    """Every file the build leaves for listeners and reviewers, by path, with its bytes."""
    out = root / "output"
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.relative_to(out).parts[0] not in OPERATOR_FILES
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini project with two episodes, built once."""
    root = tmp_path_factory.mktemp("memo") / "mini"
    shutil.copytree(DATA / "mini", root, ignore=shutil.ignore_patterns("output", ".cache"))
    add_second_episode(root)
    age(root)
    outcomes = run_build(root)
    assert {status for status, _, _ in outcomes.values()} == {"built"}
    return root


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The (episode, language) pairs the build renders, in order."""
    seen: list[tuple[str, str]] = []
    render = orchestrator.render_episode

    def counting(project, episode, lang, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((episode.id, lang))
        return render(project, episode, lang, *args, **kwargs)

    monkeypatch.setattr(orchestrator, "render_episode", counting)
    return seen


def recorded_copy(built: Path, into: Path) -> Path:
    """A copy of the built project whose memo records both episodes (a copy has new inodes, so
    it is checked in full once and recorded), every file as if written minutes ago (a file
    modified within the last two seconds is never taken on trust)."""
    root = into / "mini"
    shutil.copytree(built, root, symlinks=True)
    age(root)
    run_build(root)  # writes nothing: every file keeps its age
    memo = json.loads((root / BUILT_MEMO).read_text(encoding="utf-8"))
    assert sorted(memo["episodes"]) == ["mini", "mini2"]
    return root


def test_a_no_op_build_renders_nothing_and_reports_what_a_full_check_does(
    built: Path, tmp_path: Path, rendered: list[tuple[str, str]]
) -> None:
    root = recorded_copy(built, tmp_path)
    full = tmp_path / "full"
    shutil.copytree(root, full, symlinks=True)
    (full / BUILT_MEMO).unlink()
    rendered.clear()
    from_memo = run_build(root)
    assert rendered == []
    assert from_memo == run_build(full)
    assert {status for status, _, _ in from_memo.values()} == {"unchanged"}
    assert len(from_memo) == 4 and all(segments == 3 and seconds > 1 for _, segments, seconds in from_memo.values())
    assert run_build(root, dry_run=True) == {key: ("up to date", n, s) for key, (_, n, s) in from_memo.items()}


def _edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def _write(relative: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")

    return change


def _delete(pattern: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        found = sorted((root / "output").glob(pattern))
        assert found, pattern
        found[0].unlink()

    return change


def _overwrite_audio(root: Path) -> None:
    first = sorted((root / "output/mini/ko").glob("01*.mp3"))[0]
    data = bytearray(first.read_bytes())
    data[-200] ^= 0xFF
    first.write_bytes(bytes(data))


def _linked_folder(root: Path) -> None:
    folder = root / "output/mini2/en"
    moved = root / "elsewhere"
    shutil.move(folder, moved)
    folder.symlink_to(moved, target_is_directory=True)


def _partial_file(root: Path) -> None:
    (root / "output/mini/en/.01-opening.mp3.5f3a9c1e.part").write_bytes(b"half a file")


def _edit_manifest(root: Path) -> None:
    path = root / "output/mini/en/manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["files"].pop(sorted(data["files"])[0])
    path.write_text(json.dumps(data), encoding="utf-8")


CHANGES: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    # name: (the change, the episodes that must be rendered again)
    "script text": (_edit("scripts_src/episodes/mini2.yaml", "many are changed", "many are retuned"), {"mini2"}),
    "template": (_edit("scripts_src/templates/sign_off.yaml", "text:", "text:  "), {"mini", "mini2"}),
    "station pauses": (_edit("scripts_src/station.yaml", "segment_end: 1.0", "segment_end: 1.5"), {"mini", "mini2"}),
    "episode catalog": (_edit("locales/ko/LC_MESSAGES/mini2.po", '"한 전직 군인"', '"전직 군인 한 명"'), {"mini2"}),
    "shared catalog": (_edit("locales/ko/LC_MESSAGES/station.po", 'msgid ""', '# a note\nmsgid ""'), {"mini", "mini2"}),
    "new lexicon": (_write("locales/en/lexicon.yaml", "radio: ray dee oh\n"), {"mini", "mini2"}),
    "check settings": (_write("locales/glossary.yaml", "terms:\n  - term: Radio\n    ko: 라디오\n"), {"mini", "mini2"}),
    "segment file deleted": (_delete("mini/ko/02*.mp3"), {"mini"}),
    "segment file damaged": (_overwrite_audio, {"mini"}),
    "lyrics deleted": (_delete("mini2/en/*.lrc"), {"mini2"}),
    "manifest edited": (_edit_manifest, {"mini"}),
    "review page deleted": (_delete("_review/mini2.html"), {"mini2"}),
    "review page edited": (_edit("output/_review/mini.html", "<", "<!-- -->\n<"), {"mini"}),
    "folder made a link": (_linked_folder, {"mini2"}),
    "partial file left": (_partial_file, set()),  # swept; the folder is intact
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_after_each_kind_of_change_the_memo_gives_what_a_full_check_gives(
    built: Path, tmp_path: Path, rendered: list[tuple[str, str]], name: str
) -> None:
    change, expected = CHANGES[name]
    root = recorded_copy(built, tmp_path)
    full = tmp_path / "full"
    shutil.copytree(root, full, symlinks=True)
    (full / BUILT_MEMO).unlink()
    for project in (root, full):
        change(project)
    rendered.clear()
    from_memo = run_build(root)
    assert {episode for episode, _ in rendered} == expected
    rendered.clear()
    assert from_memo == run_build(full)
    assert output_files(root) == output_files(full)
    assert not list((root / "output").rglob(".*.part"))


def test_what_the_code_and_its_environment_are_is_part_of_the_memo(
    built: Path, tmp_path: Path, rendered: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = recorded_copy(built, tmp_path)
    for part in ("code_digest", "_distributions", "_voices"):
        with monkeypatch.context() as patched:
            original = getattr(built_memo, part)
            patched.setattr(built_memo, part, lambda *args, _original=original: _original(*args) + "changed")
            rendered.clear()
            run_build(root)
            assert {episode for episode, _ in rendered} == {"mini", "mini2"}, part
        rendered.clear()
        run_build(root)  # recorded again with the real context
        assert {episode for episode, _ in rendered} == {"mini", "mini2"}, part
    rendered.clear()
    run_build(root)
    assert rendered == []


@pytest.mark.parametrize(
    "options",
    [{"force": True}, {"fresh_speech": True}, {"languages": ("ko",)}, {"allow_incomplete": True}],
    ids=["force", "fresh speech", "one language", "allow incomplete"],
)
def test_requests_the_memo_does_not_answer_render_every_episode(
    built: Path, tmp_path: Path, rendered: list[tuple[str, str]], options: dict[str, object]
) -> None:
    root = recorded_copy(built, tmp_path)
    rendered.clear()
    run_build(root, **options)
    assert {episode for episode, _ in rendered} == {"mini", "mini2"}


def test_an_edit_made_while_the_build_runs_is_not_recorded_as_built(
    built: Path, tmp_path: Path, rendered: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = recorded_copy(built, tmp_path)
    _edit("scripts_src/episodes/mini2.yaml", "many are changed", "many are retuned")(root)
    age(root)
    project = load_project(root)
    script = root / "scripts_src/episodes/mini2.yaml"
    pages = orchestrator.review_pages

    def edit_then_write_pages(*args: object, **kwargs: object) -> None:
        script.write_text(script.read_text(encoding="utf-8").replace("retuned", "rewired"), encoding="utf-8")
        pages(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(orchestrator, "review_pages", edit_then_write_pages)
    build(project, BuildRequest(out=root / "output", jobs=1))
    monkeypatch.setattr(orchestrator, "review_pages", pages)
    memo = json.loads((root / BUILT_MEMO).read_text(encoding="utf-8"))
    assert sorted(memo["episodes"]) == ["mini"]  # mini2 changed after it was loaded
    rendered.clear()
    run_build(root)
    assert {episode for episode, _ in rendered} == {"mini2"}


def test_an_unreadable_memo_only_costs_the_full_check(built: Path, tmp_path: Path) -> None:
    root = recorded_copy(built, tmp_path)
    (root / BUILT_MEMO).write_text("{not json", encoding="utf-8")
    outcomes = run_build(root)
    assert {status for status, _, _ in outcomes.values()} == {"unchanged"}
    assert sorted(json.loads((root / BUILT_MEMO).read_text(encoding="utf-8"))["episodes"]) == ["mini", "mini2"]


def test_an_episode_made_in_fewer_languages_watches_what_its_page_shows_of_the_others(
    built: Path, tmp_path: Path, rendered: list[tuple[str, str]]
) -> None:
    """The review page shows an earlier build of a language the episode is no longer made in:
    when that folder goes, the page must be written again."""
    root = recorded_copy(built, tmp_path)
    _edit("scripts_src/episodes/mini2.yaml", "date: 2026-11-20\n", "date: 2026-11-20\nlanguages: [ko]\n")(root)
    age(root)
    run_build(root)  # makes mini2 in Korean only, beside its earlier English folder
    age(root)
    run_build(root)  # records it again with what it wrote aged, as if the build were minutes ago
    memo = json.loads((root / BUILT_MEMO).read_text(encoding="utf-8"))
    assert [folder["lang"] for folder in memo["episodes"]["mini2"]["folders"]] == ["ko"]
    full = tmp_path / "full"
    shutil.copytree(root, full, symlinks=True)
    (full / BUILT_MEMO).unlink()
    for project in (root, full):
        assert "en" in (project / "output/_review/mini2.html").read_text(encoding="utf-8")
        shutil.rmtree(project / "output/mini2/en")
    rendered.clear()
    from_memo = run_build(root)
    assert {episode for episode, _ in rendered} == {"mini2"}
    assert from_memo == run_build(full)
    assert output_files(root) == output_files(full)
