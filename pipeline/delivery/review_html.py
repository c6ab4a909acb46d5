"""The review pages as HTML: one self-contained file per episode, and an index.

Entry points: :func:`page_html` (a :class:`~pipeline.delivery.review.ReviewPage`)
and :func:`index_html`. A page works opened from disk with no network: its
style and script are inline and small, it loads no fonts (Hangul falls back
to the system's), and it reads on a phone (the columns stack on a narrow
screen). Every text from scripts and catalogs is HTML-escaped; the script
reads only ``data-`` attributes, so no text ever reaches it as code. Line
buttons are real buttons with labels, so the page works from the keyboard.
Nothing in a page depends on when it was made: the same build writes the
same bytes.

The script: a line's button seeks its segment's player in that language to
the line's cue start, plays it and pauses at the cue end; whichever player
is playing, the line being heard is highlighted (class ``current``,
``aria-current``). Starting one player pauses the others.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.delivery.review import Audio, Cell, Line, ReviewPage, ReviewSegment, Row
    from pipeline.delivery.review_marks import Mark


def page_html(page: ReviewPage) -> str:
    """The whole page of one episode."""
    from pipeline.delivery.review import page_summary  # the model's module imports this one

    source_title = (page.titles[0][1] if page.titles else "") or page.episode
    summary = page_summary(page)
    body = [_header(page, source_title, summary), "<main>"]
    body += [_segment(page, segment) for segment in page.segments]
    body.append("</main>")
    language = page.languages[0] if page.languages else "en"
    return _document(f"{_TITLE_PREFIX}{source_title}", language, "\n".join(body), True, "; ".join(summary))


def index_html(pages: Sequence[tuple[str, str, str]]) -> str:
    """The list of review pages: (episode id, title, summary) in the order given."""
    items = "".join(
        f'<li><a href="{_attr(episode)}.html">{_text(title)}</a> <span class="meta">{_text(episode)}</span>'
        + (f'<br><span class="meta">{_text(summary)}</span>' if summary else "")
        + "</li>"
        for episode, title, summary in pages
    )
    body = "<header><h1>Review pages</h1></header><main>"
    body += f'<ul class="episodes">{items}</ul>' if items else "<p>No episode has been built yet.</p>"
    return _document("Review pages", "en", body + "</main>", False)


def page_title(head: str) -> tuple[str | None, str]:
    """The episode title and the summary a page was written with, from the start of its HTML."""
    title = _TITLE.search(head)
    summary = _SUMMARY.search(head)
    return (html.unescape(title.group(1)) if title else None, html.unescape(summary.group(1)) if summary else "")


def _header(page: ReviewPage, source_title: str, summary: list[str]) -> str:
    parts = ['<header><nav><a href="index.html">All review pages</a></nav>']
    parts.append(f'<h1 lang="{_attr(page.languages[0])}">{_text(source_title)}</h1>')
    others = "".join(
        f'<li lang="{_attr(lang)}"><span class="lang">{_text(lang)}</span> {_text(title or "(not translated)")}</li>'
        for lang, title in page.titles[1:]
    )
    if others:
        parts.append(f'<ul class="titles">{others}</ul>')
    languages = ", ".join(page.languages)
    parts.append(
        f'<p class="meta">{_text(page.episode)} · {_text(page.date)} · profile {_text(page.profile)} · '
        f"languages {_text(languages)}</p>"
    )
    items = "".join(f"<li>{_text(line)}</li>" for line in summary)
    parts.append(f'<ul class="summary">{items}</ul>' if items else "")
    parts.append(_marks(page.marks))
    if page.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{_text(n)}</li>" for n in page.notes) + "</ul>")
    parts.append("</header>")
    return "".join(parts)


def _segment(page: ReviewPage, segment: ReviewSegment) -> str:
    anchor = f"s{segment.number}"
    titles = [(a.lang, a.title) for a in segment.audio if a.title] or [(page.languages[0], segment.id)]
    translated = "".join(f' <span class="sub" lang="{_attr(lang)}">{_text(title)}</span>' for lang, title in titles[1:])
    parts = [
        f'<section class="segment" id="{anchor}" aria-labelledby="{anchor}-h">',
        f'<h2 id="{anchor}-h"><span class="num">{segment.number}.</span> '
        f'<span lang="{_attr(titles[0][0])}">{_text(titles[0][1])}</span>{translated}</h2>',
        f'<p class="origin">{_text(segment.id)} · <code>{_text(segment.origin)}</code></p>',
        '<div class="players">' + "".join(_player(segment, audio) for audio in segment.audio) + "</div>",
    ]
    head = '<th scope="col" class="part">part</th>' + "".join(
        f'<th scope="col" lang="{_attr(lang)}">{_text(lang)}{" (source)" if index == 0 else ""}</th>'
        for index, lang in enumerate(page.languages)
    )
    rows = "".join(_row(segment, row, number) for number, row in enumerate(segment.rows, 1))
    parts.append(f'<table class="lines"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
    parts.append("</section>")
    return "\n".join(parts)


def _player(segment: ReviewSegment, audio: Audio) -> str:
    status = audio.status.replace(" ", "-")
    facts = [f'<span class="lang">{_text(audio.lang)}</span>', f'<span class="status">{_text(audio.status)}</span>']
    if audio.duration is not None:
        facts.append(f"{audio.duration:.1f} s")
    if audio.loudness_lufs is not None:
        facts.append(f"{audio.loudness_lufs:.1f} LUFS")
    if audio.true_peak_dbtp is not None:
        facts.append(f"{audio.true_peak_dbtp:.1f} dBTP")
    if audio.href is not None and audio.note:
        facts.append(_text(audio.note))
    head = f'<p class="facts">{" · ".join(facts)}</p>'
    if audio.href is None:
        player = f'<p class="note">{_text(audio.note)}</p>'
    else:
        label = f"Segment {segment.number} in {audio.lang}: {audio.title}"
        player = (
            f'<audio id="{_audio_id(segment, audio.lang)}" controls preload="metadata" '
            f'src="{_attr(audio.href)}" aria-label="{_attr(label)}"></audio>'
        )
    return f'<div class="player {status}" lang="{_attr(audio.lang)}">{head}{player}</div>'


def _row(segment: ReviewSegment, row: Row, number: int) -> str:
    cells = "".join(_cell(segment, cell) for cell in row.cells)
    part = f'<th scope="row" class="part">{number}<span class="role">{_text(row.role)}</span></th>'
    return f'<tr id="s{segment.number}-p{number}">{part}{cells}</tr>'


def _cell(segment: ReviewSegment, cell: Cell) -> str:
    lines = "".join(_line(segment, cell.lang, line) for line in cell.lines)
    note = f'<p class="note">{_text(cell.note)}</p>' if cell.note else ""
    flagged = " flagged" if any(mark.severity == "error" for mark in cell.marks) else ""
    return (
        f'<td lang="{_attr(cell.lang)}" data-label="{_attr(cell.lang)}" class="cell{flagged}">'
        f"{lines}{note}{_marks(cell.marks)}</td>"
    )


def _line(segment: ReviewSegment, lang: str, line: Line) -> str:
    text = f'<span class="text">{_text(line.text)}</span>'
    if line.cue is None:
        note = f' <span class="note">({_text(line.note)})</span>' if line.note else ""
        return f'<p class="line">{text}{note}</p>'
    start, end = line.cue.start, line.cue.end
    label = f"Play from {_clock(start)} in {lang}: {_preview(line.text)}"
    button = f'<button type="button" class="play" aria-label="{_attr(label)}">▶</button>'
    return (
        f'<p class="line" data-audio="{_audio_id(segment, lang)}" data-start="{start:.3f}" data-end="{end:.3f}">'
        f'{button}<span class="time">{_clock(start)}</span>{text}</p>'
    )


def _marks(marks: Iterable[Mark]) -> str:
    items = "".join(
        f'<li class="{_attr(mark.severity)}"><code>{_text(mark.where)}</code> '
        f"{_text(mark.severity)}[{_text(mark.check)}]: {_text(mark.message)}</li>"
        for mark in marks
    )
    return f'<ul class="marks">{items}</ul>' if items else ""


def _audio_id(segment: ReviewSegment, lang: str) -> str:
    return _attr(f"a{segment.number}-{lang}")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _preview(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TITLE_PREFIX = "Review: "
_TITLE = re.compile(f"<title>{_TITLE_PREFIX}(.*?)</title>", re.DOTALL)
_SUMMARY = re.compile(r'<meta name="description" content="([^"]*)">')


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _document(title: str, lang: str, body: str, with_script: bool, summary: str = "") -> str:
    script = f"<script>{_SCRIPT}</script>\n" if with_script else ""
    description = f'<meta name="description" content="{_attr(summary)}">\n' if summary else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{_attr(lang)}"><head><meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n{description}'
        f"<title>{_text(title)}</title>\n<style>{_STYLE}</style></head>\n"
        f"<body>\n{body}\n{script}</body></html>\n"
    )


_STYLE = """
:root { color-scheme: light; --line: #d8d8d8; --mark: #fff1b8; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1d1d1d; background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK KR", "Apple SD Gothic Neo",
  "Malgun Gothic", "NanumGothic", sans-serif; }
