"""The sample episodes' Korean catalogs: complete, placeholder-safe, gettext-valid, Hangul.

Runs against the project's own ``scripts_src`` and ``locales`` with real Babel
and GNU msgfmt, so an episode edited without its catalog fails here.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from pipeline.i18n.catalogs import Translator
from pipeline.i18n.messages import SourceMessage, episode_messages, shared_messages
from pipeline.project.layout import po_path
from pipeline.project.script import Project, load_project, placeholders_of

ROOT = Path(__file__).resolve().parents[2]
LANG = "ko"
# Acronyms Korean newsreaders write in Latin letters; anything else is a leftover.
ALLOWED_LATIN = {"USB", "SD", "DVD", "BBC"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"[A-Za-z]+")


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT)


@pytest.fixture(scope="module")
def messages(project: Project) -> list[SourceMessage]:
    found = shared_messages(project)
    for episode in project.episodes.values():
        found.extend(episode_messages(project, episode))
    return found


@pytest.fixture(scope="module")
def translations(messages: list[SourceMessage]) -> dict[SourceMessage, str | None]:
    translator = Translator(ROOT, LANG, "en")
    return {m: translator.lookup(m.domain, m.context, m.text).text for m in messages}


def catalog_paths(project: Project) -> list[Path]:
    domains = ["station", *project.episodes]
    return [po_path(ROOT, LANG, domain) for domain in domains]


def test_every_message_has_a_korean_translation(messages: list[SourceMessage]) -> None:
    translator = Translator(ROOT, LANG, "en")
    not_ready = [
        f"{m.location}: {m.context}: {lookup.reason()}"
        for m in messages
        if (lookup := translator.lookup(m.domain, m.context, m.text)).status != "translated"
    ]
    assert not_ready == []


def test_translations_keep_the_placeholders(translations: dict[SourceMessage, str | None]) -> None:
    def names(text: str) -> list[str]:
        return sorted(name for name, _, _ in placeholders_of(text))

    changed = [
        f"{m.context}: {names(m.text)} -> {names(text)}"
        for m, text in translations.items()
        if text is not None and names(text) != names(m.text)
    ]
    assert changed == []


def test_translations_are_hangul_with_only_known_acronyms(
    translations: dict[SourceMessage, str | None],
) -> None:
    stray = []
    for m, text in translations.items():
        spoken = re.sub(r"\{\w+\}", "", text or "")
        if not HANGUL.search(spoken):
            stray.append(f"{m.context}: no Hangul")
        stray.extend(f"{m.context}: {word}" for word in LATIN_WORD.findall(spoken) if word not in ALLOWED_LATIN)
    assert stray == []


def test_catalogs_pass_msgfmt_check(project: Project) -> None:
    for path in catalog_paths(project):
        result = subprocess.run(
            ["msgfmt", "--check", "-o", os.devnull, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr


def test_catalogs_stay_valid_after_a_babel_round_trip(project: Project) -> None:
    """Babel re-guesses format flags on reading: a '%' in a msgid must not turn into one."""
    for path in catalog_paths(project):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=LANG)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=76)
        result = subprocess.run(
            ["msgfmt", "--check", "-o", os.devnull, "-"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{path.name}: {result.stderr.decode()}"
        assert not any(message.fuzzy for message in catalog if message.id), path.name


def test_sample_catalogs_pass_the_speech_checks(cli) -> None:
    """No error-level finding (placeholders, numbers, Latin letters, length...) in the samples."""
    result = cli("i18n", "check", "--project", str(ROOT))
    assert result.code == 0, result.out + result.err
    assert "0 errors," in result.err
