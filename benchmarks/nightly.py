"""The nightly-build benchmark: ``.venv/bin/python benchmarks/nightly.py [--episodes N] [--jobs N]``.

Entry point: :func:`main`. In a temporary folder (or ``--keep DIR``) it
generates two corpus projects from the sample episodes: their stories, with
the real Korean translations of the sample catalogs, dealt in a seeded order
into ``--episodes`` episodes of about ``--minutes`` of audio per language
(``nightly/``), and into one episode of the same length (``long/``). It
compiles the package's bytecode (as installing it does). Then it

1. builds ``nightly/`` with ``pipeline build`` three times — cold (no
   ``.cache``, no ``output``), again with no change, and after one Korean
   translation of a one-sentence paragraph changed — timing each command and
   reading what it did from the build's JSON-lines log;
2. runs the raw toolchain on the same texts (each segment's rendered,
   normalised text through ``espeak-ng -w`` and ``ffmpeg`` to a 32 kbps MP3,
   ``--jobs`` segments at a time);
3. builds ``long/`` cold while sampling the resident memory of the build's
   whole process tree every 50 ms;

and prints the figures next to the targets of the nightly-build issue, with
the machine they were measured on. ``--json FILE`` keeps them.

The sample episodes hold about 13 minutes of stories per language, so the
corpus says each story several times (in different episodes, under other
catalogs). The cold build takes the repeated sentences from its speech cache
while the raw toolchain speaks every segment; the table shows how many parts
the cold build synthesised and how many it found in the cache. The raw
toolchain reads each segment with its language's host voice, as one text.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

from pipeline.build.orchestrator import render_all
from pipeline.i18n.messages import EPISODE_TITLE_CONTEXT, segment_messages
from pipeline.i18n.pofile import PoEntry, PoFile, read_po_file, write_po_file
from pipeline.project.layout import EPISODES_DIR, TEMPLATES_DIR, po_path
from pipeline.project.script import load_project
from pipeline.render import spoken_text
from pipeline.speech import normaliser_for
from pipeline.text.durations import estimate_seconds
from pipeline.text.sentences import split_sentences

REPO = Path(__file__).resolve().parents[1]
MARKER = "benchmark-corpus.json"  # written into every generated corpus; only such folders are ever replaced
FIRST_DATE = dt.date(2025, 1, 6)
# "Meanwhile, ": an opening any declarative Korean sentence can take; the one-change rebuild adds it.
CHANGE_PREFIX = "한편, "
# Measured on this corpus: the built audio of a story is about 1.3 times the estimate_seconds() of its
# texts (the estimate leaves out the template's words, the pauses and the segment's closing silence);
# the ident and the sign-off add about 20 seconds to each episode.
SPOKEN_PER_ESTIMATED = 1.3
EPISODE_EXTRA_SECONDS = 20.0
SAMPLE_SECONDS = 0.05
MB = 1_000_000

RATIO_TARGET = 1.25
NO_OP_TARGET_PERCENT = 2.0
ONE_CHANGE_TARGET_PARTS = 1
PEAK_RSS_TARGET_MB = 300.0


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Story:
    """A story segment of a sample episode, with the Korean of every translatable field."""

    template: str
    fields: dict[str, Any]  # field values as the sample script gives them
    messages: list[tuple[str, str, str]]  # (context after the segment id ("paragraphs"), English, Korean)
    seconds: float  # estimated seconds spoken, the mean of the two languages


@dataclass(frozen=True)
class Samples:
    """What the corpus is made of: the sample stories and episode titles (English, Korean)."""

    stories: list[Story]
    titles: list[tuple[str, str]]


@dataclass
class Corpus:
    """A generated project: its folder and, per episode id, the stories it holds."""

    root: Path
    episodes: dict[str, list[Story]] = field(default_factory=dict)


def read_samples(repo: Path) -> Samples:
    """Every story (a segment with paragraphs) of the sample episodes, with its Korean."""
    project = load_project(repo)
    stories, titles = [], []
    for episode in project.episodes.values():
        catalog = read_po_file(po_path(repo, "ko", episode.id), repo)
        titles.append((episode.title, korean(catalog, EPISODE_TITLE_CONTEXT, episode.title)))
        for segment in episode.segments:
            if not any(value.type == "paragraphs" for value in segment.fields.values()):
                continue
            template = project.templates[segment.template]
            messages = [
                (
                    message.context.removeprefix(f"{segment.id}."),
                    message.text,
                    korean(catalog, message.context, message.text),
                )
                for message in segment_messages(episode.id, segment, template)
            ]
            fields = {name: value.value for name, value in segment.fields.items()}
            stories.append(Story(segment.template, fields, messages, story_seconds(messages)))
    if not stories:
        raise SystemExit(f"{repo / EPISODES_DIR}: no sample story to make a corpus from")
    return Samples(stories, titles)


def korean(catalog: PoFile, context: str, msgid: str) -> str:
    """The usable Korean translation of one sample message (the samples are fully translated)."""
    entry = catalog.find(context, msgid)
    if entry is None or not entry.translated or entry.fuzzy:
        raise SystemExit(f"{catalog.path}: no usable Korean translation for {context} {msgid!r}")
    return entry.msgstr


def story_seconds(messages: list[tuple[str, str, str]]) -> float:
    """About how long the story takes to say, on average over the two languages (Korean runs longer)."""
    english = sum(estimate_seconds(en, "en") for _, en, _ in messages)
    hangul = sum(estimate_seconds(ko, "ko") for _, _, ko in messages)
    return SPOKEN_PER_ESTIMATED * (english + hangul) / 2


def deal_stories(stories: list[Story], episodes: int, minutes: float, seed: int) -> list[list[Story]]:
    """Stories in seeded rounds (each round a new shuffle), dealt so each episode has its share of time."""
    rng = random.Random(seed)

    def rounds() -> Iterator[Story]:
        while True:
            order = list(stories)
            rng.shuffle(order)
            yield from order

    stream = rounds()
    upcoming = next(stream)
    share = minutes * 60 / episodes
    dealt: list[list[Story]] = []
    total = 0.0
    for index in range(episodes):
        goal = (index + 1) * share
        total += EPISODE_EXTRA_SECONDS
        chosen: list[Story] = []
        while not chosen or total + upcoming.seconds / 2 < goal:
            chosen.append(upcoming)
            total += upcoming.seconds
            upcoming = next(stream)
        dealt.append(chosen)
    return dealt


def generate_corpus(folder: Path, samples: Samples, episodes: int, minutes: float, seed: int) -> Corpus:
    """Write a project of ``episodes`` episodes, ``minutes`` long per language, with complete Korean catalogs."""
    replace_corpus_folder(folder)
    copy_station(folder)
    corpus = Corpus(folder)
    for index, stories in enumerate(deal_stories(samples.stories, episodes, minutes, seed), 1):
        episode_id = f"night-{index:02d}" if episodes > 1 else "long-night"
        title = samples.titles[(index - 1) % len(samples.titles)]
        write_episode(folder, episode_id, title[0], FIRST_DATE + dt.timedelta(days=index - 1), stories)
        write_catalog(folder, episode_id, title, stories)
        corpus.episodes[episode_id] = stories
    marker = {"episodes": episodes, "minutes": minutes, "seed": seed}
    (folder / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    return corpus


def replace_corpus_folder(folder: Path) -> None:
    """Start from an empty folder; an existing one is removed only if this benchmark made it."""
    if folder.exists():
        if not (folder / MARKER).is_file():
            raise SystemExit(f"{folder}: exists and is not a corpus made by this benchmark; choose another --keep")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def copy_station(folder: Path) -> None:
    """The repository's station, templates, shared Korean catalog and lexicons."""
    (folder / EPISODES_DIR).mkdir(parents=True)
    shutil.copy2(REPO / "scripts_src" / "station.yaml", folder / "scripts_src" / "station.yaml")
    shutil.copytree(REPO / TEMPLATES_DIR, folder / TEMPLATES_DIR)
    for source in [po_path(REPO, "ko", "station"), *sorted(REPO.glob("locales/*/lexicon.yaml"))]:
        target = folder / source.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def segment_id(number: int) -> str:
    """The id of the ``number``-th story of a generated episode."""
    return f"story-{number:02d}"


