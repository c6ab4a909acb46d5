"""A translator's file keeps its shape: wrap width, line endings, unchanged bytes.

Catalogs are wrapped by real tools here (GNU msgcat at several widths,
Babel's writer) and their width is detected; merges that change some
entries write those the way the file's own tool would.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from pipeline.i18n.merge import merge_catalog
from pipeline.i18n.pofile import parse_po, parse_po_bytes, po_bytes

HEADER = (
    'msgid ""\nmsgstr ""\n"Language: ko\\n"\n"MIME-Version: 1.0\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n'
    '"Plural-Forms: nplurals=1; plural=0;\\n"\n'
)
LONG = [
    (
        "In a study called A Quiet Opening, paid for by the United States State Department, the research "
        "group InterMedia interviewed refugees, travellers and defectors from North Korea.",
        "미국 국무부의 지원을 받은 ‘조용한 개방’이라는 연구에서, "
        "연구 단체 인터미디어가 북한 난민과 여행자, 탈북민들을 면담했습니다.",
    ),
    (
        "More and more people in the North, they found, were reaching news and entertainment from outside, "
        "on radios, discs, memory cards and phones passed from hand to hand.",
        "그 결과 바깥세상의 뉴스와 오락물을 라디오와 디스크, 메모리 카드, "
        "손에서 손으로 건네지는 휴대전화로 접하는 북한 주민이 늘고 있었습니다.",
    ),
]


def _catalog_text(edited: bool = False) -> str:
    body = ""
    for n, (english, korean) in enumerate(LONG):
        if edited and n == 0:
            english = english.replace("A Quiet Opening", "A Quiet Opening (2012)")
        body += f'\nmsgctxt "story.paragraphs"\nmsgid "{english}"\nmsgstr "{korean}"\n'
    return HEADER + body


def _gnu(text: str, *options: str) -> str:
    return subprocess.run(
        ["msgcat", *options, "-"], input=text, capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.mark.parametrize("width", [60, 76, 77, 79, 100])
def test_the_width_gnu_wrapped_a_file_at_is_detected(width: int) -> None:
    assert parse_po_bytes(_gnu(_catalog_text(), f"--width={width}").encode(), "x.po").wrap_width() == width


def test_a_file_written_without_wrapping_stays_unwrapped() -> None:
    original = _gnu(_catalog_text(), "--no-wrap")
    catalog = parse_po_bytes(original.encode(), "x.po")
    assert catalog.wrap_width() == 0
    entry = catalog.messages()[0]
    entry.references = [f"scripts_src/episodes/ep{n}.yaml:{n * 10}" for n in range(1, 9)]
    entry.msgstr += " 더 긴 번역입니다." * 5
    ours = po_bytes(catalog).decode()
    assert _gnu(ours, "--no-wrap") == ours  # strings whole, references filled as GNU fills them


def test_a_file_babel_wrapped_at_76_characters_is_detected() -> None:
    catalog = Catalog(locale="ko")
    for english, korean in LONG:
        catalog.add(english, korean, context="story.paragraphs")
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76)
    assert parse_po_bytes(buffer.getvalue(), "babel.po").wrap_width() == 76


@pytest.mark.parametrize("width", [76, 79])
def test_a_merge_writes_changed_entries_at_the_files_own_width(width: int) -> None:
    original = _gnu(_catalog_text(), f"--width={width}")
    catalog = parse_po_bytes(original.encode(), "ko.po")
    template = parse_po(_catalog_text(edited=True).replace(f'msgstr "{LONG[0][1]}"', 'msgstr ""'))
    template.entries[2].msgstr = ""
    merge_catalog(catalog, template)
    ours = po_bytes(catalog).decode()
    assert catalog.messages()[0].fuzzy
    assert _gnu(ours, f"--width={width}") == ours  # exactly as msgcat would write it
    # The untouched entry and the msgstr of the edited one keep their lines.
    unchanged_tail = original[original.index('msgctxt "story.paragraphs"\nmsgid ""\n"More') :]
    assert ours.endswith(unchanged_tail)
    first_msgstr = original[original.index("msgstr", original.index("A Quiet")) : original.index("\n\n", 200)]
    assert first_msgstr in ours


def test_a_fuzzy_entry_keeps_the_translators_own_line_breaks() -> None:
    text = HEADER + (
        '\n# Checked against the broadcast.\nmsgctxt "story.title"\nmsgid "Radio still matters most"\n'
        'msgstr ""\n"라디오는 "\n"여전히 "\n"가장 중요합니다"\n'
    )
    catalog = parse_po(text)
    template = parse_po('msgid ""\nmsgstr ""\n\nmsgctxt "story.title"\nmsgid "Radio still matters"\nmsgstr ""\n')
    merge_catalog(catalog, template)
    assert po_bytes(catalog).decode() == HEADER + (
        "\n# Checked against the broadcast.\n#, fuzzy\n"
        '#| msgctxt "story.title"\n#| msgid "Radio still matters most"\n'
        'msgctxt "story.title"\nmsgid "Radio still matters"\n'
        'msgstr ""\n"라디오는 "\n"여전히 "\n"가장 중요합니다"\n'
    )


def test_a_crlf_file_stays_crlf_and_unchanged_entries_keep_their_bytes() -> None:
    original = _gnu(_catalog_text()).replace("\n", "\r\n").encode()
    catalog = parse_po_bytes(original, "windows.po")
    assert catalog.newline == "\r\n"
    assert po_bytes(catalog) == original
    template = parse_po(_catalog_text(edited=True))
    for entry in template.messages():
        entry.msgstr = ""
    merge_catalog(catalog, template)
    data = po_bytes(catalog)
    assert data.count(b"\n") == data.count(b"\r\n")
    assert b"A Quiet Opening (2012)" in data
    second = original[original.index(b'msgctxt "story.paragraphs"\r\nmsgid ""\r\n"More') :]
    assert data.endswith(second)


def test_reading_a_catalog_works_out_no_wrapping() -> None:
    """Commands that only read catalogs (check, stats, render) never load the line breaker."""
    catalog = Path(__file__).resolve().parents[2] / "locales/ko/LC_MESSAGES/radio-reach.po"
    code = (
        "import sys; from pathlib import Path; from pipeline.i18n.pofile import read_po_file, po_bytes;"
        f"c = read_po_file(Path({str(catalog)!r})); assert po_bytes(c) == Path({str(catalog)!r}).read_bytes();"
        "print('uniseg' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"
