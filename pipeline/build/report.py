"""The morning report: a summary on the terminal, and the HTML report kept for every run.

Entry points: :func:`summary_rows` (one row per episode × language ×
profile), :func:`print_summary` and :func:`write_html_report`.

Every run writes ``output/_report/runs/<UTC time>-<pid>.html`` (the newest
:data:`KEEP_RUNS` are kept) and the same page as ``output/_report/index.html``,
the latest run, with links to the earlier ones. A page opens with the verdict
(``2 failed, 1 waiting for translation, 3 built, 30 unchanged — exit 3``), says when the
run built only part of the catalogue or was interrupted, then gives the
summary (folders that failed or wait for translation but still hold an older
build are marked *stale*), translation coverage of the target languages,
every failure, every dropped segment and every missing translation with the
``file:line`` to fix, and output folders no script makes any more. Pages
are self-contained: no scripts, no external files.
"""

from __future__ import annotations

import contextlib
import html
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.build.outcomes import BuildReport, TargetOutcome, signal_name
from pipeline.build.runlog import file_stamp, keep_newest, retracted_line
from pipeline.fsutil import atomic_write_text
from pipeline.project.layout import REPORT_FOLDER, REVIEW_FOLDER

RUNS_DIR = "runs"
KEEP_RUNS = 30
FULL_TABLE_ROWS = 60  # a summary this long or shorter shows every row on the terminal
QUIET_STATUSES = ("unchanged", "up to date")  # left out of a longer one
COLUMNS = (
    "episode",
    "lang",
    "profile",
    "status",
    "segments",
    "made",
    "from cache",
    "minutes",
    "untranslated s",
    "dropped s",
    "folder",
)


def summary_rows(report: BuildReport) -> list[tuple[str, ...]]:
    """The summary table's rows, as text."""
    return [
        (
            o.episode,
            o.lang,
            o.profile,
            o.status,
            str(o.segments),
            str(o.made),
            str(o.cached),
            f"{o.audio_seconds / 60:.1f}",
            f"{o.untranslated_seconds:.1f}",
            f"{o.dropped_seconds:.1f}",
            _folder_state(o),
        )
        for o in report.outcomes
    ]


def _folder_state(outcome: TargetOutcome) -> str:
    if outcome.stale:
        return "stale: holds an older build"
    if outcome.status in ("built", "unchanged", "partial", "up to date"):
        return "current"
    return "-"


def print_summary(report: BuildReport) -> None:
    """Problems on stderr (one line each), then the summary table and the verdict on stdout.

    A catalogue's table would run to thousands of rows, almost all of them
    ``unchanged`` or ``up to date`` (and drawing 2,000 rows costs rich about a
    second of CPU): past :data:`FULL_TABLE_ROWS` rows, the terminal shows the
    other folders and counts those; the HTML report keeps every row.
    """
    for outcome in report.outcomes:
        for line in problem_lines(outcome):
            print(line, file=sys.stderr)
    rows = summary_rows(report)
    shown = rows if len(rows) <= FULL_TABLE_ROWS else [row for row in rows if row[3] not in QUIET_STATUSES]
    table = Table(title="Dry run: what would be built" if report.dry_run else "Build summary")
    for column in COLUMNS:
        table.add_column(column, no_wrap=True)
    for row in shown:
        table.add_row(*row)
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    if len(shown) < len(rows):
        quiet = len(rows) - len(shown)
        console.print(f"{quiet} more folders unchanged or up to date (every row: the HTML report)", highlight=False)
    if report.dry_run:
        for outcome in report.outcomes:
            for name, reason in outcome.reasons.items():
                console.print(f"{outcome.label}: {name}: {reason}", highlight=False, markup=False)
    else:
        for folder in _folders_to_name(report, every=len(shown) == len(rows)):
            console.print(f"files in {folder}", highlight=False, markup=False)
    for line in header_lines(report):
        console.print(line, highlight=False, markup=False)


def header_lines(report: BuildReport) -> list[str]:
    """The verdict, and what limited the run."""
    lines = [report.verdict()]
    if report.subset:
        lines.append(f"this run built a subset: {report.subset}")
    if report.interrupted is not None:
        lines.append(f"interrupted by {signal_name(report.interrupted)}: folders not finished are 'interrupted'")
    if report.retracted:
        lines.append(retracted_line([str(folder) for folder in report.retracted]))
    return lines


def _folders_to_name(report: BuildReport, every: bool) -> list[str]:
    """The finished folders to point at: all of them, or (in a long summary) those just built."""
    statuses = ("built", "unchanged", "partial") if every else ("built", "partial")
    return sorted({str(o.folder) for o in report.outcomes if o.folder and o.status in statuses})