:lang(ko) { word-break: keep-all; }
h1, h2, .text, .titles, .marks, .notes { overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: 0.3rem 0; } h2 { font-size: 1.2rem; margin: 0 0 0.2rem; }
nav a, a { color: #0b57d0; }
.titles { list-style: none; padding: 0; margin: 0 0 0.3rem; font-size: 1.1rem; }
.meta, .origin, .facts, .time, .role { color: #555; font-size: 0.9rem; }
.summary { list-style: none; padding: 0; margin: 0.3rem 0; font-weight: 600; }
.lang { display: inline-block; min-width: 1.8rem; padding: 0 0.3rem; border-radius: 0.3rem; background: #eef;
  color: #223; font-weight: 600; text-align: center; }
.segment { border-top: 2px solid #333; margin-top: 1.5rem; padding-top: 0.6rem; }
.players { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; margin: 0.4rem 0; }
.player { flex: 1 1 18rem; } .player .facts { margin: 0; } audio { width: 100%; }
.status { font-weight: 600; } .ready .status { color: #176f2c; }
.left-out .status, .not-built .status { color: #b00020; } .text-only .status { color: #555; }
table.lines { width: 100%; border-collapse: collapse; table-layout: fixed; }
th { text-align: left; background: #f3f3f3; padding: 0.3rem 0.5rem; }
th.part { width: 3.2rem; vertical-align: top; font-weight: 600; color: #555; background: none;
  border-bottom: 1px solid var(--line); }
thead th.part { background: #f3f3f3; }
h2 .sub { display: block; font-weight: 500; color: #333; }
td { vertical-align: top; border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; }
td.flagged { box-shadow: inset 3px 0 0 #b00020; }
.role { display: block; font-size: 0.75rem; font-weight: 400; }
.line { margin: 0.15rem 0; padding: 0.1rem 0.25rem; border-radius: 0.3rem; }
.line.current { background: var(--mark); outline: 2px solid #d9a400; }
.time { margin-right: 0.4rem; font-variant-numeric: tabular-nums; }
button.play { min-width: 2.2rem; min-height: 2.2rem; margin-right: 0.4rem; border: 1px solid #888;
  border-radius: 0.4rem; background: #f7f7f7; cursor: pointer; font-size: 0.9rem; }
button.play:focus-visible { outline: 3px solid #0b57d0; outline-offset: 1px; }
.note { color: #7a4a00; font-style: italic; margin: 0.2rem 0; }
.marks, .notes { margin: 0.3rem 0; padding-left: 1.1rem; font-size: 0.9rem; }
.marks .error, .notes li { color: #b00020; } .marks .warning { color: #7a4a00; }
code { font-size: 0.85rem; overflow-wrap: anywhere; }
@media (max-width: 40rem) {
  body { padding: 0.6rem; }
  table.lines, table.lines tbody, table.lines tr, table.lines td { display: block; width: auto; }
  table.lines thead { display: none; }
  table.lines tr { border-bottom: 1px solid #999; padding: 0.3rem 0; }
  table.lines td, table.lines th.part { border: 0; width: auto; padding: 0.1rem 0.3rem; }
  table.lines th.part .role { display: inline; margin-left: 0.4rem; }
  table.lines td::before { content: attr(data-label); font-weight: 600; color: #223; }
}
"""

_SCRIPT = """
(function () {
  "use strict";
  var lineEnd = new Map();
  function linesOf(audio) { return document.querySelectorAll('.line[data-audio="' + audio.id + '"]'); }
  function highlight(audio) {
    var time = audio.currentTime, playing = !audio.paused && !audio.ended;
    linesOf(audio).forEach(function (line) {
      var on = playing && time >= Number(line.dataset.start) && time < Number(line.dataset.end);
      line.classList.toggle("current", on);
      if (on) { line.setAttribute("aria-current", "true"); } else { line.removeAttribute("aria-current"); }
    });
  }
  function tick(audio) {
    var end = lineEnd.get(audio);
    if (end !== undefined && audio.currentTime >= end) { audio.pause(); }
    highlight(audio);
    if (!audio.paused) { requestAnimationFrame(function () { tick(audio); }); }
  }
  function pauseOthers(audio) {
    document.querySelectorAll("audio").forEach(function (other) {
      if (other !== audio && !other.paused) { other.pause(); highlight(other); }
    });
  }
  function watch(audio) {
    audio.addEventListener("play", function () { pauseOthers(audio); tick(audio); });
    audio.addEventListener("pause", function () { lineEnd.delete(audio); highlight(audio); });
    audio.addEventListener("ended", function () { lineEnd.delete(audio); highlight(audio); });
    audio.addEventListener("timeupdate", function () { highlight(audio); });
    audio.addEventListener("seeked", function () {
      var end = lineEnd.get(audio);
      if (end !== undefined && audio.currentTime >= end) { lineEnd.delete(audio); }
      highlight(audio);
    });
  }
  function playLine(line) {
    var audio = document.getElementById(line.dataset.audio);
    if (!audio) { return; }
    pauseOthers(audio);
    lineEnd.set(audio, Number(line.dataset.end));
    audio.currentTime = Number(line.dataset.start);
    var started = audio.play();
    if (started && started.catch) { started.catch(function () { lineEnd.delete(audio); }); }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.play") : null;
    if (button) { playLine(button.closest(".line")); }
  });
  document.querySelectorAll("audio").forEach(watch);
})();
"""
