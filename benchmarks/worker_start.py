"""What starting build workers costs: ``.venv/bin/python benchmarks/worker_start.py [--jobs N] [--repeats N]``.

Entry point: :func:`main`. It measures the build's own worker pool
(:func:`pipeline.build.request.local_pool`: the preload, the
initializer and the engines' shutdown) two ways, in alternated repeats:
workers forked by the pool's server (:mod:`pipeline.build.worker_server`,
the default on Linux) and workers spawned one by one
(``fork_from_server=False``, the way elsewhere).

- ``start``: a pool of ``--jobs`` workers started at once, each given one
  small levelling job (the K-weighted loudness of a second of a tone, through
  the section filter); the whole tree's CPU (user + system of the
  pool's processes, waited for) and the wall time until every job is done.
- ``replacement``: one worker replaced after every job (``recycle_after=1``),
  for 1 job and for ``--replacements`` more: the difference in the tree's
  CPU per extra job, that is, per fresh worker and its job (what a timeout,
  a crash or recycling costs; the server's own start cancels out).

Medians are printed with the load average before and after: on a busy
machine the wall times say little, the CPU times more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import Future

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy: see workers.py
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from nightly import children_cpu_seconds, load_average  # noqa: E402

from pipeline.audio import dsp  # noqa: E402
from pipeline.build.request import BuildRequest, local_pool  # noqa: E402
from pipeline.build.workers import DEFAULT_RECYCLE_AFTER, WorkerPool  # noqa: E402

RATE = 22050
VARIANTS = {"forked": True, "spawned": False}


def a_second_of_tone(seed: int) -> np.ndarray:
    """A second of a tone, the job's input: its K-weighted loudness blocks are the job."""
    return np.sin(np.arange(RATE, dtype=np.float32) * np.float32(0.05 * (seed + 1))) * np.float32(0.1)


def level_a_second(pool: WorkerPool, seed: int) -> Future[np.ndarray]:
    """Submit a job that needs the levelling stack: the loudness blocks of a second of a tone,
    through :func:`pipeline.audio.dsp.loudness_blocks` itself, so that a worker runs it with
    what the build's workers have loaded and imports nothing for it (this module, or
    ``numpy.random``, which the build never uses, would cost a fresh worker 0.05-0.1 s)."""
    return pool.submit(dsp.loudness_blocks, a_second_of_tone(seed), RATE)


def build_pool(workers: int, forked: bool, recycle_after: int = DEFAULT_RECYCLE_AFTER) -> WorkerPool:
    """The build's own pool (:func:`pipeline.build.request.local_pool`) of ``workers`` workers."""
    return local_pool(BuildRequest(jobs=workers, job_timeout=120), recycle_after, fork_from_server=forked)


def start(workers: int, forked: bool) -> tuple[float, float]:
    """(tree CPU, wall) of a pool of ``workers`` started at once, one job each."""
    cpu, clock = children_cpu_seconds(), time.perf_counter()
    pool = build_pool(workers, forked)
    pool.start_workers()
    for job in [level_a_second(pool, seed) for seed in range(workers)]:
        job.result()
    wall = time.perf_counter() - clock
    pool.shutdown()
    return children_cpu_seconds() - cpu, wall


def replacements(jobs: int, forked: bool) -> float:
    """Tree CPU per replacement worker: a pool whose one worker is replaced after every job, run
    for 1 and for ``jobs`` + 1 jobs (the server's start, counted once in each, cancels out)."""
    return (recycled(jobs + 1, forked) - recycled(1, forked)) / jobs


def recycled(jobs: int, forked: bool) -> float:
    """Tree CPU of ``jobs`` jobs on one worker replaced after every job."""
    cpu = children_cpu_seconds()
    pool = build_pool(1, forked, recycle_after=1)
    for seed in range(jobs):
        level_a_second(pool, seed).result()
    pool.shutdown()
    return children_cpu_seconds() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=2, help="workers started at once (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="alternated repeats (default 5)")
    parser.add_argument("--replacements", type=int, default=6, help="jobs on replaced workers (default 6)")
    args = parser.parse_args(argv)
    print(f"load average at start: {load_average()}")
    starts: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    replaced: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for repeat in range(args.repeats):
        order = list(VARIANTS) if repeat % 2 == 0 else list(reversed(VARIANTS))
        for name in order:
            starts[name].append(start(args.jobs, VARIANTS[name]))
            replaced[name].append(replacements(args.replacements, VARIANTS[name]))
    print(f"\n{'workers':<10}{'start: CPU (s)':>16}{'wall (s)':>10}{'per replacement: CPU (s)':>26}")
    for name in VARIANTS:
        cpu = statistics.median(c for c, _ in starts[name])
        wall = statistics.median(w for _, w in starts[name])
        print(f"{name:<10}{cpu:>16.3f}{wall:>10.2f}{statistics.median(replaced[name]):>26.3f}")
    print(f"\n{args.jobs} workers, {args.repeats} alternated repeats, medians; load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