def write_episode(folder: Path, episode_id: str, title: str, date: dt.date, stories: list[Story]) -> None:
    """One episode script: the station ident, the stories, the sign-off."""
    segments: list[dict[str, Any]] = [{"id": "opening", "template": "station_ident"}]
    for number, story in enumerate(stories, 1):
        segments.append({"id": segment_id(number), "template": story.template, **story.fields})
    segments.append({"id": "closing", "template": "sign_off"})
    script = {"id": episode_id, "title": title, "date": date, "segments": segments}
    text = yaml.safe_dump(script, allow_unicode=True, sort_keys=False, width=100)
    (folder / EPISODES_DIR / f"{episode_id}.yaml").write_text(text, encoding="utf-8")


def write_catalog(folder: Path, episode_id: str, title: tuple[str, str], stories: list[Story]) -> None:
    """The episode's Korean catalog, every message translated with the sample's translation."""
    header = (
        f"Project-Id-Version: Open Window Radio {episode_id}\nLanguage: ko\n"
        "Plural-Forms: nplurals=1; plural=0;\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
    )
    entries = [PoEntry("", header), PoEntry(title[0], title[1], msgctxt=EPISODE_TITLE_CONTEXT)]
    for number, story in enumerate(stories, 1):
        for context, english, hangul in story.messages:
            entries.append(PoEntry(english, hangul, msgctxt=f"{segment_id(number)}.{context}"))
    path = po_path(folder, "ko", episode_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_po_file(path, PoFile(entries))


# --------------------------------------------------------------------------- the one change


@dataclass(frozen=True)
class Change:
    """One Korean translation edited between the no-op and the one-change rebuild."""

    episode: str
    context: str
    msgid: str
    before: str
    after: str


def choose_change(corpus: Corpus) -> Change:
    """The first paragraph that is one sentence in both languages and one Korean speech part, before and after."""
    station = load_project(corpus.root).station
    normalise = normaliser_for(corpus.root, station, "ko")
    for episode_id, stories in corpus.episodes.items():
        for number, story in enumerate(stories, 1):
            for context, english, hangul in story.messages:
                after = CHANGE_PREFIX + hangul
                single = len(split_sentences(english, "en")) == 1 and len(split_sentences(after, "ko")) == 1
                if context.split("#")[0] == "paragraphs" and single and len(normalise(after)) == 1:
                    return Change(episode_id, f"{segment_id(number)}.{context}", english, hangul, after)
    raise SystemExit(f"{corpus.root}: no one-sentence paragraph to change")


def apply_change(root: Path, change: Change) -> None:
    """Edit the one translation in its episode's Korean catalog."""
    path = po_path(root, "ko", change.episode)
    catalog = read_po_file(path, root)
    entry = catalog.find(change.context, change.msgid)
    assert entry is not None and entry.msgstr == change.before
    entry.msgstr = change.after
    write_po_file(path, catalog)


# --------------------------------------------------------------------------- builds


@dataclass
class MemoryPeak:
    """The largest resident memory seen while a process tree ran."""

    tree_bytes: int = 0  # RSS summed over the main process and all its descendants
    tree_pss_bytes: int = 0  # the same in PSS (shared pages divided among the processes sharing them)
    process_bytes: int = 0  # the largest single process
    process_role: str = ""
    role_bytes: dict[str, int] = field(default_factory=dict)  # "main", "worker", "espeak-ng", "ffmpeg": the largest
    samples: int = 0


@dataclass
class BuildRun:
    """One ``pipeline build`` command: its wall time and what its JSON-lines log says it did."""

    seconds: float
    exit_code: int
    cpu_seconds: float = 0.0  # user + system time of the whole process tree
    build_seconds: float = 0.0  # as the build itself reports it (without interpreter start-up)
    segment_files: int = 0
    synthesised: int = 0
    cached: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    audio_seconds: dict[str, float] = field(default_factory=dict)
    memory: MemoryPeak | None = None


def run_build(root: Path, jobs: int, label: str, watch_memory: bool = False, extra: Sequence[str] = ()) -> BuildRun:
    """Run ``pipeline build`` (with ``extra`` arguments) on a corpus as an operator would;
    optionally sample its memory."""
    logs = root / "output" / "_logs"
    before = set(logs.glob("*.jsonl"))
    command = [sys.executable, "-m", "pipeline", "build", "--project", str(root), "--jobs", str(jobs), *extra]
    screen = root / f"benchmark-{label}.txt"
    with screen.open("w", encoding="utf-8") as lines:
        cpu, started = children_cpu_seconds(), time.perf_counter()
        process = subprocess.Popen(command, cwd=root, stdout=lines, stderr=subprocess.STDOUT)
        memory = sample_memory(process) if watch_memory else None
        exit_code = process.wait()
        seconds, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu
    written = sorted(set(logs.glob("*.jsonl")) - before)
    if exit_code != 0 or len(written) != 1:
        raise SystemExit(f"{label} build failed (exit {exit_code}); its output is in {screen}")
    run = read_build_log(written[0], BuildRun(seconds, exit_code, round(cpu, 1)))
    run.memory = memory
    return run


def children_cpu_seconds() -> float:
    """User + system CPU time of every finished child process (and the descendants they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_build_log(path: Path, run: BuildRun) -> BuildRun:
    """Fill ``run`` from the build's JSON-lines log: segment files made, parts synthesised, outcomes."""
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["event"] == "segment" and record["status"] == "made":
            run.segment_files += 1
            run.synthesised += record["synthesised"]
            run.cached += record["cached"]
        elif record["event"] == "finish":
            run.build_seconds = record["seconds"]
            for outcome in record["outcomes"]:
                run.statuses[outcome["status"]] = run.statuses.get(outcome["status"], 0) + 1
                lang = outcome["lang"]
                run.audio_seconds[lang] = round(run.audio_seconds.get(lang, 0.0) + outcome["audio_seconds"], 1)
    return run


def sample_memory(process: subprocess.Popen[bytes]) -> MemoryPeak:
    """Sample the RSS of ``process`` and all its descendants until it ends."""
    peak = MemoryPeak()
    with contextlib.suppress(psutil.NoSuchProcess):
        root = psutil.Process(process.pid)
        while process.poll() is None:
            record_sample(root, peak)
            time.sleep(SAMPLE_SECONDS)
    return peak


def record_sample(root: psutil.Process, peak: MemoryPeak) -> None:
    """One sample of the tree's memory, kept when it is a new peak."""
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    sizes = []
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            if process.pid != root.pid and forked_not_yet_started(process):
                continue
            memory = process.memory_full_info()
            sizes.append((memory.rss, memory.pss, role_of(process, root)))
    if not sizes:
        return
    peak.samples += 1
    peak.tree_bytes = max(peak.tree_bytes, sum(rss for rss, _, _ in sizes))
    peak.tree_pss_bytes = max(peak.tree_pss_bytes, sum(pss for _, pss, _ in sizes))
    for rss, _, role in sizes:
        peak.role_bytes[role] = max(peak.role_bytes.get(role, 0), rss)
        if rss > peak.process_bytes:
            peak.process_bytes, peak.process_role = rss, role


def forked_not_yet_started(process: psutil.Process) -> bool:
    """A child caught between fork and exec (a worker starting espeak-ng, say): it still runs
    its parent's command and reports the parent's memory, which it shares, as its own."""
    parent = process.parent()
    return parent is not None and process.cmdline() == parent.cmdline()


def role_of(process: psutil.Process, root: psutil.Process) -> str:
    """``main`` (the build command), ``worker`` (its pool's processes) or the program's name."""
    if process.pid == root.pid:
        return "main"
    name = process.name()
    return "worker" if name.startswith("python") else name


# --------------------------------------------------------------------------- the raw toolchain


@dataclass(frozen=True)
class RawJob:
    """One segment's text for ``espeak-ng -w`` then ``ffmpeg``."""

    text: str
    lang: str
    voice: str
    rate: int
    amplitude: int
    stem: Path  # the WAV and the MP3 are written beside each other


@dataclass
class RawRun:
    """The raw toolchain over every segment of the corpus."""

    seconds: float
    cpu_seconds: float
    segments: int
    speech_seconds: dict[str, float] = field(default_factory=dict)  # espeak-ng's WAVs, per language


def raw_jobs(root: Path, folder: Path) -> list[RawJob]:
    """Every segment's rendered, normalised text, routed to its language's host voice."""
    project = load_project(root)
    station = project.station
    rendered = render_all(project, list(project.episodes.values()), list(station.languages))
    jobs = []
    for (episode_id, lang), item in rendered.items():
        voice = station.voice(lang, "host")
        for segment in item.segments:
            text = " ".join(spoken_text(part) for part in segment.parts)
            stem = folder / f"{episode_id}-{lang}-{segment.number:02d}"
            jobs.append(RawJob(text, lang, voice.voice or lang, voice.rate, round(100 * voice.volume), stem))
    return jobs


def run_raw_job(job: RawJob) -> None:
    """``espeak-ng -w seg.wav`` then ``ffmpeg`` to a 32 kbps, 22 050 Hz mono MP3."""
    wav, mp3 = job.stem.with_suffix(".wav"), job.stem.with_suffix(".mp3")
    speak = ["espeak-ng", "-v", job.voice, "-s", str(job.rate), "-a", str(job.amplitude), "-w", str(wav), "--stdin"]
    subprocess.run(speak, input=job.text.encode("utf-8"), capture_output=True, check=True)
    encode = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(wav),
              "-ac", "1", "-ar", "22050", "-c:a", "libmp3lame", "-b:a", "32k", str(mp3)]  # fmt: skip
    subprocess.run(encode, capture_output=True, check=True)


