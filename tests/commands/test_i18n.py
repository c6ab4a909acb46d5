"""``pipeline i18n``: the translator workflow end to end on a copy of the fixture project."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.i18n.catalogs import mo_path
from pipeline.i18n.pofile import read_po_file, write_po_file
from pipeline.project.layout import po_path
from pipeline.project.station import load_station

DATA = Path(__file__).resolve().parents[1] / "data" / "i18n"
KOREAN = yaml.safe_load((DATA / "translations_ko.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(DATA / "project", root)
    return root


def run(project: Path, *args: str) -> int:
    return main(["i18n", *args[:1], "--project", str(project), *args[1:]])


def translate(project: Path, lang: str = "ko", skip: tuple[str, ...] = ()) -> None:
    """Fill every catalog of ``lang`` from translations_ko.yaml, except contexts in ``skip``."""
    for domain, texts in KOREAN.items():
        path = po_path(project, lang, domain)
        catalog = read_po_file(path, project)
        paragraphs_seen: dict[str, int] = {}
        for entry in catalog.messages():
            assert entry.msgctxt is not None
            text = texts[entry.msgctxt]
            if isinstance(text, list):  # a paragraphs field: its paragraphs in order
                index = paragraphs_seen[entry.msgctxt] = paragraphs_seen.get(entry.msgctxt, -1) + 1
                text = text[index]
            if entry.msgctxt not in skip:
                entry.msgstr = text
        write_po_file(path, catalog)


def prepare(project: Path, skip: tuple[str, ...] = ()) -> None:
    """Extract, create the Korean catalogs and translate them (but the contexts in ``skip``)."""
    assert run(project, "extract") == 0
    assert run(project, "update") == 0
    translate(project, skip=skip)


def replace_translation(project: Path, domain: str, old: str, new: str) -> int:
    """Change one msgstr line of a Korean catalog as a translator would; return its line."""
    path = po_path(project, "ko", domain)
    text = path.read_text().replace(f'msgstr "{old}"', f'msgstr "{new}"')
    path.write_text(text)
    return text.splitlines().index(f'msgstr "{new}"') + 1


def msgfmt_check(path: Path) -> None:
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_extract_update_translate_check_compile(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "extract") == 0
    assert run(project, "update") == 0
    out = capsys.readouterr().out
    assert "locales/ko/LC_MESSAGES/media-ban.po: created (7 messages to translate)" in out
    translate(project)
    for domain in KOREAN:
        msgfmt_check(po_path(project, "ko", domain))

    assert run(project, "check") == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "0 errors, 0 warnings in 3 catalogs\n"

    assert run(project, "compile") == 0
    assert "locales/ko/LC_MESSAGES/station.po -> .cache/mo/ko/station.mo: 9 messages" in (capsys.readouterr().out)
    assert mo_path(project, "ko", "sd-cards").exists()


def test_update_twice_changes_no_byte_and_an_edit_becomes_fuzzy(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(project)
    catalogs = {domain: po_path(project, "ko", domain) for domain in KOREAN}
    before = {domain: path.read_bytes() for domain, path in catalogs.items()}
    assert run(project, "update") == 0
    assert {domain: path.read_bytes() for domain, path in catalogs.items()} == before

    script = project / "scripts_src/episodes/sd-cards.yaml"
    script.write_text(script.read_text().replace("in seconds", "in a few seconds"))
    run(project, "extract")
    capsys.readouterr()
    assert run(project, "update") == 0
    assert "sd-cards.po: 1 edited in the script (kept as fuzzy)" in capsys.readouterr().out
    entry = read_po_file(catalogs["sd-cards"]).messages()[-1]
    assert entry.fuzzy
    assert entry.previous_msgid == ("A card can be swallowed, burned or snapped in seconds if a search begins.")
    assert entry.msgstr == KOREAN["sd-cards"]["cards.paragraphs"][1]
    msgfmt_check(catalogs["sd-cards"])
    assert run(project, "check") == 0
    assert "warning[fuzzy]: marked fuzzy" in capsys.readouterr().out
    assert run(project, "check", "--strict") == 1


def test_check_reports_compiler_style_and_fails_on_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prepare(project)
    line = replace_translation(project, "station", "{station}입니다.", "열린 창 방송입니다.")
    capsys.readouterr()
    assert run(project, "check", "--lang", "ko") == 1
    captured = capsys.readouterr()
    assert captured.out == (f"locales/ko/LC_MESSAGES/station.po:{line}: error[placeholders]: missing {{station}}\n")
    assert captured.err == "1 error (placeholders 1), 0 warnings in 3 catalogs\n"


def test_compile_refuses_a_broken_catalog_and_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prepare(project)
    line = replace_translation(project, "station", "{station}입니다.", "방송입니다.")
    capsys.readouterr()
    assert run(project, "compile") == 1
    assert capsys.readouterr().err == (f"locales/ko/LC_MESSAGES/station.po:{line}: placeholders: missing {{station}}\n")
    assert not (project / ".cache").exists()


def test_stats_count_messages_and_seconds_of_blocked_speech(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Everything but one title (4 words: 1.6 s) and one paragraph marked fuzzy.
    prepare(project, skip=("episode.title",))
    path = po_path(project, "ko", "sd-cards")
    catalog = read_po_file(path)
    catalog.find("cards.paragraphs", catalog.messages()[2].msgid).set_fuzzy(True)
    write_po_file(path, catalog)
    capsys.readouterr()
    assert run(project, "stats", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    rows = {row["domain"]: row for row in document["catalogs"]}
    assert rows["sd-cards"] == {
        "language": "ko",
        "domain": "sd-cards",
        "catalog": "locales/ko/LC_MESSAGES/sd-cards.po",
        "exists": True,
        "messages": 4,
        "translated": 2,
        "fuzzy": 1,
        "unusable": 0,
        "untranslated": 1,
        "missing": 0,
        "percent_translated": 50.0,
        "blocked_seconds": 10.4,  # the title 1.6 s + the 22-word paragraph 8.8 s
        "built": True,
    }
    assert document["languages"]["ko"]["messages"] == 20
    assert document["languages"]["ko"]["untranslated"] == 2
    gnu = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert gnu.stderr.strip() == "2 translated messages, 1 fuzzy translation, 1 untranslated message."

    assert run(project, "stats") == 0
    table = capsys.readouterr().out
    assert "Translation progress" in table
    assert "10.4 s" in table


def test_init_adds_a_language_to_the_station_and_its_catalogs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(project, "extract")
    station_file = project / "scripts_src/station.yaml"
    before = station_file.read_text()
    assert run(project, "init", "--lang", "ja") == 0
    out = capsys.readouterr().out
    assert "locales/ja/LC_MESSAGES/station.po: created" in out
    assert "check the voices with 'pipeline voices --lang ja'" in out
    station = load_station(project)
    assert station.languages == ("ko", "en", "ja")
    assert set(station.voices["ja"]) == {"host", "guest"}
    after = station_file.read_text()
    assert [line for line in before.splitlines() if line not in after.splitlines()] == [
        "languages: [ko, en]             # languages every episode is built in"
    ]
    catalog = read_po_file(po_path(project, "ja", "media-ban"))
    assert catalog.header_field("Plural-Forms") == "nplurals=1; plural=0;"
    assert catalog.header_field("Language") == "ja"
    assert catalog.messages()[1].extracted[-1].endswith("(1.3 × English), about 26 syllables")
    for domain in KOREAN:
        msgfmt_check(po_path(project, "ja", domain))
    assert run(project, "update") == 0
    assert "locales/ja/LC_MESSAGES/station.po: unchanged" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("init", "--lang", "xx-nope"), "--lang xx-nope: unknown language code"),
        (("init", "--lang", "en"), "--lang en: that is the language the scripts are written in"),
        (("update", "--lang", "fr"), "--lang fr: not a translated language of the station"),
    ],
)
def test_usage_mistakes_are_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    run(project, "extract")
    capsys.readouterr()
    assert run(project, *args) == 2
    assert capsys.readouterr().err.startswith(message)


def test_update_without_templates_says_what_to_do(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "update") == 2
    assert capsys.readouterr().err == ("locales/templates: no templates; run 'pipeline i18n extract' first\n")


def test_a_broken_check_config_is_reported_with_file_and_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "locales/checks.yaml").write_text("checks:\n  lenght: off\n")
    assert run(project, "check") == 2
    assert capsys.readouterr().err.startswith(
        "locales/checks.yaml:2: checks.lenght: unknown check 'lenght' (known: placeholders,"
    )


def test_check_takes_catalogs_from_outside_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = DATA / "large" / "weblate.po"
    assert main(["i18n", "check", "--project", str(tmp_path), str(catalog)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert all(line.startswith(f"{catalog.as_posix()}:") for line in lines)
    # The problems planted in it, less the glossary one: there is no project glossary here.
    assert sum("error[" in line for line in lines) == 8
    assert captured.err.startswith("8 errors (latin 2, blank 1, length 1, numbers 1, ")


@pytest.mark.parametrize("position", [0, 1, 2])
def test_inserting_a_paragraph_leaves_one_new_entry_and_nothing_fuzzy(
    project: Path, capsys: pytest.CaptureFixture[str], position: int
) -> None:
    prepare(project)
    path = po_path(project, "ko", "sd-cards")
    before = {entry.key: entry.msgstr for entry in read_po_file(path).messages()}
    script = project / "scripts_src/episodes/sd-cards.yaml"
    lines = script.read_text().splitlines(keepends=True)
    # Before the first paragraph, between the two, or after the last.
    places = [i for i, line in enumerate(lines) if line.startswith("      - ") or line.startswith("  - id: sign-off")]
    lines.insert(places[position], "      - Couriers also carry cheap players that fit in a pocket.\n")
    script.write_text("".join(lines))
    assert run(project, "extract") == 0
    capsys.readouterr()
    assert run(project, "update") == 0
    assert "sd-cards.po: 1 new\n" in capsys.readouterr().out
    after = read_po_file(path).messages()
    assert [entry for entry in after if entry.fuzzy] == []
    untranslated = [entry.msgid for entry in after if not entry.translated]
    assert untranslated == ["Couriers also carry cheap players that fit in a pocket."]
    assert {entry.key: entry.msgstr for entry in after if entry.translated} == before
    msgfmt_check(path)
    assert run(project, "stats", "--json") == 0
    rows = {row["domain"]: row for row in json.loads(capsys.readouterr().out)["catalogs"]}
    assert (rows["sd-cards"]["untranslated"], rows["sd-cards"]["fuzzy"]) == (1, 0)


def test_a_new_catalog_invites_translation_and_has_gnus_plural_forms(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project, "extract") == 0
    assert run(project, "init", "--lang", "ar") == 0
    path = po_path(project, "ar", "sd-cards")
    catalog = read_po_file(path, project)
    assert catalog.header is not None
    comments = "\n".join(catalog.header.comments)
    assert comments.startswith("Arabic (ar) translation of Open Window Radio: episode 'sd-cards'")
    assert "pipeline i18n check --lang ar" in comments
    assert "pipeline say --lang ar --entry locales/ar/LC_MESSAGES/sd-cards.po:LINE" in comments
    assert "not this file" not in comments
    assert catalog.header_field("Language-Team") == "Arabic"
    assert catalog.header_field("Plural-Forms") == (
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
    )
    assert catalog.wrap_width() == 79
    msgfmt_check(path)


def test_stats_count_a_translation_the_build_cannot_use_as_not_translated(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(project)
    line = replace_translation(project, "station", "{station}입니다.", "열린 창 방송입니다.")
    capsys.readouterr()
    assert run(project, "stats", "--json") == 0
    rows = {row["domain"]: row for row in json.loads(capsys.readouterr().out)["catalogs"]}
    assert (rows["station"]["translated"], rows["station"]["unusable"]) == (8, 1)
    assert rows["station"]["blocked_seconds"] > 0
    # The build agrees: the segment that speaks it is left out, for that reason.
    assert main(["render", "sd-cards", "--lang", "ko", "--project", str(project)]) == 1
    assert f"translation in locales/ko/LC_MESSAGES/station.po:{line} cannot be used" in capsys.readouterr().err
    assert main(["render", "sd-cards", "--lang", "ko", "--project", str(project), "--allow-incomplete"]) == 0
    preview = capsys.readouterr().out
    assert (
        f"⟨not translated⟩ translation in locales/ko/LC_MESSAGES/station.po:{line} cannot be used: "
        "placeholders: missing {station}" in preview
    )


def test_check_of_episodes_reports_each_problem_once_errors_first(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(project, skip=("cards.title",))
    station_line = replace_translation(project, "station", "{station}입니다.", "열린 창 방송입니다.")
    quote_line = replace_translation(
        project, "media-ban", "커튼을 닫고 소리를 줄인 채로 봤어요.", "커튼을 닫고  봤어요."
    )
    capsys.readouterr()
    assert run(project, "check", "sd-cards", "media-ban") == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    station_error = f"locales/ko/LC_MESSAGES/station.po:{station_line}: error[placeholders]: missing {{station}}"
    assert lines.count(station_error) == 1  # once, though both episodes speak it
    assert f"locales/ko/LC_MESSAGES/media-ban.po:{quote_line}: error[spaces]: two spaces in a row" in lines
    severities = [line.split(": ")[1].split("[")[0] for line in lines]
    assert severities == sorted(severities)  # errors before warnings
    assert "warning[untranslated]" in lines[-1]
    assert captured.err == "2 errors (placeholders 1, spaces 1), 1 warning (untranslated 1) in 3 catalogs\n"

    # One episode: its catalog and the station strings it speaks, nothing else.
    assert run(project, "check", "sd-cards") == 1
    only = capsys.readouterr()
    assert "media-ban.po" not in only.out
    assert station_error in only.out.splitlines()
    assert run(project, "check", "nope") == 2
    assert "unknown episode nope (episodes: media-ban, sd-cards)" in capsys.readouterr().err


def test_check_of_an_episode_without_catalogs_says_to_update(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "extract") == 0
    capsys.readouterr()
    assert run(project, "check", "sd-cards") == 1
    assert capsys.readouterr().out.splitlines() == [
        "locales/ko/LC_MESSAGES/sd-cards.po: error[catalog]: no catalog yet (run 'pipeline i18n update')",
        "locales/ko/LC_MESSAGES/station.po: error[catalog]: no catalog yet (run 'pipeline i18n update')",
    ]


def test_inserting_a_template_part_leaves_the_other_parts_translated(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(project)
    template = project / "scripts_src/templates/sign_off.yaml"
    template.write_text(
        template.read_text().replace("parts:\n", 'parts:\n  - text: "Thank you for listening."\n    voice: host\n', 1)
    )
    assert run(project, "extract") == 0
    capsys.readouterr()
    assert run(project, "update") == 0
    assert "station.po: 1 new\n" in capsys.readouterr().out
    entries = read_po_file(po_path(project, "ko", "station")).messages()
    assert [e for e in entries if e.fuzzy] == []
    assert [e.msgid for e in entries if not e.translated] == ["Thank you for listening."]
