"""Compiling catalogs (checked, like GNU msgfmt) and looking translations up."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.errors import CatalogInvalid
from pipeline.i18n.catalogs import (
    Translator,
    compile_catalog,
    compile_if_stale,
    mo_path,
    po_path,
)


def _table(mo: Path) -> dict[object, str]:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("use_fuzzy", [False, True])
def test_compiled_catalog_holds_what_gnu_msgfmt_puts_in(data: Path, tmp_path: Path, use_fuzzy: bool) -> None:
    source = data / "roundtrip" / "ko.po"
    ours = tmp_path / "ours.mo"
    gnu = tmp_path / "gnu.mo"
    result = compile_catalog(source, ours, use_fuzzy=use_fuzzy)
    options = ["--use-fuzzy"] if use_fuzzy else []
    subprocess.run(["msgfmt", "--check", *options, "-o", str(gnu), str(source)], check=True)
    assert _table(ours) == _table(gnu)
    assert (result.compiled, result.fuzzy_left_out, result.untranslated) == ((10, 0, 1) if use_fuzzy else (8, 2, 1))
    assert "X-Station-Review: done by the Seoul desk" in _table(ours)[""]
    decompiled = tmp_path / "decompiled.po"
    subprocess.run(["msgunfmt", "-o", str(decompiled), str(ours)], check=True)
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(decompiled)], check=True)


def test_broken_translations_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    source = tmp_path / "ko.po"
    source.write_text(
        'msgid ""\nmsgstr ""\n"Language: ko\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        'msgid "This is {station}."\nmsgstr "방송입니다."\n\n'
        '#, python-format\nmsgid "%(n)d file"\nmsgid_plural "%(n)d files"\n'
        'msgstr[0] "파일 %(n)d개"\nmsgstr[1] "파일 %(n)d개"\n\n'
        '#, fuzzy\nmsgid "Fuzzy {x}"\nmsgstr "퍼지"\n'
    )
    target = tmp_path / "ko.mo"
    with pytest.raises(CatalogInvalid) as caught:
        compile_catalog(source, target, tmp_path)
    assert str(caught.value).splitlines() == [
        "ko.po:7: placeholders: missing {station}",
        "ko.po:12: 2 plural forms, but the header says nplurals=1",
    ]
    assert not target.exists()


def test_compile_if_stale_follows_the_catalog(data: Path, tmp_path: Path) -> None:
    assert compile_if_stale(tmp_path, "ko", "player") is None
    source = po_path(tmp_path, "ko", "player")
    source.parent.mkdir(parents=True)
    shutil.copy(data / "roundtrip" / "ko.po", source)
    target = compile_if_stale(tmp_path, "ko", "player")
    assert target == mo_path(tmp_path, "ko", "player")
    stamp = target.stat().st_mtime_ns
    assert compile_if_stale(tmp_path, "ko", "player") == target
    assert target.stat().st_mtime_ns == stamp
    source.write_text(source.read_text().replace("{station}입니다.", "{station} 방송입니다."))
    compile_if_stale(tmp_path, "ko", "player")
    assert _table(target)["ident.parts.1\x04This is {station}."] == "{station} 방송입니다."


def test_lookups_say_why_there_is_no_text(data: Path, tmp_path: Path) -> None:
    source = po_path(tmp_path, "ko", "player")
    source.parent.mkdir(parents=True)
    shutil.copy(data / "roundtrip" / "ko.po", source)
    translator = Translator(tmp_path, "ko", "en")
    found = translator.lookup("player", "ident.parts.1", "This is {station}.")
    assert (found.text, found.status) == ("{station}입니다.", "translated")
    fuzzy = translator.lookup("player", "menu.battery", "Battery level: {percent} percent")
    assert fuzzy.reason() == "translation is marked fuzzy in locales/ko/LC_MESSAGES/player.po:72"
    missing = translator.lookup("player", "nowhere", "Nothing")
    assert missing.reason() == ("not in locales/ko/LC_MESSAGES/player.po (run 'pipeline i18n update')")
    english = Translator(tmp_path, "en", "en").lookup("player", "x", "Hello")
    assert (english.text, english.status) == ("Hello", "source")
