"""Pronunciation lexicons: built-in tables, project overrides, matching rules, bad files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from random import Random

import pytest
from speech_cases import DATA, render

from pipeline.errors import ValidationFailed
from pipeline.speech import Lexicon, load_lexicon, normalise, unknown_latin_words
from pipeline.speech.lexicon import _first_letter_guard, _left_boundary, _right_boundary, builtin_lexicon

BAD_LEXICONS = sorted((DATA / "lexicons").glob("bad_*.yaml"))


def project_with_lexicon(root: Path, lang: str, text: str) -> Path:
    path = root / "locales" / lang / "lexicon.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return root


def expected_errors(fixture: Path) -> list[str]:
    lines = fixture.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# error: ") for line in lines if line.startswith("# error: ")]


@pytest.mark.parametrize("fixture", BAD_LEXICONS, ids=lambda p: p.stem)
def test_bad_lexicon_is_reported_with_file_and_line(tmp_path: Path, fixture: Path) -> None:
    lang = fixture.stem.split("_")[1]
    target = tmp_path / "locales" / lang / "lexicon.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(fixture, target)
    with pytest.raises(ValidationFailed) as caught:
        load_lexicon(tmp_path, lang)
    prefix = f"locales/{lang}/lexicon.yaml:"
    assert str(caught.value).splitlines() == [prefix + e for e in expected_errors(fixture)]


def test_every_bad_fixture_states_its_errors() -> None:
    assert BAD_LEXICONS
    assert all(expected_errors(fixture) for fixture in BAD_LEXICONS)


def test_built_in_tables_load_for_korean_and_english() -> None:
    assert builtin_lexicon("ko").lookup("UN").spoken == "유엔"
    assert builtin_lexicon("en").lookup("Ms.").spoken == "Miz"
    assert load_lexicon(None, "fr").entries == {}


def test_without_a_project_file_the_built_in_table_is_used(tmp_path: Path) -> None:
    assert load_lexicon(tmp_path, "ko").lookup("USB").spoken == "유에스비"


def test_project_entries_override_built_in_ones(tmp_path: Path) -> None:
    root = project_with_lexicon(tmp_path, "ko", "UN: 국제연합\nk-pop: 케이 팝\n")
    lexicon = load_lexicon(root, "ko")
    assert render(normalise("UN은 K-pop을", "ko", lexicon), "ko") == "국제연합은 케이 팝을"
    assert lexicon.lookup("USB").spoken == "유에스비"  # built-ins not overridden stay


def test_project_entry_can_route_a_word_to_the_english_voice(tmp_path: Path) -> None:
    root = project_with_lexicon(tmp_path, "ko", "Crash Landing on You: {lang: en}\nIve: {say: Eve, lang: en}\n")
    lexicon = load_lexicon(root, "ko")
    said = render(normalise("드라마 Crash  Landing on You와 Ive", "ko", lexicon), "ko")
    assert said == "드라마 | [en] Crash Landing on You | 와 | [en] Eve"


def test_words_in_capitals_match_only_in_capitals() -> None:
    lexicon = Lexicon("ko", {"US": "미국", "Netflix": "넷플릭스"})
    assert render(normalise("US와 NETFLIX", "ko", lexicon), "ko") == "미국과 넷플릭스"
    assert unknown_latin_words("us", lexicon) == ["us"]


def test_case_exact_entries_match_only_as_written(tmp_path: Path) -> None:
    root = project_with_lexicon(tmp_path, "en", "Parasite: {say: Parasite the film, case: exact}\n")
    lexicon = load_lexicon(root, "en")
    said = render(normalise("Parasite is not a parasite", "en", lexicon), "en")
    assert said == "Parasite the film is not a parasite"


def test_entries_match_whole_words_only() -> None:
    lexicon = Lexicon("ko", {"UN": "유엔"})
    assert unknown_latin_words("UNESCO와 FUN", lexicon) == ["UNESCO"]


def test_korean_entries_match_whole_words_with_a_particle(tmp_path: Path) -> None:
    root = project_with_lexicon(tmp_path, "ko", "맛있다: 마싣따\n北: 북한\n")
    lexicon = load_lexicon(root, "ko")
    assert render(normalise("맛있다는 말, 아주맛있다", "ko", lexicon), "ko") == ("마싣따는 말, 아주맛있다")
    assert render(normalise("北 주민과 北京", "ko", lexicon), "ko") == "북한 주민과 북경"


def test_entries_remember_where_they_are_written(tmp_path: Path) -> None:
    root = project_with_lexicon(tmp_path, "ko", "# comment\nUN: 국제연합\n")
    entry = load_lexicon(root, "ko").lookup("UN")
    assert str(entry.location) == "locales/ko/lexicon.yaml:2: UN"


def test_unknown_latin_words_lists_each_word_once_in_order() -> None:
    text = "UN과 USB, ABC는 알지만 Netflix와 Jatanpung, 다시 Jatanpung은 모른다"
    assert unknown_latin_words(text, builtin_lexicon("ko")) == ["Jatanpung"]
    assert unknown_latin_words(text, Lexicon("ko")) == ["Netflix", "Jatanpung"]


def test_unknown_latin_words_names_whole_hyphenated_words_and_long_capitals() -> None:
    assert unknown_latin_words("K-pop과 FRONTLINE, G7", Lexicon("ko")) == ["K-pop", "FRONTLINE"]


def test_a_project_lexicon_is_read_once_per_text_and_again_when_it_changes(tmp_path: Path) -> None:
    """A build asks for each lexicon several times: the same file's text gives the same lexicon;
    a new text (even of the same length, written at once) gives the new entries."""
    root = project_with_lexicon(tmp_path, "ko", "UN: 국제연합\n")
    first = load_lexicon(root, "ko")
    assert load_lexicon(root, "ko") is first
    (root / "locales" / "ko" / "lexicon.yaml").write_text("UN: 국제기구\n", encoding="utf-8")
    assert load_lexicon(root, "ko").lookup("UN").spoken == "국제기구"
    (root / "locales" / "ko" / "lexicon.yaml").write_text("UN: [broken\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"lexicon\.yaml"):
        load_lexicon(root, "ko")


def one_alternative_per_entry(lexicon: Lexicon) -> re.Pattern[str]:
    """The lexicon's matcher as its definition reads: every entry with its own boundaries, longest first."""
    ordered = sorted(lexicon.entries.values(), key=lambda e: (-len(e.written), e.written))
    alternatives = []
    for entry in ordered:
        body = r"\s+".join(re.escape(word) for word in entry.written.split())
        body = body if entry.exact_case else f"(?i:{body})"
        alternatives.append(f"{_left_boundary(entry.written[0])}{body}{_right_boundary(entry.written[-1])}")
    return re.compile(f"{_first_letter_guard(ordered)}(?:{'|'.join(alternatives)})")


