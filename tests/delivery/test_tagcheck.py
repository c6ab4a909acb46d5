"""Identifying data in tags, chunks and bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

from mutagen.id3 import ID3, TIT2, TXXX

from pipeline.delivery import tagcheck
from pipeline.delivery.tagcheck import id3v1_problems, identifying_data, riff_problems, text_problems

EPISODE = Path("radio-reach/ko")


def test_text_naming_software_paths_or_this_machine(monkeypatch) -> None:
    assert text_problems("여는 말") == []
    assert text_problems("Open Window Radio") == []
    assert text_problems("made with LAME 3.100") == ["names software ('LAME')"]
    assert text_problems("Lavf59.27.100") == ["names software ('Lavf59.27.100')"]
    assert text_problems("from /home/kim/radio/ep1.mp3") == ["contains a file path"]
    assert text_problems(r"C:\Users\kim\ep1.mp3") == ["contains a file path"]
    monkeypatch.setattr(tagcheck, "_local_names", lambda: (("user", "kimj"), ("host", "studio7")))
    assert text_problems("edited by KimJ on studio7") == [
        "contains this machine's user name",
        "contains this machine's host name",
    ]
    assert text_problems("kimjong studio70") == []


def test_unexpected_frames_and_versions(tmp_path: Path, good_output: Path) -> None:
    path = tmp_path / "a.mp3"
    shutil.copy(good_output / EPISODE / "01-opening.mp3", path)
    assert identifying_data(path, path.read_bytes()) == []
    tags = ID3(path)
    tags.add(TXXX(encoding=1, desc="host", text="studio"))
    tags.add(TIT2(encoding=1, text="/tmp/build/01-opening"))
    tags.save(v2_version=4)
    assert identifying_data(path, path.read_bytes()) == [
        "ID3v2.4 tag (players read ID3v2.3; write that)",
        "tag TIT2: contains a file path",
        "tag TXXX (user-defined text) is not allowed: 'studio'",
    ]


def test_id3v1_year_comment_and_non_ascii() -> None:
    def field(text: bytes, size: int) -> bytes:
        return text.ljust(size, b"\x00")

    tag = b"TAG" + field("여는".encode("cp949"), 30) + field(b"Radio", 30) + field(b"", 30)
    tag += b"2024" + field(b"LAME3.100", 30) + b"\xff"
    assert id3v1_problems(b"\xff" * 500 + tag) == [
        "ID3v1 title is not ASCII (old players show it as garbage)",
        "ID3v1 year is not allowed: '2024'",
        "ID3v1 comment is not allowed: 'LAME3.100'",
        "ID3v1 comment: names software ('LAME3.100')",
    ]
    assert id3v1_problems(b"\xff" * 500) == []


def test_riff_chunks() -> None:
    fmt = b"fmt " + (16).to_bytes(4, "little") + b"\x00" * 16
    data = b"data" + (4).to_bytes(4, "little") + b"\x00" * 4
    info = b"LIST" + (9).to_bytes(4, "little") + b"INFOISFT\x01" + b"\x00"
    body = b"WAVE" + fmt + info + data
    wav = b"RIFF" + len(body).to_bytes(4, "little") + body
    assert riff_problems(wav) == ["RIFF chunk 'LIST' is not allowed (holds 'INFOISFT')"]
    assert riff_problems(b"RIFF\x00\x00\x00\x00WAVE" + fmt + data) == []
    assert riff_problems(b"OggS") == ["not a RIFF/WAVE file"]
