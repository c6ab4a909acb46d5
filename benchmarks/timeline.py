"""The wall-clock shape of a cold build: ``.venv/bin/python benchmarks/timeline.py [--jobs N] [--runs N]``.

Entry point: :func:`main`. It copies the repository's sample station into a
temporary folder (or ``--keep DIR``), builds it cold with ``pipeline build``
as an operator would, with ``PIPELINE_TIMELINE`` set (see
:mod:`pipeline.build.timeline`), and prints, from the moment the command was
started:

- the main process's phases (interpreter and imports, project loaded,
  pool started, the first folder's jobs submitted, every folder rendered and
  planned, every job submitted, last folder assembled, review pages, report)
  with the CPU it had spent at each;
- the worker server's start (spawned, started, preload done: ready) and the
  CPU it spent;
- each worker's start (spawned or forked, imports ready), its
  jobs (start, speech ready, end) and the time it sat idle;
- a summary: the serial start (until the first job starts), the tail (from
  the last job's end to the command's exit), and how busy the workers were
  between the first job's start and the last one's end;
- a chart, one row per worker, a character per slice of time.

``--runs`` builds that many times (each cold) and prints the summaries'
medians. ``--json FILE`` keeps every event.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nightly import children_cpu_seconds, compile_bytecode, copy_sample_station, load_average, work_folder

CHART_WIDTH = 100


@dataclass
class Job:
    file: str
    worker: int
    start: float
    speech: float = 0.0
    end: float = 0.0


@dataclass
class Worker:
    pid: int
    spawned: float = 0.0
    started: float = 0.0
    ready: float = 0.0
    cpu: float = 0.0
    jobs: list[Job] = field(default_factory=list)


@dataclass
class Summary:
    wall: float
    cpu: float
    first_job: float  # the first job's start, from the command's start
    last_job: float  # the last job's end
    tail: float  # from the last job's end to the command's exit
    busy_share: float  # of the workers' time between the first job's start and the last job's end
    main_cpu: float
    jobs: int


def run_build(root: Path, jobs: int, events: Path) -> tuple[float, float, float]:
    """Build ``root`` cold with the timeline on: (started at, wall seconds, CPU seconds of the tree)."""
    for name in (".cache", "output"):
        shutil.rmtree(root / name, ignore_errors=True)
    events.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pipeline", "build", "--project", str(root), "--jobs", str(jobs)]
    environment = os.environ | {"PIPELINE_TIMELINE": str(events)}
    cpu = children_cpu_seconds()
    started, clock = time.time(), time.perf_counter()
    process = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - clock, children_cpu_seconds() - cpu
    if process.returncode != 0:
        raise SystemExit(f"build failed (exit {process.returncode}):\n{process.stderr[-2000:]}")
    return started, wall, cpu


def read_events(path: Path) -> list[dict[str, Any]]:
    return sorted((json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()), key=lambda e: e["t"])


def main_pid(events: list[dict[str, Any]]) -> int:
    return next(e["pid"] for e in events if e["event"] == "main")


def workers_of(events: list[dict[str, Any]], origin: float) -> dict[int, Worker]:
    """Every worker's start and jobs, in seconds from ``origin``."""
    workers: dict[int, Worker] = {}
    open_jobs: dict[tuple[int, str], Job] = {}
    for event in events:
        kind, pid, at = event["event"], event["pid"], event["t"] - origin
        if kind == "worker spawned":
            workers.setdefault(event["worker"], Worker(event["worker"])).spawned = at
            continue
        if not kind.startswith(("worker", "job started", "job speech", "job finished")):
            continue
        worker = workers.setdefault(pid, Worker(pid))
        worker.cpu = max(worker.cpu, event["cpu"])
        if kind == "worker started":
            worker.started = at
        elif kind == "worker ready":
            worker.ready = at
        elif kind == "job started":
            job = Job(event["file"], pid, at)
            open_jobs[(pid, event["file"])] = job
            worker.jobs.append(job)
        elif kind == "job speech":
            open_jobs[(pid, event["file"])].speech = at
        elif kind == "job finished":
            open_jobs.pop((pid, event["file"])).end = at
    return workers


def summarise(events: list[dict[str, Any]], origin: float, wall: float, cpu: float) -> Summary:
    workers = workers_of(events, origin)
    jobs = [job for worker in workers.values() for job in worker.jobs if job.end]
    first, last = min(job.start for job in jobs), max(job.end for job in jobs)
    busy = sum(job.end - job.start for job in jobs)
    main_cpu = max(e["cpu"] for e in events if e["pid"] == main_pid(events))
    share = busy / (len(workers) * (last - first)) if last > first else 1.0
    return Summary(round(wall, 2), round(cpu, 2), round(first, 2), round(last, 2), round(wall - last, 2),
                   round(share, 3), round(main_cpu, 2), len(jobs))  # fmt: skip


MAIN_PHASES = ("main", "loaded", "pool started", "first submitted", "rendered", "planned", "submitted", "meanwhile")


def print_timeline(events: list[dict[str, Any]], origin: float, wall: float, cpu: float) -> None:
    """The main process's phases, each worker's, and the chart."""
    print_main(events, origin, wall, cpu)
    print_server(events, origin)
    workers = workers_of(events, origin)
    print_workers(workers)
    print_chart(workers, wall)


