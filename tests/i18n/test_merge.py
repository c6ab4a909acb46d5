"""Merging templates into catalogs: nothing a translator wrote is ever lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.i18n.merge import merge_catalog, new_catalog
from pipeline.i18n.pofile import parse_po, po_bytes, read_po_file, render_po, write_po_file

FIELDS = (
    "Project-Id-Version: test",
    "PO-Revision-Date: 2024-03-04 10:00+0000",
    "Last-Translator: ",
    "Language-Team: Korean",
    "Language: ko",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=UTF-8",
    "Content-Transfer-Encoding: 8bit",
    "Plural-Forms: nplurals=1; plural=0;",
    "X-Custom: keep me",
)
HEADER = 'msgid ""\nmsgstr ""\n' + "".join(f'"{field}\\n"\n' for field in FIELDS)


def catalog(body: str) -> str:
    return HEADER + body


def test_update_with_an_unchanged_template_changes_no_byte(
    data: Path, tmp_path: Path, msgfmt_check: Callable[[Path], None]
) -> None:
    source = data / "roundtrip" / "ko.po"
    po = read_po_file(source)
    report = merge_catalog(po, read_po_file(data / "roundtrip" / "ko.pot"))
    assert po_bytes(po) == source.read_bytes()
    assert (report.kept, report.added, report.obsoleted, report.source_changed) == (11, 0, 0, 0)
    target = tmp_path / "ko.po"
    write_po_file(target, po)
    msgfmt_check(target)


def test_an_edited_sentence_keeps_its_translation_as_fuzzy_with_the_old_source(
    tmp_path: Path, msgfmt_check: Callable[[Path], None]
) -> None:
    po = parse_po(
        catalog(
            "\n# Read slowly.\n"
            "#: scripts_src/episodes/ep1.yaml:12\n"
            'msgctxt "survey.paragraphs.1"\n'
            'msgid "Over 34,000 people have settled in the South."\n'
            'msgstr "3만 4천 명이 넘는 사람들이 남한에 정착했습니다."\n'
        )
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n\n'
        "#: scripts_src/episodes/ep1.yaml:13\n"
        'msgctxt "survey.paragraphs.1"\n'
        'msgid "Over 35,000 people have settled in the South."\n'
        'msgstr ""\n'
    )
    report = merge_catalog(po, pot)
    assert report.source_changed == 1
    assert render_po(po) == catalog(
        "\n# Read slowly.\n"
        "#: scripts_src/episodes/ep1.yaml:13\n"
        "#, fuzzy\n"
        '#| msgctxt "survey.paragraphs.1"\n'
        '#| msgid "Over 34,000 people have settled in the South."\n'
        'msgctxt "survey.paragraphs.1"\n'
        'msgid "Over 35,000 people have settled in the South."\n'
        'msgstr "3만 4천 명이 넘는 사람들이 남한에 정착했습니다."\n'
    )
    target = tmp_path / "ko.po"
    write_po_file(target, po)
    msgfmt_check(target)
    # A second edit keeps the source the translation was made for.
    pot.messages()[0].msgid = "About 35,000 people have settled in the South."
    merge_catalog(po, pot)
    assert po.messages()[0].previous_msgid == "Over 34,000 people have settled in the South."


def test_merging_twice_changes_nothing(data: Path) -> None:
    po = parse_po(
        catalog('\nmsgctxt "a.title"\nmsgid "Old title"\nmsgstr "옛 제목"\n\nmsgid "Gone"\nmsgstr "사라짐"\n')
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n\n#. voice: host\nmsgctxt "a.title"\nmsgid "New title"\nmsgstr ""\n\n'
        'msgid "Brand new"\nmsgstr ""\n'
    )
    merge_catalog(po, pot)
    once = render_po(po)
    merge_catalog(po, pot)
    assert render_po(po) == once
    merge_catalog(reread := parse_po(once), pot)
    assert render_po(reread) == once


def test_new_removed_and_returning_messages() -> None:
    po = parse_po(
        catalog(
            '\nmsgid "Kept"\nmsgstr "유지"\n'
            '\nmsgid "Removed with a translation"\nmsgstr "번역 있음"\n'
            '\nmsgid "Removed without one"\nmsgstr ""\n'
            '\n#, fuzzy\n#~ msgid "Coming back"\n#~ msgstr "돌아옴"\n'
        )
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n\nmsgid "Kept"\nmsgstr ""\n\nmsgid "Coming back"\nmsgstr ""\n\nmsgid "New"\nmsgstr ""\n'
    )
    report = merge_catalog(po, pot)
    assert (report.kept, report.revived, report.added) == (1, 1, 1)
    assert (report.obsoleted, report.dropped) == (1, 1)
    assert render_po(po) == catalog(
        '\nmsgid "Kept"\nmsgstr "유지"\n'
        '\n#, fuzzy\nmsgid "Coming back"\nmsgstr "돌아옴"\n'
        '\nmsgid "New"\nmsgstr ""\n'
        '\n#~ msgid "Removed with a translation"\n#~ msgstr "번역 있음"\n'
    )


def test_no_guessing_unless_asked() -> None:
    body = '\n#: a.py:1\nmsgid "Insert the SD card."\nmsgstr "에스디 카드를 넣으세요."\n'
    pot = parse_po('msgid ""\nmsgstr ""\n\nmsgid "Insert the SD card now."\nmsgstr ""\n')
    plain = parse_po(catalog(body))
    merge_catalog(plain, pot)
    assert plain.messages()[0].msgstr == ""
    assert plain.obsolete_entries()[0].msgstr == "에스디 카드를 넣으세요."

    guessed = parse_po(catalog(body))
    report = merge_catalog(guessed, pot, fuzzy_matching=True)
    assert report.fuzzy_matched == 1
    entry = guessed.messages()[0]
    assert (entry.fuzzy, entry.msgstr) == (True, "에스디 카드를 넣으세요.")
    assert entry.previous_msgid == "Insert the SD card."
    assert guessed.obsolete_entries() == []


def test_template_owned_parts_follow_the_template() -> None:
    po = parse_po(
        catalog(
            "\n# mine\n#. old note\n#: old.py:1\n#, no-check-latin, python-format\n"
            'msgid "{n} cards"\nmsgstr "카드 {n}장"\n'
        )
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n"POT-Creation-Date: 2024-03-04 10:00+0000\\n"\n\n'
        '#. new note\n#: new.py:2\n#, python-brace-format\nmsgid "{n} cards"\nmsgstr ""\n'
    )
    merge_catalog(po, pot, notes=lambda notes: [*notes, "localised"])
    entry = po.messages()[0]
    assert entry.comments == ["mine"]
    assert entry.extracted == ["new note", "localised"]
    assert entry.references == ["new.py:2"]
    assert entry.flags == ["no-check-latin", "python-brace-format"]
    assert po.header_field("POT-Creation-Date") == "2024-03-04 10:00+0000"
    assert po.header_field("X-Custom") == "keep me"


def test_a_new_catalog_has_every_message_and_plural_slots(tmp_path: Path, msgfmt_check: Callable[[Path], None]) -> None:
    pot = parse_po(
        '# Template note.\n#, fuzzy\nmsgid ""\nmsgstr ""\n"Project-Id-Version: x\\n"\n\n'
        '#, python-format\nmsgid "%(n)d file"\nmsgid_plural "%(n)d files"\nmsgstr[0] ""\n'
        'msgstr[1] ""\n\nmsgctxt "a.b"\nmsgid "Hello"\nmsgstr ""\n'
    )
    fields = [
        ("Project-Id-Version", "x"),
        ("PO-Revision-Date", "2024-03-04 10:00+0000"),
        ("Last-Translator", ""),
        ("Language-Team", "Japanese"),
        ("Language", "ja"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Plural-Forms", "nplurals=1; plural=0;"),
    ]
    po = new_catalog(pot, fields)
    assert po.header.comments == ["Template note."]
    assert not po.header.fuzzy
    assert po.messages()[0].msgstr_plural == {0: ""}
    target = tmp_path / "ja.po"
    write_po_file(target, po)
    msgfmt_check(target)


def test_old_position_numbered_contexts_move_to_stable_ones_with_nothing_to_review() -> None:
    po = parse_po(
        catalog(
            '\n# checked by Mina\nmsgctxt "story.paragraphs.1"\nmsgid "First."\nmsgstr "첫째."\n'
            '\n#, fuzzy\nmsgctxt "story.paragraphs.2"\nmsgid "Second."\nmsgstr "둘째."\n'
            '\nmsgctxt "story.paragraphs.3"\nmsgid "Again."\nmsgstr "다시 한 번."\n'
            '\nmsgctxt "story.paragraphs.4"\nmsgid "Again."\nmsgstr "또다시."\n'
        )
    )
    # At the same time a paragraph was inserted before the others.
    pot = parse_po(
        'msgid ""\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "New opening."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "First."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Second."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Again."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs#2"\nmsgid "Again."\nmsgstr ""\n'
    )
    report = merge_catalog(po, pot)
    assert (report.renamed, report.moved, report.source_changed, report.added) == (4, 0, 0, 1)
    assert render_po(po) == catalog(
        '\nmsgctxt "story.paragraphs"\nmsgid "New opening."\nmsgstr ""\n'
        '\n# checked by Mina\nmsgctxt "story.paragraphs"\nmsgid "First."\nmsgstr "첫째."\n'
        '\n#, fuzzy\nmsgctxt "story.paragraphs"\nmsgid "Second."\nmsgstr "둘째."\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Again."\nmsgstr "다시 한 번."\n'
        '\nmsgctxt "story.paragraphs#2"\nmsgid "Again."\nmsgstr "또다시."\n'
    )
    assert merge_catalog(po, pot).renamed == 0  # a second run finds nothing to rename


def test_inserting_removing_and_reordering_paragraphs_leaves_the_others_alone() -> None:
    po = parse_po(
        catalog(
            '\nmsgctxt "story.paragraphs"\nmsgid "First."\nmsgstr "첫째."\n'
            '\nmsgctxt "story.paragraphs"\nmsgid "Second."\nmsgstr "둘째."\n'
            '\nmsgctxt "story.paragraphs"\nmsgid "Third."\nmsgstr "셋째."\n'
        )
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Third."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "A new paragraph about radios."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "First."\nmsgstr ""\n'
    )
    report = merge_catalog(po, pot)
    assert (report.kept, report.added, report.moved, report.source_changed, report.obsoleted) == (2, 1, 0, 0, 1)
    assert [(e.msgid, e.msgstr, e.fuzzy) for e in po.messages()] == [
        ("Third.", "셋째.", False),
        ("A new paragraph about radios.", "", False),
        ("First.", "첫째.", False),
    ]


def test_an_edited_paragraph_among_others_keeps_its_translation_as_fuzzy() -> None:
    po = parse_po(
        catalog(
            '\nmsgctxt "story.paragraphs"\nmsgid "Radios are hidden in walls."\nmsgstr "라디오는 벽 속에 숨깁니다."\n'
            '\nmsgctxt "story.paragraphs"\nmsgid "Cards travel in shoes."\nmsgstr "카드는 신발 속에 실려 갑니다."\n'
        )
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Radios are often hidden in walls."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Cards travel in shoes."\nmsgstr ""\n'
    )
    report = merge_catalog(po, pot)
    assert (report.kept, report.source_changed, report.added) == (1, 1, 0)
    edited = po.messages()[0]
    assert (edited.fuzzy, edited.previous_msgid, edited.msgstr) == (
        True,
        "Radios are hidden in walls.",
        "라디오는 벽 속에 숨깁니다.",
    )


def test_an_untranslated_entry_keeps_its_translator_comment_when_its_english_changes() -> None:
    po = parse_po(
        catalog(
            "\n# ask the desk about this name\n#, no-check-latin\n"
            'msgctxt "story.quote"\nmsgid "Kim said so."\nmsgstr ""\n'
        )
    )
    pot = parse_po('msgid ""\nmsgstr ""\n\nmsgctxt "story.quote"\nmsgid "Ms Kim said so."\nmsgstr ""\n')
    merge_catalog(po, pot)
    assert render_po(po) == catalog(
        "\n# ask the desk about this name\n#, no-check-latin\n"
        'msgctxt "story.quote"\nmsgid "Ms Kim said so."\nmsgstr ""\n'
    )


def test_a_paragraph_edited_while_its_context_is_migrated_keeps_its_translation_as_fuzzy() -> None:
    po = parse_po(
        catalog(
            '\nmsgctxt "story.paragraphs.1"\nmsgid "Radios are hidden in walls."\nmsgstr "라디오는 벽 속에 숨깁니다."\n'
            '\nmsgctxt "story.paragraphs.2"\nmsgid "Cards travel in shoes."\nmsgstr "카드는 신발 속에 실려 갑니다."\n'
        )
    )
    pot = parse_po(
        'msgid ""\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Radios are often hidden in walls."\nmsgstr ""\n'
        '\nmsgctxt "story.paragraphs"\nmsgid "Cards travel in shoes."\nmsgstr ""\n'
    )
    report = merge_catalog(po, pot)
    assert (report.renamed, report.source_changed, report.added, report.obsoleted) == (1, 1, 0, 0)
    edited = po.messages()[0]
    assert (edited.msgctxt, edited.fuzzy, edited.previous_msgctxt, edited.msgstr) == (
        "story.paragraphs",
        True,
        "story.paragraphs.1",
        "라디오는 벽 속에 숨깁니다.",
    )