def run_raw(jobs: list[RawJob], workers: int) -> RawRun:
    """Run every raw job, ``workers`` at a time, and time the whole."""
    jobs[0].stem.parent.mkdir(parents=True, exist_ok=True)
    cpu, started = children_cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run_raw_job, jobs))
    run = RawRun(time.perf_counter() - started, round(children_cpu_seconds() - cpu, 1), len(jobs))
    for job in jobs:
        with wave.open(str(job.stem.with_suffix(".wav"))) as audio:
            seconds = audio.getnframes() / audio.getframerate()
        run.speech_seconds[job.lang] = round(run.speech_seconds.get(job.lang, 0.0) + seconds, 1)
    return run


# --------------------------------------------------------------------------- the report


def machine() -> dict[str, str]:
    """The machine and tools the figures were measured with."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        models = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = models[0].split(":", 1)[1].strip() if models else cpu
    try:
        system = platform.freedesktop_os_release()["PRETTY_NAME"]
    except (OSError, KeyError):
        system = platform.system()
    return {
        "cpu": cpu,
        "cores": f"{psutil.cpu_count(logical=True)} logical, {psutil.cpu_count(logical=False)} physical",
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": f"{system} (Linux {platform.release()})" if platform.system() == "Linux" else system,
        "python": platform.python_version(),
        "espeak-ng": first_line(["espeak-ng", "--version"]),
        "ffmpeg": first_line(["ffmpeg", "-version"]),
        "load average at start (1, 5, 15 min)": load_average(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was with other work too."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def first_line(command: list[str]) -> str:
    """The first line a tool prints about itself."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return (result.stdout.splitlines() or ["?"])[0].strip()


