"""Take the README's picture of a review page: ``docs/review-page.png``.

Usage (after ``make demo`` or ``pipeline build``; needs ``make browser-deps``)::

    .venv/bin/python tools/review_screenshot.py output/_review/radio-reach.html docs/review-page.png

Opens the page in Debian's headless Chromium (through Playwright, as the
browser test does), plays the third line of the Korean player of segment 3
so that it shows highlighted, and saves the visible part of that segment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
SEGMENT, LANG, LINE = 3, "ko", 2


def main(page_path: Path, picture: Path) -> None:
    """Save the screenshot of ``page_path`` as ``picture``."""
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 980, "height": 760})
        page.goto(page_path.resolve().as_uri())
        player = f"a{SEGMENT}-{LANG}"
        page.locator(f'.line[data-audio="{player}"]').nth(LINE).locator("button.play").click()
        page.wait_for_function("() => document.querySelector('.line.current') !== null")
        page.evaluate(f"document.getElementById('{player}').pause = () => {{}}")  # still playing in the picture
        page.evaluate(f"window.scrollBy(0, document.getElementById('s{SEGMENT}').getBoundingClientRect().top - 8)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(picture))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
