"""What a Dask cluster costs a build on one machine: ``.venv/bin/python benchmarks/cluster_overhead.py``.

Entry point: :func:`main`. It generates the nightly benchmark's corpus
(``--episodes`` episodes of about ``--minutes`` of audio per language, from
the sample stories: :mod:`nightly`), starts a Dask scheduler and ``--jobs``
worker processes of one thread each with the ``dask`` command line, on
127.0.0.1, as an operator would (:mod:`tests.dask_processes`, which the
cluster tests use too), and then, ``--rounds`` times, builds the
corpus cold (no ``.cache``, no ``output``) with the local pool
(``pipeline build --jobs N``) and with the cluster (``pipeline build
--scheduler ADDRESS``), alternating which goes first.

Equal work: both build the same corpus with the same number of worker
processes on the same machine, from nothing (no ``.cache``, no ``output``),
and in fresh worker processes: the local pool starts its workers inside the
build, and the cluster's workers are restarted by their nannies just before
each cluster build, so that neither keeps imports, engines or in-process
caches from an earlier build. What the cluster spends starting (the
scheduler and workers once, the restart before each build) is measured and
printed apart, not counted; what the local pool spends starting its workers
is part of its build, as it is in operation. The ratio of wall times is then
what the cluster path adds to the same work: connecting, checking every
worker, moving jobs and results through the scheduler, and a worker's first
imports of the pipeline. It also reports CPU time (user + system): the
build's process tree, plus on the cluster what the scheduler, nannies and
workers spent during the build; on a machine shared with other work, CPU
time varies less than wall time. Every cluster build's outputs are checked
to be byte-identical to the local build's. The command, the machine and its
load (before and after) are printed with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nightly
import psutil
from distributed import Client

sys.path.insert(0, str(nightly.REPO))  # the shared Dask starter lives with the tests, in the repository's root
from tests.dask_processes import DaskProcesses, dask_processes


def restart_workers(cluster: DaskProcesses, workers: int) -> float:
    """Fresh worker processes (their nannies restart them), as a local build's pool starts with;
    returns the seconds it took."""
    started = time.perf_counter()
    with Client(cluster.address, timeout=60) as client:
        client.restart_workers(list(client.scheduler_info(n_workers=-1)["workers"]), timeout=120)
        client.wait_for_workers(workers, timeout=120)
    return time.perf_counter() - started


def cpu_seconds(cluster: DaskProcesses) -> float:
    """User + system time used so far by the scheduler, the nannies and the workers."""
    total = 0.0
    for process in cluster.processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(process.pid)
            for member in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = member.cpu_times()
                    total += times.user + times.system
    return total


def cold_build(root: Path, jobs: int, label: str, extra: list[str]) -> nightly.BuildRun:
    """One build with no cache and no output."""
    shutil.rmtree(root / ".cache", ignore_errors=True)
    shutil.rmtree(root / "output", ignore_errors=True)
    return nightly.run_build(root, jobs, label, extra=extra)


def output_digests(root: Path) -> dict[str, str]:
    """sha256 of every built file (the log and report aside)."""
    output = root / "output"
    return {
        path.relative_to(output).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(output.rglob("*"))
        if path.is_file() and not path.relative_to(output).parts[0].startswith("_")
    }


def measure(base: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Generate the corpus, start the cluster, run the rounds; the figures as plain data."""
    corpus = nightly.generate_corpus(base / "corpus", nightly.read_samples(nightly.REPO), args.episodes,
                                     args.minutes, args.seed)  # fmt: skip
    nightly.compile_bytecode()
    rounds = []
    started = time.perf_counter()
    with dask_processes(base, args.jobs) as cluster:
        startup_seconds = time.perf_counter() - started
        nightly.say(f"cluster {cluster.address} with {args.jobs} workers started in {startup_seconds:.1f} s")
        for number in range(1, args.rounds + 1):
            order = ["local", "cluster"] if number % 2 else ["cluster", "local"]
            figures: dict[str, float] = {}
            digests: dict[str, dict[str, str]] = {}
            for kind in order:
                extra = ["--scheduler", cluster.address] if kind == "cluster" else []
                if kind == "cluster":
                    figures["restart"] = restart_workers(cluster, args.jobs)
                cluster_cpu = cpu_seconds(cluster)
                run = cold_build(corpus.root, args.jobs, f"{kind}-{number}", extra)
                figures[kind] = run.seconds
                # The build's own process tree, plus (on the cluster) what the workers spent meanwhile.
                figures[f"{kind}_cpu"] = run.cpu_seconds + (cpu_seconds(cluster) - cluster_cpu) * (kind == "cluster")
                digests[kind] = output_digests(corpus.root)
                nightly.say(
                    f"round {number}: {kind} cold build {run.seconds:.1f} s, CPU {figures[f'{kind}_cpu']:.1f} s "
                    f"({run.segment_files} files made)"
                )
            if digests["local"] != digests["cluster"]:
                raise SystemExit(f"round {number}: the cluster build's outputs differ from the local build's")
            figures["ratio"] = figures["cluster"] / figures["local"]
            figures["cpu_ratio"] = figures["cluster_cpu"] / figures["local_cpu"]
            rounds.append({**figures, "files": len(digests["local"])})
    ratios = [item["ratio"] for item in rounds]
    cpu_ratios = [item["cpu_ratio"] for item in rounds]
    return {
        "episodes": args.episodes,
        "minutes": args.minutes,
        "jobs": args.jobs,
        "cluster_startup_seconds": round(startup_seconds, 1),
        "rounds": rounds,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "cpu_ratio_median": statistics.median(cpu_ratios),
    }