def verdict(met: bool) -> str:
    """``yes`` or ``NO``."""
    return "yes" if met else "NO"


def figure_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, met) for the table."""
    cold, noop, change, raw, memory = (results[k] for k in ("cold", "no_op", "one_change", "raw", "memory"))
    ratio = cold["seconds"] / raw["seconds"]
    cpu_ratio = cold["cpu_seconds"] / raw["cpu_seconds"]
    percent = 100 * noop["seconds"] / cold["seconds"]
    tree_mb, process_mb = memory["tree_bytes"] / MB, memory["process_bytes"] / MB
    return [
        ("cold build", f"{cold['seconds']:.1f} s (CPU {cold['cpu_seconds']:.0f} s)", "", ""),
        ("  parts synthesised / from cache", f"{cold['synthesised']} / {cold['cached']}", "", ""),
        ("raw toolchain", f"{raw['seconds']:.1f} s (CPU {raw['cpu_seconds']:.0f} s)", "", ""),
        ("cold build / raw toolchain", f"{ratio:.2f}", f"≤ {RATIO_TARGET}", verdict(ratio <= RATIO_TARGET)),
        ("  the same in CPU time", f"{cpu_ratio:.2f}", "", ""),
        ("no-op rebuild", f"{noop['seconds']:.1f} s", "", ""),
        ("  as % of the cold build", f"{percent:.1f} %", f"≤ {NO_OP_TARGET_PERCENT:g} %",
         verdict(percent <= NO_OP_TARGET_PERCENT)),
        ("one-change rebuild", f"{change['seconds']:.1f} s", "", ""),
        ("  parts synthesised", str(change["synthesised"]), f"exactly {ONE_CHANGE_TARGET_PARTS}",
         verdict(change["synthesised"] == ONE_CHANGE_TARGET_PARTS)),
        ("  segment files made", str(change["segment_files"]), "", ""),
        (f"{results['minutes']:g}-min episode: peak RSS", f"{process_mb:.0f} MB ({memory['process_role']})",
         f"< {PEAK_RSS_TARGET_MB:g} MB", verdict(process_mb < PEAK_RSS_TARGET_MB)),
        ("  summed over the process tree", f"{tree_mb:.0f} MB", "", ""),
        ("  the same in PSS", f"{memory['tree_pss_bytes'] / MB:.0f} MB", "", ""),
    ]  # fmt: skip


def print_report(results: dict[str, Any]) -> None:
    """The figures, the targets and whether each was met; the corpus; the machine."""
    rows = [("figure", "measured", "target", "met"), *figure_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print()
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print()
    for name, value in corpus_lines(results):
        print(f"{name}: {value}")
    print()
    for name, value in results["machine"].items():
        print(f"{name}: {value}")


def corpus_lines(results: dict[str, Any]) -> list[tuple[str, str]]:
    """What was built and spoken, to check the corpus is the size it should be."""
    cold, raw, memory_build = results["cold"], results["raw"], results["memory_build"]
    long = f"{results['minutes']:g}-min episode"
    return [
        (
            "corpus",
            f"{results['episodes']} episodes × {len(cold['audio_seconds'])} languages, --jobs {results['jobs']}",
        ),
        ("cold build audio (min)", minutes_by_language(cold["audio_seconds"])),
        ("raw toolchain speech (min)", f"{minutes_by_language(raw['speech_seconds'])} in {raw['segments']} files"),
        (f"{long} audio (min)", minutes_by_language(memory_build["audio_seconds"])),
        (f"{long} cold build", f"{memory_build['seconds']:.1f} s (CPU {memory_build['cpu_seconds']:.0f} s)"),
        (
            f"{long} peak RSS by role (MB)",
            ", ".join(f"{role} {size / MB:.0f}" for role, size in results["memory"]["role_bytes"].items()),
        ),
        ("one change", f"{results['change']['episode']} {results['change']['context']}"),
    ]


def minutes_by_language(seconds: dict[str, float]) -> str:
    """``ko 61.2, en 58.9``."""
    return ", ".join(f"{lang} {value / 60:.1f}" for lang, value in seconds.items())


# --------------------------------------------------------------------------- the run


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--episodes", type=int, default=20, metavar="N", help="episodes in the corpus (default 20)")
    parser.add_argument(
        "--minutes",
        type=float,
        default=60.0,
        metavar="M",
        help="minutes of audio per language in the corpus and in the long episode (default 60)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes for the build and the raw toolchain (default: one per CPU)",
    )
    parser.add_argument("--seed", type=int, default=6, help="seed of the order stories are dealt in (default 6)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate the corpora in DIR and keep them")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)  # fmt: skip
    if args.episodes < 1 or args.jobs < 1 or args.minutes <= 0:
        parser.error("--episodes and --jobs must be at least 1, --minutes more than 0")
    return args


@contextlib.contextmanager
def work_folder(keep: Path | None) -> Iterator[Path]:
    """``keep`` when given (left in place), otherwise a temporary folder removed at the end."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="nightly-bench-") as folder:
        yield Path(folder)