def print_main(events: list[dict[str, Any]], origin: float, wall: float, cpu: float) -> None:
    pid = main_pid(events)
    print(f"{'main process':<34}{'at (s)':>8}{'CPU (s)':>9}")
    firsts: dict[str, dict[str, Any]] = {}
    lasts: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["pid"] != pid:
            continue
        firsts.setdefault(event["event"], event)
        lasts[event["event"]] = event
    rows = [(name, firsts[name]) for name in MAIN_PHASES if name in firsts]
    if "job recorded" in firsts:
        rows += [("first job recorded", firsts["job recorded"]), ("last job recorded", lasts["job recorded"])]
    if "assembled" in lasts:
        rows.append(("last folder assembled", lasts["assembled"]))
    rows += [(name, firsts[name]) for name in ("review pages", "reported") if name in firsts]
    print(f"  {'command started':<32}{0.0:>8.2f}{'':>9}")
    for name, event in rows:
        print(f"  {name:<32}{event['t'] - origin:>8.2f}{event['cpu']:>9.2f}")
    print(f"  {'exit':<32}{wall:>8.2f}   (whole tree: {cpu:.2f} s CPU)")


def print_server(events: list[dict[str, Any]], origin: float) -> None:
    """When the worker server was spawned, started and ready (its preload done), and its CPU."""
    spawned = next((e for e in events if e["event"] == "server spawned"), None)
    if spawned is None:
        return  # workers were spawned one by one
    server = [e for e in events if e["pid"] == spawned["server"]]
    at = {e["event"]: e["t"] - origin for e in server}
    cpu = max((e["cpu"] for e in server), default=0.0)
    print(f"\n{'worker server':<10}{'spawned':>9}{'started':>9}{'ready':>9}{'CPU':>8}")
    times = "".join(f"{at.get(name, 0.0):>9.2f}" for name in ("server started", "server ready"))
    print(f"{spawned['server']:<10}{spawned['t'] - origin:>9.2f}{times}{cpu:>8.2f}")


def print_workers(workers: dict[int, Worker]) -> None:
    """Each worker's start, its jobs, the time it sat idle after it was ready, and at the end."""
    last_end = max((job.end for w in workers.values() for job in w.jobs), default=0.0)
    print(f"\n{'worker':<8}{'spawned':>9}{'started':>9}{'ready':>9}{'1st job':>9}{'jobs':>6}"
          f"{'busy':>8}{'idle':>8}{'idle end':>9}{'CPU':>8}")  # fmt: skip
    for worker in workers.values():
        jobs = [job for job in worker.jobs if job.end]
        busy = sum(job.end - job.start for job in jobs)
        span = (jobs[-1].end - worker.ready) if jobs else 0.0
        first = jobs[0].start if jobs else 0.0
        end_idle = last_end - jobs[-1].end if jobs else 0.0
        starts = f"{worker.spawned:>9.2f}{worker.started:>9.2f}{worker.ready:>9.2f}"
        work = f"{first:>9.2f}{len(jobs):>6}{busy:>8.2f}{span - busy:>8.2f}{end_idle:>9.2f}{worker.cpu:>8.2f}"
        print(f"{worker.pid:<8}{starts}{work}")


def print_chart(workers: dict[int, Worker], wall: float) -> None:
    """One row per worker: ``.`` starting, ``s`` speech, ``#`` levelling and encoding, space idle."""
    scale = CHART_WIDTH / wall
    print(f"\nchart: one character = {wall / CHART_WIDTH:.2f} s; '.' starting, 's' speech, '#' the rest of a job")
    for worker in workers.values():
        row = [" "] * CHART_WIDTH

        def paint(start: float, end: float, mark: str, row: list[str] = row) -> None:
            for index in range(int(start * scale), min(CHART_WIDTH, max(int(start * scale) + 1, int(end * scale)))):
                row[index] = mark

        paint(worker.spawned, worker.ready or worker.spawned, ".")
        for index, job in enumerate(worker.jobs):
            paint(job.start, job.speech or job.end, "s")
            paint(job.speech or job.start, job.end, "#")
            if index % 2:
                paint(job.start, job.start, "|")
        print(f"{worker.pid:<8}|{''.join(row)}|")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--runs", type=int, default=1, help="cold builds (default 1); medians of their summaries")
    parser.add_argument("--keep", type=Path, help="build here and leave it")
    parser.add_argument("--json", type=Path, help="write every run's events and summary here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    compile_bytecode()
    print(f"load average at start: {load_average()}")
    summaries: list[Summary] = []
    kept: list[dict[str, Any]] = []
    with work_folder(args.keep) as folder:
        root = copy_sample_station(folder / "station").root
        for run in range(args.runs):
            events_file = folder / "timeline.jsonl"
            origin, wall, cpu = run_build(root, args.jobs, events_file)
            events = read_events(events_file)
            summary = summarise(events, origin, wall, cpu)
            summaries.append(summary)
            kept.append({"summary": asdict(summary), "origin": origin, "events": events})
            print(f"\nrun {run + 1}: {summary}")
            if run == args.runs - 1:
                print()
                print_timeline(events, origin, wall, cpu)
    if args.runs > 1:
        print("\nmedians:")
        for name in asdict(summaries[0]):
            print(f"  {name:<12}{statistics.median(getattr(s, name) for s in summaries):>8}")
    print(f"load average at end: {load_average()}")
    if args.json:
        args.json.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