MIXED = "K팝: 케이팝\n서울시: 서울\n北: 북한\n°C: 섭씨\nCrash Landing on You: {lang: en}\nIve: {say: Eve, lang: en}\n"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_matcher_finds_what_one_alternative_per_entry_finds(lang: str, tmp_path: Path) -> None:
    """Entries sharing their boundaries share one copy of them in the matcher: the matches, on
    text made of entries in other cases and spacings, beside letters, digits, Hangul, hanja and
    particles, are those of the plain definition."""
    root = project_with_lexicon(tmp_path, lang, MIXED if lang == "ko" else "Parasite: {say: P, case: exact}\n°F: F\n")
    lexicon = load_lexicon(root, lang)
    expected = one_alternative_per_entry(lexicon)
    words = [entry.written for entry in lexicon.entries.values()]
    neighbours = ["", " ", "a", "Z", "가", "한", "北", "1", "-", ".", "\n", "은", "이", "에서", "와"]
    random = Random(lang)
    for _ in range(1500):
        text = ""
        for _ in range(random.randint(1, 5)):
            word = random.choice(words)
            word = random.choice([word, word.upper(), word.lower(), word.replace(" ", "  ")])
            text += random.choice(neighbours) + word + random.choice(neighbours)
        found = [(m.span(), m.group(0)) for m in lexicon.pattern.finditer(text)]  # type: ignore[union-attr]
        assert found == [(m.span(), m.group(0)) for m in expected.finditer(text)], text