def say(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def compile_bytecode() -> None:
    """Compile the package's bytecode, as installing it does: a checkout run with
    PYTHONDONTWRITEBYTECODE set would otherwise compile every module on each command."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "pipeline")], check=True)


def measure(base: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Generate the corpora, then run every build and the raw toolchain; the figures as plain data."""
    samples = read_samples(REPO)
    nightly = generate_corpus(base / "nightly", samples, args.episodes, args.minutes, args.seed)
    long = generate_corpus(base / "long", samples, 1, args.minutes, args.seed)
    say(f"corpora generated in {base}; rendering the raw toolchain's texts")
    raw = raw_jobs(nightly.root, nightly.root / "raw-toolchain")
    change = choose_change(nightly)
    shutil.rmtree(nightly.root / ".cache", ignore_errors=True)  # rendering compiled the catalogs
    compile_bytecode()
    say("cold build")
    cold = run_build(nightly.root, args.jobs, "cold")
    say(f"cold build: {cold.seconds:.1f} s; no-op rebuild")
    noop = run_build(nightly.root, args.jobs, "no-op")
    apply_change(nightly.root, change)
    say(f"no-op rebuild: {noop.seconds:.1f} s; one-change rebuild")
    one = run_build(nightly.root, args.jobs, "one-change")
    say(f"one-change rebuild: {one.seconds:.1f} s; raw toolchain on {len(raw)} segments")
    raw_run = run_raw(raw, args.jobs)
    say(f"raw toolchain: {raw_run.seconds:.1f} s; cold build of the long episode with memory sampling")
    memory_build = run_build(long.root, args.jobs, "long", watch_memory=True)
    assert memory_build.memory is not None
    return {
        "episodes": args.episodes,
        "minutes": args.minutes,
        "jobs": args.jobs,
        "seed": args.seed,
        "cold": asdict(cold),
        "no_op": asdict(noop),
        "one_change": asdict(one),
        "change": asdict(change),
        "raw": asdict(raw_run),
        "memory_build": asdict(memory_build),
        "memory": asdict(memory_build.memory),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, and write the JSON when asked."""
    args = parse_arguments(argv)
    host = machine()
    with work_folder(args.keep) as base:
        results = measure(base, args)
    results["machine"] = {**host, "load average at end (1, 5, 15 min)": load_average()}
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
