"""Encodings: mojibake through single-byte code pages undone, mixed documents read line by line."""

from __future__ import annotations

from pathlib import Path

import ftfy
import pytest

from pipeline.ingest import ingest_file, load_context
from pipeline.ingest.encodings import FTFY_CONFIG, REPAIR_CODE_PAGES, decode_lines, repair_text
from tests.ingest.helpers import INGEST_DATA, spoken_body

REPAIRS = INGEST_DATA / "repairs"
# Lines written for these tests: curly quotes, dashes, ellipses, accents, a euro sign, Korean.
SENTENCES = [
    "The trader’s radio was hidden in a rice sack.",
    "“Keep the volume low,” her uncle said — every night.",
    "A café owner paid €12 for a second-hand set… and regretted nothing.",
    "Prices went from 3,000 to 5,000 won – a rise nobody expected.",
    "The word for radio is 라디오, the same as in the South.",
]


def mis_decode(data: bytes, codec: str) -> str:
    """``data`` read byte by byte as ``codec``, its gaps as Windows-1252 then Latin-1 (as browsers do)."""
    out = []
    for byte in data:
        for name in (codec, "cp1252", "latin-1"):
            try:
                out.append(bytes([byte]).decode(name))
                break
            except UnicodeDecodeError:
                continue
    return "".join(out)


@pytest.fixture(scope="module")
def context(project_root: Path):
    return load_context(project_root)


@pytest.mark.parametrize("codec", [*REPAIR_CODE_PAGES, "latin-1"])
def test_utf8_read_as_a_single_byte_code_page_is_repaired(codec: str) -> None:
    broken = [mis_decode(sentence.encode("utf-8"), codec) for sentence in SENTENCES]
    assert all(b != s for b, s in zip(broken, SENTENCES, strict=True))
    repaired, repairs = repair_text("\n".join(broken))
    back = repaired.split("\n")
    fixed = sum(1 for got, want in zip(back, SENTENCES, strict=True) if got == want)
    print(f"{codec}: {fixed}/{len(SENTENCES)} lines repaired exactly ({repairs.note()})")
    assert back == SENTENCES
    assert repairs.lines == len(SENTENCES)


def test_windows_874_quotes_are_repaired() -> None:
    assert repair_text("Itโ€™s late")[0] == "It’s late"
    assert repair_text("โ€œRadioโ€\x9d he said")[0] == "“Radio” he said"


@pytest.mark.parametrize(
    "text",
    [
        "Каждую ночь люди слушают радио.",
        "Κάθε βράδυ οι άνθρωποι ακούνε ραδιόφωνο.",
        "ทุกคืนผู้คนฟังวิทยุ",
        "שלום לכולם",
        "Plain English with a café, a naïve reader and a résumé.",
        "€5 — “fine”",
    ],
)
def test_real_text_is_left_alone(text: str) -> None:
    assert repair_text(text) == (text, repair_text(text)[1])
    assert repair_text(text)[1].lines == 0


def test_document_with_cp874_mojibake_is_repaired_line_by_line(context) -> None:
    raw = (REPAIRS / "night_radio_cp874.txt").read_text(encoding="utf-8")
    broken_lines = sum(1 for line in raw.splitlines() if "โ€" in line or "รฉ" in line)
    result = ingest_file(REPAIRS / "night_radio_cp874.txt", context)
    assert result.error is None
    spoken = spoken_body(result.drafts)
    assert "The seller’s cousin fixes broken sets in a back room — he keeps" in spoken
    assert "a single station – so that a neighbour" in spoken
    assert "runs the café’s back room." in spoken
    assert "looks harmless… and a careful owner" in spoken
    assert "โ" not in spoken and "รฉ" not in spoken
    (note,) = [n for n in result.notes if "mojibake" in n]
    print(f"night_radio_cp874.txt: {broken_lines} broken lines; {note}")
    assert note == f"repaired broken characters (mojibake) on {broken_lines} line(s) (cp874 {broken_lines})"


def test_utf8_document_with_a_latin1_and_an_euc_kr_line_is_read_line_by_line(context) -> None:
    data = (REPAIRS / "mixed_lines.txt").read_bytes()
    text, counts = decode_lines(data) or ("", {})
    assert counts == {"cp1252": 1, "cp949": 1}
    assert "밤마다 국경 너머에서 들려오는 목소리" in text
    assert "the café radio in her town" in text
    assert "a newsreader’s calm “good evening”" in text
    result = ingest_file(REPAIRS / "mixed_lines.txt", context)
    assert result.error is None
    spoken = spoken_body(result.drafts)
    assert "the café radio in her town" in spoken
    assert "a newsreader’s calm good evening" in spoken
    assert "read as utf_8 with 1 line(s) as cp1252, 1 line(s) as cp949" in result.notes


def test_a_document_wholly_in_one_legacy_code_page_is_still_read_whole() -> None:
    text = "Сигнал был слабым, но голос был слышен.\nРадио стояло на подоконнике.\n"
    assert decode_lines(text.encode("cp1251")) is None


@pytest.mark.parametrize("text", ["\x87à¢", "à\x80\x80 à", "í\xa0\x80 x"])
def test_byte_shapes_that_are_not_utf8_are_left_to_ftfy(text: str) -> None:
    assert repair_text(text)[0] == ftfy.fix_text(text, config=FTFY_CONFIG)  # C1 controls made Windows-1252


def test_a_scrap_of_thai_in_a_latin_line_is_a_repaired_symbol() -> None:
    assert repair_text("ยฉ 2024 The Northern Courier. All rights reserved.")[0] == (
        "© 2024 The Northern Courier. All rights reserved."
    )


def test_html_page_saved_through_windows_874(context) -> None:
    result = ingest_file(REPAIRS / "charity_cp874.html", context)
    assert result.error is None
    (draft,) = result.drafts
    spoken = spoken_body(result.drafts)
    for sentence in (
        "Never tell anyone, he said — and she never did.",
        "Mi-rae says the broadcasts taught her that the world outside was not the one described at school.",
        "She says she still can’t sleep without a radio playing somewhere in the room.",
    ):
        assert sentence in spoken
    assert "Donate now" not in spoken
    assert draft.episode.publication == "Hope Across the River"  # from the repaired © line
    (note,) = [n for n in result.notes if "mojibake" in n]
    print(f"charity_cp874.html: {note}")
    assert note == "repaired broken characters (mojibake) on 4 line(s) (cp874 4)"