def print_report(results: dict[str, Any]) -> None:
    """The rounds and the ratio, then the command and the machine."""
    restarts = ", ".join(f"{item['restart']:.1f}" for item in results["rounds"])
    print(f"command: {results['command']}")
    print(
        f"cold builds of {results['episodes']} episodes ({results['minutes']:g} min of audio per language), "
        f"{results['jobs']} fresh worker processes each way"
    )
    print(
        f"{'round':>5}  {'local s':>8}  {'cluster s':>9}  {'ratio':>6}  "
        f"{'CPU s local':>11}  {'cluster':>7}  {'ratio':>6}"
    )
    for number, item in enumerate(results["rounds"], 1):
        print(
            f"{number:>5}  {item['local']:>8.1f}  {item['cluster']:>9.1f}  {item['ratio']:>6.3f}  "
            f"{item['local_cpu']:>11.1f}  {item['cluster_cpu']:>7.1f}  {item['cpu_ratio']:>6.3f}"
        )
    print(
        f"cluster / local wall time: median {results['ratio_median']:.3f} "
        f"(range {results['ratio_min']:.3f}-{results['ratio_max']:.3f}); CPU time: median "
        f"{results['cpu_ratio_median']:.3f}; {results['rounds'][0]['files']} files identical each round; "
        f"cluster start-up {results['cluster_startup_seconds']} s and worker restarts before each cluster build "
        f"({restarts} s), not counted"
    )
    for name, value in results["machine"].items():
        print(f"  {name}: {value}")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=10, metavar="N", help="episodes in the corpus (default 10)")
    parser.add_argument("--minutes", type=float, default=30.0, help="minutes of audio per language (default 30)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--rounds", type=int, default=2, help="local and cluster builds of each (default 2)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the order stories are dealt in (default 6)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.jobs < 1 or args.rounds < 1 or args.minutes <= 0:
        parser.error("--episodes, --jobs and --rounds must be at least 1, --minutes more than 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Measure, print, and write the JSON when asked."""
    args = parse_arguments(argv)
    host = nightly.machine()  # the load average at the start included
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as folder:
        results = measure(Path(folder), args)
    results["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    results["machine"] = {
        **host,
        "load average at end (1, 5, 15 min)": nightly.load_average(),
    }
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