def problem_lines(outcome: TargetOutcome) -> list[str]:
    """Missing translations, dropped segments and failures of one target, compiler-style."""
    return (
        [str(m) for m in outcome.missing]
        + [str(d) for d in outcome.dropped]
        + [f"{outcome.label}: {error}" for error in outcome.errors]
        + [f"{outcome.label}: {note}" for note in outcome.notes]
    )


def write_html_report(report: BuildReport, out: Path, when: float | None = None) -> Path:
    """Write this run's page under ``<out>/_report/runs/`` and as ``index.html``; return the latter.

    Each page is written whole or not at all. When this run's cannot be written (a full disk),
    the previous run's ``index.html`` is removed before the error goes on: an operator must
    not read the last run's page as this run's verdict."""
    when = time.time() if when is None else when
    folder = out / REPORT_FOLDER
    runs = folder / RUNS_DIR
    name = f"{file_stamp(when)}-{os.getpid()}.html"
    path = folder / "index.html"
    try:
        atomic_write_text(runs / name, render_html(report, when))
        keep_newest(runs, "*.html", KEEP_RUNS)
        earlier = sorted((page.name for page in runs.glob("*.html") if page.name != name), reverse=True)
        atomic_write_text(path, render_html(report, when, this_run=f"{RUNS_DIR}/{name}", earlier=earlier))
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise
    return path


def render_html(
    report: BuildReport, when: float | None = None, this_run: str | None = None, earlier: list[str] | None = None
) -> str:
    """One run's page; the latest page (``index.html``) also links to its own copy and the earlier runs."""
    up = "../" if this_run is not None else "../../"  # from _report/ or _report/runs/ to the output folder
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() if when is None else when))
    lines = header_lines(report)
    body = [
        "<h1>Build report</h1>",
        f'<p class="verdict">{html.escape(lines[0])}</p>',
        *(f'<p class="warning">{html.escape(line)}</p>' for line in lines[1:]),
        f"<p>{html.escape(stamp)} · {len(report.outcomes)} folders · {report.seconds:.0f} s</p>",
        f'<p><a href="{up}{REVIEW_FOLDER}/index.html">Review pages</a>: each episode line by line, '
        "beside its audio</p>",
    ]
    if this_run is not None:
        body.append(f'<p>This page is the latest run; it is kept as <a href="{html.escape(this_run)}">'
                    f"{html.escape(this_run)}</a>.</p>")  # fmt: skip
    body += [
        "<h2>Summary</h2>",
        _table(COLUMNS, summary_rows(report), status_column=3),
        "<h2>Translation coverage</h2>",
        _coverage(report),
        "<h2>Failures</h2>",
        _problems([f"{o.label}: {e}" for o in report.outcomes for e in o.errors]),
        "<h2>Segments left out</h2>",
        _problems([str(d) for o in report.outcomes for d in o.dropped]),
        "<h2>Missing translations</h2>",
        _problems([str(m) for o in report.outcomes for m in o.missing]),
    ]
    notes = [f"{o.label}: {note}" for o in report.outcomes for note in o.notes]
    if notes:
        body += ["<h2>Notes</h2>", _problems(notes)]
    if report.retracted:
        body += ["<h2>Output no script makes any more</h2>", _problems([str(f) for f in report.retracted])]
    if earlier is not None:
        links = "".join(f'<li><a href="{RUNS_DIR}/{html.escape(n)}">{html.escape(n)}</a></li>' for n in earlier)
        body += ["<h2>Earlier runs</h2>", f"<ul>{links}</ul>" if earlier else "<p>None kept.</p>"]
    return _PAGE.format(body="\n".join(body))


def _coverage(report: BuildReport) -> str:
    if not report.coverage:
        return "<p>No target language in this run.</p>"
    return _table(
        ("language", "messages", "not translated", "translated", "seconds blocked"),
        [
            (
                lang,
                str(c.messages),
                str(c.missing),
                f"{100 * (1 - c.missing / c.messages):.1f} %" if c.messages else "-",
                f"{c.seconds_blocked:.1f}",
            )
            for lang, c in sorted(report.coverage.items())
        ],
    )


def _problems(items: list[str]) -> str:
    return _list(items) if items else "<p>None.</p>"


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]], status_column: int | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    lines = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            css = f' class="{html.escape(value).replace(" ", "-")}"' if index == status_column else ""
            cells.append(f"<td{css}>{html.escape(value)}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li><code>{html.escape(item)}</code></li>" for item in items) + "</ul>"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Build report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }}
td.built, td.unchanged {{ color: #176f2c; }}
td.failed, td.interrupted {{ color: #b00020; font-weight: bold; }}
td.incomplete, td.partial {{ color: #a05a00; font-weight: bold; }}
p.verdict {{ font-size: 1.3em; font-weight: bold; }}
p.warning {{ color: #a05a00; font-weight: bold; }}
code {{ white-space: pre-wrap; }}
</style></head>
<body>
{body}
</body></html>
"""
