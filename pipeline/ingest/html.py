"""HTML pages: the main content found by trafilatura, as numbered source lines.

Entry point: :func:`extract_html`. trafilatura removes navigation, footers and
other boilerplate and returns the article as structured XML (headings,
paragraphs, lists, quotes) plus metadata (title, date, site name). Each
extracted block is mapped back to the line of the HTML file it came from, so
reports point into the file the producer has. A block whose text is mostly
link text (a share bar, a list of related stories that trafilatura kept) is
marked ``links``, which cleaning drops as page furniture. Nothing is fetched:
extraction works on the text given.
"""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import lxml.html
import trafilatura

from pipeline.ingest.read import SourceDocument, SourceLine, clean_text, is_link_block

_BLOCK_HINTS = {"head": "heading", "p": "", "item": "item", "quote": "quote"}


def extract_html(path: Path, shown: str, html: str) -> SourceDocument:
    """The main content of the HTML page ``html`` read from ``path``."""
    document = SourceDocument(path, shown, "html", [])
    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=True,
        favor_recall=True,
        with_metadata=False,
        deduplicate=False,
    )
    if not xml:
        raise document.error("no article text found in the HTML page")
    metadata = trafilatura.extract_metadata(html)
    if metadata is not None:
        document.title = _clean_or_none(metadata.title)
        document.date = _clean_or_none(metadata.date)
        document.publication = _clean_or_none(metadata.sitename)
        document.url = _clean_or_none(metadata.url)
    locator = _LineLocator(html)
    for element in lxml.etree.fromstring(xml.encode("utf-8")).iter(*_BLOCK_HINTS):
        parent = element.getparent()
        if element.tag == "p" and parent is not None and parent.tag in ("item", "quote"):
            continue
        text = clean_text(" ".join("".join(element.itertext()).split()))
        if not text:
            continue
        hint = _BLOCK_HINTS[element.tag]
        if hint == "heading" and document.title and text == document.title:
            hint = "title"
        elif is_link_block(text, _link_share(element)):
            hint = "links"
        document.lines.append(SourceLine(locator.line_of(text), text, hint))
        document.lines.append(SourceLine(locator.last, ""))
    return document


def _link_share(element: lxml.etree._Element) -> float:
    """The share of the block's characters that are the text of links."""
    total = len("".join("".join(element.itertext()).split()))
    linked = sum(len("".join("".join(ref.itertext()).split())) for ref in element.iter("ref"))
    return linked / total if total else 0.0


def _clean_or_none(value: str | None) -> str | None:
    text = clean_text(value or "")
    return text or None


class _LineLocator:
    """Finds the HTML source line where a block of extracted text begins."""

    def __init__(self, html: str) -> None:
        self.blocks: list[tuple[int, str]] = []
        try:
            tree = lxml.html.document_fromstring(html)
        except (lxml.etree.ParserError, ValueError):
            tree = None
        if tree is not None:
            for element in tree.iter():
                if not isinstance(element.tag, str) or element.sourceline is None:
                    continue
                own = " ".join("".join(element.itertext()).split())
                if own:
                    self.blocks.append((element.sourceline, own))
        self.position = 0
        self.last = 1

    def line_of(self, text: str) -> int:
        """The line of the first element (after the previous match) holding ``text``."""
        probe = text[:60]
        for index in range(self.position, len(self.blocks)):
            line, own = self.blocks[index]
            if own.startswith(probe):
                self.position = index
                self.last = line
                return line
        return self.last
