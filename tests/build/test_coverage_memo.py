"""The translation-coverage memo: a build reuses a catalog's counts only while nothing they come from changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pipeline.i18n.coverage_memo as coverage_memo
from pipeline.build.orchestrator import coverage
from pipeline.i18n.coverage_memo import CoverageMemo
from pipeline.i18n.stats import project_stats, totals
from pipeline.project.layout import COVERAGE_MEMO
from pipeline.project.script import load_project

CATALOG = Path("locales/ko/LC_MESSAGES/mini.po")
QUOTE = 'msgstr "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."'


def counted(project_root: Path) -> dict[str, object]:
    """The build's coverage figures for every episode and language (memo in use)."""
    project = load_project(project_root)
    return {
        lang: (c.messages, c.missing, c.seconds_blocked)
        for lang, c in coverage(project, list(project.episodes.values()), list(project.station.languages)).items()
    }


def rows(project_root: Path, memo: bool) -> dict[str, tuple[int, int, float]]:
    """Per domain of the Korean catalogs: messages, translated, blocked seconds; counted with
    the project's memo (saved afterwards) or without any."""
    project = load_project(project_root)
    kept = CoverageMemo(project_root / COVERAGE_MEMO) if memo else None
    found = project_stats(project, ["ko"], broken_as_missing=True, memo=kept)
    if kept is not None:
        kept.save(prune=True)
    return {row.domain: (row.messages, row.translated, round(row.blocked_seconds, 1)) for row in found}


def fresh(project_root: Path) -> dict[str, object]:
    """The build's figures counted without any memo."""
    project = load_project(project_root)
    targets = [lang for lang in project.station.languages if lang != project.station.source_language]
    found = project_stats(project, targets, broken_as_missing=True)
    return {
        lang: (t.messages, t.messages - t.translated, round(t.blocked_seconds, 1)) for lang, t in totals(found).items()
    }


def poison(project_root: Path) -> None:
    """Put a count no catalog has into every kept row, so a reuse of the memo shows."""
    path = project_root / COVERAGE_MEMO
    memo = json.loads(path.read_text(encoding="utf-8"))
    for counts in memo.values():
        counts["translated"] = -999
    path.write_text(json.dumps(memo), encoding="utf-8")


def test_unchanged_catalogs_are_answered_from_the_memo(mini_project: Path) -> None:
    first = counted(mini_project)
    assert first == fresh(mini_project)
    assert (mini_project / COVERAGE_MEMO).is_file()
    poison(mini_project)
    messages, missing, _ = counted(mini_project)["ko"]
    assert missing >= messages + 999  # nothing changed: the kept counts are used


def test_a_changed_catalog_is_counted_again(mini_project: Path) -> None:
    rows(mini_project, memo=True)
    poison(mini_project)
    path = mini_project / CATALOG
    path.write_text(path.read_text(encoding="utf-8").replace(QUOTE, 'msgstr ""'), encoding="utf-8")
    again, truth = rows(mini_project, memo=True), rows(mini_project, memo=False)
    assert again["mini"] == truth["mini"]  # its catalog changed: counted again
    assert again["station"][1] == -999  # unchanged: still answered from the memo
    assert truth["mini"][1] == truth["mini"][0] - 1


def test_a_changed_script_is_counted_again(mini_project: Path) -> None:
    rows(mini_project, memo=True)
    poison(mini_project)
    script = next((mini_project / "scripts_src" / "episodes").glob("*.yaml"))
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("title: ", "title: New ", 1), encoding="utf-8")
    again, truth = rows(mini_project, memo=True), rows(mini_project, memo=False)
    assert again["mini"] == truth["mini"]
    assert truth["mini"][1] == truth["mini"][0] - 1  # the new title has no translation yet


def test_a_changed_speaking_rate_is_counted_again(mini_project: Path) -> None:
    path = mini_project / CATALOG
    path.write_text(path.read_text(encoding="utf-8").replace(QUOTE, 'msgstr ""'), encoding="utf-8")
    before = rows(mini_project, memo=True)
    station = mini_project / "scripts_src" / "station.yaml"
    text = station.read_text(encoding="utf-8")
    station.write_text(text.replace("{words_per_minute: 150}", "{words_per_minute: 90}"), encoding="utf-8")
    again = rows(mini_project, memo=True)
    assert again == rows(mini_project, memo=False)
    assert again["mini"][2] > before["mini"][2] > 0  # the blocked seconds follow the slower rate


def test_a_missing_or_unreadable_memo_only_costs_counting(mini_project: Path) -> None:
    counted(mini_project)
    (mini_project / COVERAGE_MEMO).write_text("{not json", encoding="utf-8")
    assert counted(mini_project) == fresh(mini_project)
    assert json.loads((mini_project / COVERAGE_MEMO).read_text(encoding="utf-8"))  # written again


def test_other_counting_code_does_not_reuse_the_memo(mini_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counted(mini_project)
    poison(mini_project)
    monkeypatch.setattr(coverage_memo, "code_digest", lambda: "other code")
    assert counted(mini_project) == fresh(mini_project)
    assert rows(mini_project, memo=True) == rows(mini_project, memo=False)


def test_the_code_digest_covers_the_counting_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = coverage_memo.code_digest()
    package = tmp_path / "i18n"
    shutil.copytree(coverage_memo._PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(coverage_memo, "_PACKAGE", package)
    coverage_memo.code_digest.cache_clear()
    try:
        assert coverage_memo.code_digest() == before  # same files, same digest
        coverage_memo.code_digest.cache_clear()
        stats = package / "stats.py"
        stats.write_text(stats.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        assert coverage_memo.code_digest() != before
    finally:
        coverage_memo.code_digest.cache_clear()
