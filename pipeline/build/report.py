"""The morning report: a summary table on the terminal and ``output/_report/index.html``.

Entry points: :func:`summary_rows` (one row per episode × language ×
profile), :func:`print_summary` and :func:`write_html_report`. The HTML page
is self-contained (no scripts, no external files): the summary, translation
coverage per language, and every failure and missing translation with its
cause and the ``file:line`` to fix.
"""

from __future__ import annotations

import html
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.build.orchestrator import BuildReport, TargetOutcome
from pipeline.fsutil import atomic_write_text
from pipeline.project.layout import REPORT_FOLDER, REVIEW_FOLDER

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
            f"{o.untranslated_seconds:.0f}",
        )
        for o in report.outcomes
    ]


def print_summary(report: BuildReport) -> None:
    """Problems on stderr (one line each), then the summary table on stdout.

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


def _folders_to_name(report: BuildReport, every: bool) -> list[str]:
    """The finished folders to point at: all of them, or (in a long summary) those just built."""
    statuses = ("built", "unchanged") if every else ("built",)
    return sorted({str(o.folder) for o in report.outcomes if o.folder and o.status in statuses})


def problem_lines(outcome: TargetOutcome) -> list[str]:
    """Missing translations and failures of one target, compiler-style."""
    return [str(m) for m in outcome.missing] + [f"{outcome.label}: {error}" for error in outcome.errors]


def write_html_report(report: BuildReport, out: Path) -> Path:
    """Write ``<out>/_report/index.html`` and return its path."""
    path = out / REPORT_FOLDER / "index.html"
    atomic_write_text(path, render_html(report))
    return path


def render_html(report: BuildReport) -> str:
    """The report page."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    failed = [o for o in report.outcomes if o.errors]
    incomplete = [o for o in report.outcomes if o.missing]
    body = [
        f"<h1>Build report</h1><p>{html.escape(when)} · {len(report.outcomes)} folders · "
        f"{report.seconds:.0f} s · exit status {report.exit_code}</p>",
        f'<p><a href="../{REVIEW_FOLDER}/index.html">Review pages</a>: each episode line by line, beside its audio</p>',
        "<h2>Summary</h2>",
        _table(COLUMNS, summary_rows(report), status_column=3),
        "<h2>Translation coverage</h2>",
        _table(
            ("language", "messages", "missing", "translated", "seconds blocked"),
            [
                (
                    lang,
                    str(c.messages),
                    str(c.missing),
                    f"{100 * (1 - c.missing / c.messages):.1f} %" if c.messages else "-",
                    f"{c.seconds_blocked:.0f}",
                )
                for lang, c in sorted(report.coverage.items())
            ],
        ),
        "<h2>Failures</h2>",
        _list([f"{o.label}: {e}" for o in failed for e in o.errors]) if failed else "<p>None.</p>",
        "<h2>Missing translations</h2>",
        _list([str(m) for o in incomplete for m in o.missing]) if incomplete else "<p>None.</p>",
    ]
    return _PAGE.format(body="\n".join(body))


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
td.failed {{ color: #b00020; font-weight: bold; }}
td.incomplete {{ color: #a05a00; font-weight: bold; }}
code {{ white-space: pre-wrap; }}
</style></head>
<body>
{body}
</body></html>
"""
