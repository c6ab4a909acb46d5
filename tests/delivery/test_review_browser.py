"""The review page in a real browser: Debian's headless Chromium, driven by Playwright.

The fixture project is built for real (espeak-ng, ffmpeg), with a title and a
translation that hold markup; its page is opened from ``file://`` with every
other request refused. A screenshot of each run is saved in pytest's
temporary folder (its path is printed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from pipeline.formats.lyrics import parse_lrc
from tests.conftest import DATA

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
TITLE = "Radio <script>document.title='pwned'</script> across the border"
QUOTE_KO = "<b onclick=alert(1)>외국 방송을</b> 찾은 뒤로 저는 매일 밤 들었습니다."


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project with markup in a title and a translation, built once."""
    from pipeline.cli import main

    project = tmp_path_factory.mktemp("review") / "mini"
    shutil.copytree(DATA / "mini", project, ignore=shutil.ignore_patterns("output", ".cache"))
    episode = project / "scripts_src" / "episodes" / "mini.yaml"
    episode.write_text(
        episode.read_text(encoding="utf-8").replace("title: Radio across the border", f'title: "{TITLE}"'),
        encoding="utf-8",
    )
    catalog = project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    text = catalog.read_text(encoding="utf-8")
    text = text.replace('msgid "Radio across the border"', f'msgid "{TITLE}"')
    text = text.replace('msgstr "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."', f'msgstr "{QUOTE_KO}"')
    catalog.write_text(text, encoding="utf-8")
    assert main(["build", "--project", str(project)]) == 0
    return project


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian's package (no browser is downloaded)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package ('make system-deps' does)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class OpenPage:
    """A review page opened from disk, recording console errors and any request off the disk."""

    def __init__(self, browser: Any, path: Path, width: int = 1100, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.off_disk: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self._only_files)
        self.page.goto(path.as_uri())

    def _only_files(self, route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.off_disk.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.page.close()


def lrc_starts(built: Path, lang: str, name: str) -> list[float]:
    lrc = built / "output" / "mini" / lang / name
    return [cue.start for cue in parse_lrc(lrc.read_text(encoding="utf-8"), str(lrc))]


# A snapshot taken in one step, at the first moment the player plays with a line highlighted:
# the time and the highlighted lines (a busy machine could otherwise see the line end before asking).
PLAYING = """(id) => {
  const audio = document.getElementById(id);
  const current = [...document.querySelectorAll('.line.current')];
  if (audio.paused || !current.length) { return null; }
  return {time: audio.currentTime, current: current.map(l => l.dataset.start),
          ariaCurrent: current[0].getAttribute('aria-current')};
}"""


def playing(page: Any, audio_id: str) -> dict[str, Any]:
    """Wait until player ``audio_id`` plays with a line highlighted; what was playing then."""
    return page.wait_for_function(PLAYING, arg=audio_id, timeout=15_000).json_value()


def test_a_line_button_plays_exactly_that_line_and_highlights_it(built: Path, browser: Any, tmp_path: Path) -> None:
    opened = OpenPage(browser, built / "output" / "_review" / "mini.html")
    page = opened.page
    lines = page.locator('.line[data-audio="a2-ko"]')
    assert lines.count() >= 5
    line = lines.nth(2)
    start, end = float(line.get_attribute("data-start")), float(line.get_attribute("data-end"))
    # The page's cue is the one the build wrote into the segment's LRC file.
    assert any(abs(start - lrc) < 0.01 for lrc in lrc_starts(built, "ko", "02-radio-reach.lrc"))

    line.locator("button.play").click()
    heard = playing(page, "a2-ko")
    assert start <= heard["time"] < end, heard  # it jumped to the line's cue
    assert heard["current"] == [line.get_attribute("data-start")]  # that line, and only it, is highlighted
    assert heard["ariaCurrent"] == "true"
    page.screenshot(path=str(tmp_path / "review-playing.png"), full_page=False)
    print(f"screenshot: {tmp_path / 'review-playing.png'}")

    # It stops by itself at the end of the line, and the highlight goes with it.
    page.wait_for_function("() => document.getElementById('a2-ko').paused", timeout=int((end - start + 5) * 1000))
    stopped = page.evaluate("document.getElementById('a2-ko').currentTime")
    assert end - 0.05 <= stopped < end + 0.5
    assert page.locator(".line.current").count() == 0

    assert opened.errors == []
    assert opened.off_disk == []
    opened.close()


def test_lines_play_from_the_keyboard_and_one_player_at_a_time(built: Path, browser: Any) -> None:
    opened = OpenPage(browser, built / "output" / "_review" / "mini.html")
    page = opened.page
    english = page.locator('.line[data-audio="a2-en"]').nth(1)
    english.locator("button.play").click()
    page.wait_for_function("() => !document.getElementById('a2-en').paused")
    korean = page.locator('.line[data-audio="a2-ko"]').nth(1)
    button = korean.locator("button.play")
    assert button.get_attribute("aria-label").startswith("Play from ")
    button.focus()
    page.keyboard.press("Enter")
    heard = playing(page, "a2-ko")
    assert heard["current"] == [korean.get_attribute("data-start")]
    assert page.evaluate("document.getElementById('a2-en').paused")
    assert opened.errors == [] and opened.off_disk == []
    opened.close()


def test_the_highlight_follows_a_player_started_from_its_own_controls(built: Path, browser: Any) -> None:
    opened = OpenPage(browser, built / "output" / "_review" / "mini.html")
    page = opened.page
    lines = page.locator('.line[data-audio="a2-en"]')
    first, second = lines.nth(0), lines.nth(1)
    # As the player's own play button and seek bar would: no line button involved.
    page.evaluate(
        "([id, at]) => { const a = document.getElementById(id); a.currentTime = at; a.play(); }",
        ["a2-en", float(second.get_attribute("data-start")) - 0.3],
    )
    page.wait_for_function("(line) => line.classList.contains('current')", arg=second.element_handle(), timeout=15_000)
    assert "current" not in (first.get_attribute("class") or "")
    page.evaluate("document.getElementById('a2-en').pause()")
    page.wait_for_function("() => !document.querySelector('.line.current')")
    assert opened.errors == [] and opened.off_disk == []
    opened.close()


def test_markup_from_scripts_and_catalogs_shows_as_text(built: Path, browser: Any) -> None:
    opened = OpenPage(browser, built / "output" / "_review" / "mini.html")
    page = opened.page
    assert page.locator("h1").inner_text() == TITLE
    assert page.title() == f"Review: {TITLE}"  # the injected script never ran
    assert page.evaluate("document.scripts.length") == 1
    assert page.locator("td b").count() == 0
    assert page.get_by_text(QUOTE_KO, exact=True).count() == 1
    # The markup is also what the translators' check reports on that line.
    assert "error[unspeakable]" in page.locator("tr", has_text=QUOTE_KO).inner_text()
    assert opened.errors == [] and opened.off_disk == []
    opened.close()


def test_the_page_reads_on_a_phone_and_the_report_links_it(built: Path, browser: Any, tmp_path: Path) -> None:
    opened = OpenPage(browser, built / "output" / "_review" / "mini.html", width=390, height=844)
    page = opened.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "review-phone.png"))
    opened.close()
    report = OpenPage(browser, built / "output" / "_report" / "index.html")
    report.page.get_by_role("link", name="Review pages").click()
    report.page.get_by_role("link", name=TITLE).click()
    assert report.page.url.endswith("/_review/mini.html")
    assert report.errors == [] and report.off_disk == []
    report.close()


def test_a_build_with_nothing_to_make_leaves_the_pages_as_they_are(built: Path) -> None:
    from pipeline.cli import main

    pages = sorted((built / "output" / "_review").glob("*.html"))
    assert [page.name for page in pages] == ["index.html", "mini.html"]
    before = {page: (page.read_bytes(), page.stat().st_mtime_ns) for page in pages}
    assert main(["build", "--project", str(built)]) == 0
    assert {page: (page.read_bytes(), page.stat().st_mtime_ns) for page in pages} == before
