"""The lossless PO reader and writer: round trips, GNU wrapping, syntax errors."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from pipeline.errors import CatalogError
from pipeline.i18n.pofile import (
    PoEntry,
    PoFile,
    parse_po,
    parse_po_bytes,
    po_bytes,
    read_po_file,
    render_po,
    wrap_string,
)

HEADER = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n'


def test_feature_fixture_round_trips_byte_for_byte(data: Path) -> None:
    path = data / "roundtrip" / "ko.po"
    assert po_bytes(read_po_file(path)) == path.read_bytes()


def test_every_feature_is_read(data: Path) -> None:
    catalog = read_po_file(data / "roundtrip" / "ko.po")
    assert catalog.header_field("X-Station-Review") == "done by the Seoul desk"
    assert catalog.header_field("X-Poedit-KeywordsList") == "_;gettext;ngettext:1,2;pgettext:1c,2"
    assert catalog.header.comments[0] == "Korean translation of the Open Window Radio player."

    plural = catalog.find(None, "%(count)d file")
    assert plural.msgid_plural == "%(count)d files"
    assert plural.msgstr_plural == {0: "파일 %(count)d개"}
    assert plural.flags == ["python-format"]

    battery = catalog.find("menu.battery", "Battery level: {percent} percent")
    assert battery.fuzzy
    assert battery.previous_msgctxt == "menu.battery"
    assert battery.previous_msgid == "Battery: {percent} percent"

    warm = catalog.find("ident.parts.2", "Our programme for {date}: {title}.")
    assert warm.comments == ["Keep it warm: this is the first thing listeners hear."]
    assert warm.extracted == ["voice: host"]
    assert warm.references == ["src/player/ident.py:14", "src/player/ident.py:40"]

    escapes = catalog.find(None, 'Tab\there, "quotes" and a back\\slash')
    assert escapes.msgstr == '탭\t여기, "따옴표"와 역\\슬래시'

    obsolete = catalog.obsolete_entries()
    assert [e.msgid for e in obsolete] == [
        "Old message that nobody needs any more",
        "Source of an obsolete fuzzy entry",
    ]
    assert obsolete[1].fuzzy
    assert obsolete[1].msgctxt == "old.context"
    assert obsolete[1].previous_msgid == "Previous source of an obsolete fuzzy entry"
    assert obsolete[1].comments == ["Translator note kept on an obsolete entry."]


def test_a_changed_entry_keeps_the_wrapping_of_its_untouched_parts(data: Path) -> None:
    catalog = read_po_file(data / "roundtrip" / "ko.po")
    entry = catalog.find("help.paragraphs.2", catalog.messages()[4].msgid)
    entry.references = ["src/player/help.py:231"]
    text = render_po(catalog)
    assert "#: src/player/help.py:231\n" in text
    # The msgid and msgstr keep the editor's own line breaks.
    assert (
        'msgstr "국경 너머의 라디오 신호는 이불 아래 작은 수신기를 숨겨 밤에 듣는 사람들에게 "\n"닿습니다."\n'
    ) in text
    assert text.replace("help.py:231", "help.py:230") == (data / "roundtrip" / "ko.po").read_text()


def test_new_entries_are_written_like_gnu_gettext() -> None:
    catalog = parse_po(HEADER)
    catalog.width = 76
    entry = PoEntry("Since the mid-1990s, over 34,000 people from the North have settled.")
    entry.msgstr = "1990년대 중반 이후 북한 출신 3만 4천 명이 넘는 사람들이 남한에 정착했습니다."
    entry.references = [f"scripts_src/episodes/ep{i}.yaml:{i * 101}" for i in range(1, 6)]
    entry.flags = ["fuzzy"]
    entry.previous_msgid = "Since the 1990s, 34,000 people have settled in the South."
    catalog.entries.append(entry)
    assert render_po(catalog) == HEADER + (
        "\n"
        "#: scripts_src/episodes/ep1.yaml:101 scripts_src/episodes/ep2.yaml:202\n"
        "#: scripts_src/episodes/ep3.yaml:303 scripts_src/episodes/ep4.yaml:404\n"
        "#: scripts_src/episodes/ep5.yaml:505\n"
        "#, fuzzy\n"
        '#| msgid "Since the 1990s, 34,000 people have settled in the South."\n'
        'msgid "Since the mid-1990s, over 34,000 people from the North have settled."\n'
        'msgstr ""\n'
        '"1990년대 중반 이후 북한 출신 3만 4천 명이 넘는 사람들이 남한에 정착했습니"\n'
        '"다."\n'
    )


def test_wrap_string_follows_gnu_rules() -> None:
    assert wrap_string("", "msgid", "") == ['msgid ""']
    assert wrap_string("", "msgstr", "short\n") == ['msgstr "short\\n"']
    assert wrap_string("", "msgid", "a\nb") == ['msgid ""', '"a\\n"', '"b"']
    assert wrap_string("#~ ", "msgid", "x " * 40, width=76) == [
        '#~ msgid ""',
        f'#~ "{"x " * 35}"',  # 71 columns between the quotes
        '#~ "x x x x x "',
    ]
    assert wrap_string("", "msgid", "word " * 30, width=0) == [f'msgid "{"word " * 30}"']


VOCABULARY = [
    "radio",
    "SD",
    "card",
    "USB",
    "stick",
    "the",
    "a",
    "listeners",
    "North",
    "Korea's",
    "signal",
    "(shortwave)",
    "—",
    "--",
    '"quoted"',
    "'single'",
    "3.5",
    "1,200",
    "40%",
    "$5",
    "e-mail",
    "https://example.org/path?x=1&y=2",
    "a/b/c",
    "well-known",
    "I.",
    "…",
    "«guill»",
    "“curly”",
    "‘x’",
    "[bracket]",
    "{station}",
    "%(n)d",
    "%s",
    "{0}",
    "tab\there",
    "back\\slash",
    "new\nline",
    "end.\n",
    "国境",
    "라디오를",
    "듣는",
    "사람들에게",
    "「引用」",
    "。",
    "、",
    "！",
    "？",
    "(괄호)",
    "“한국어”",
    '"한국어"',
    "1.",
    "2:30",
    "10-15",
    "x=y",
    "ünïcödé",
    "Ελληνικά",
    "русский",
    "🙂",
    "a+b",
    "#hash",
    "@user",
    "100km",
    "20°C",
    "½",
    "1.SD",
    "%(device)s",
]


def _random_text(rng: random.Random, words: int) -> str:
    separators = [" ", " ", " ", "", "  "]
    return "".join(rng.choice(VOCABULARY) + rng.choice(separators) for _ in range(words)).strip()


@pytest.mark.parametrize("width", [76, 77, 79])
def test_wrapping_is_byte_identical_to_gnu_msgcat(width: int) -> None:
    rng = random.Random(20240304)
    entries = [PoEntry("", "Content-Type: text/plain; charset=UTF-8\n")]
    for n in range(600):
        entry = PoEntry(f"{_random_text(rng, rng.randint(1, 40))} #{n}")
        entry.msgstr = _random_text(rng, rng.randint(1, 40))
        entry.msgctxt = f"segment{n}.paragraphs.{n % 7}" if n % 3 else None
        entry.previous_msgid = _random_text(rng, 12) if n % 5 == 0 else None
        entry.obsolete = n % 11 == 0
        entry.references = [f"scripts_src/episodes/ep{i}.yaml:{n * 7 + i}" for i in range(n % 6)]
        entries.append(entry)
    entries.sort(key=lambda e: e.obsolete)  # GNU writes obsolete entries last
    ours = render_po(PoFile(entries, width=width))
    gnu = subprocess.run(["msgcat", f"--width={width}", "-"], input=ours, capture_output=True, text=True, check=True)
    assert ours == gnu.stdout
    if width == 79:  # GNU's default page width is the default for new files
        assert render_po(PoFile(entries)) == ours
        assert parse_po_bytes(ours.encode(), "gnu.po").wrap_width() == 79


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('msgid "a"\n', 'x.po:1: \'msgid\' is not followed by \'msgstr\''),
        ('msgid "a"\nmsgstr "b\n', "x.po:2: expected a quoted string after 'msgstr'"),
        ('msgid "a"\nmsgstr "b"c"\n', "x.po:2: unescaped '\"' inside a string (write '\\\"')"),
        ('msgid "a"\nmsgstr "\\q"\n', "x.po:2: invalid escape sequence '\\q'"),
        ('msgid "a"\nmsgsrt "b"\n', "x.po:2: unknown keyword 'msgsrt' (did you mean 'msgstr'?)"),
        ('msgid "a"\nmsgstrr "b"\n', "x.po:2: unknown keyword 'msgstrr' (did you mean 'msgstr'?)"),
        ('msgctx "c"\nmsgid "a"\nmsgstr "b"\n', "x.po:1: unknown keyword 'msgctx' (did you mean 'msgctxt'?)"),
        ('msgid "a"\nmsgstr "b"\nbanana "c"\n', "x.po:3: unknown keyword 'banana'"),
        ('msgid "a"\nmsgstr[0] "b"\n', "x.po:2: 'msgstr[n]' needs a 'msgid_plural'"),
        (
            'msgid "a"\nmsgid_plural "as"\nmsgstr "b"\n',
            "x.po:3: 'msgid_plural' needs 'msgstr[0]', not 'msgstr'",
        ),
        (
            'msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n',
            "x.po:4: duplicate message (msgid 'a'); first defined at line 1",
        ),
        ('msgstr "b"\n', "x.po:1: 'msgstr' before 'msgid'"),
        ('"b"\n', "x.po:1: a string must follow 'msgid', 'msgstr' or 'msgctxt'"),
    ],
)  # fmt: skip
def test_syntax_errors_name_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_po(text, "x.po")
    assert str(caught.value) == expected


def test_a_catalog_keeps_its_declared_charset() -> None:
    text = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=EUC-KR\\n"\n\nmsgid "Radio"\nmsgstr "라디오"\n'
    data = text.encode("euc-kr")
    catalog = parse_po_bytes(data, "legacy.po")
    assert catalog.charset == "euc_kr"
    assert po_bytes(catalog) == data
    catalog.messages()[0].msgstr = "라디오 방송"
    assert po_bytes(catalog).decode("euc-kr").endswith('msgstr "라디오 방송"\n')


def test_bytes_that_do_not_match_the_charset_are_reported() -> None:
    data = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "a"\n'
    with pytest.raises(CatalogError) as caught:
        parse_po_bytes(data.encode() + 'msgstr "라디오"\n'.encode("euc-kr"), "bad.po")
    assert str(caught.value) == "bad.po:5: not valid UTF-8 text (the header declares charset=UTF-8)"


def test_header_fields_are_edited_in_place() -> None:
    catalog = parse_po('msgid ""\nmsgstr ""\n"Language: ko\\n"\n"X-Custom: keep\\n"\n"POT-Creation-Date: old\\n"\n')
    catalog.set_header_field("POT-Creation-Date", "2024-03-04 10:00+0000")
    catalog.set_header_field("Plural-Forms", "nplurals=1; plural=0;")
    assert render_po(catalog) == (
        'msgid ""\nmsgstr ""\n"Language: ko\\n"\n"X-Custom: keep\\n"\n'
        '"POT-Creation-Date: 2024-03-04 10:00+0000\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n'
    )


def test_a_file_without_a_final_newline_round_trips() -> None:
    text = 'msgid "a"\nmsgstr "b"\n\n# trailing comment'
    assert render_po(parse_po(text)) == text
    text = 'msgid "a"\nmsgstr "b"'
    assert render_po(parse_po(text)) == text


def test_a_byte_order_mark_is_kept() -> None:
    data = b"\xef\xbb\xbf" + 'msgid "Radio"\nmsgstr "라디오"\n'.encode()
    catalog = parse_po_bytes(data, "bom.po")
    assert catalog.messages()[0].msgstr == "라디오"
    assert po_bytes(catalog) == data


def test_a_real_latin_1_catalog_is_read_and_korean_bytes_under_latin_1_are_refused() -> None:
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=ISO-8859-1\\n"\n\n'
    french = (
        header + 'msgid "Radio carries news."\nmsgstr "La radio apporte les nouvelles de l\'extérieur, très tôt."\n'
    )
    assert parse_po_bytes(french.encode("latin-1"), "fr.po").messages()[0].msgstr.endswith("très tôt.")
    korean = (
        header
        + 'msgid "Radio carries news."\nmsgstr "라디오는 바깥소식을 전합니다. 북한 주민들은 밤에 몰래 듣습니다."\n'
    )
    with pytest.raises(CatalogError) as caught:
        parse_po_bytes(korean.encode("euc-kr"), "ko.po")
    assert str(caught.value).startswith("ko.po:6: the header declares charset=ISO-8859-1, but the text reads as cp949")
