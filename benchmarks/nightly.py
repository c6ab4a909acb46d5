"""The nightly-build benchmark: ``.venv/bin/python benchmarks/nightly.py [--jobs N] [--only PART,...]``.

Entry point: :func:`main`. It compiles the package's bytecode (as installing
it does), then measures four parts, in a temporary folder (or ``--keep DIR``):

1. ``unique`` (the headline): text said once. A copy of the sample station
   (its episodes and catalogs; no story is told twice) is built cold with
   ``pipeline build`` and the raw toolchain is run on the same texts (each
   segment's rendered, normalised text through ``espeak-ng -w`` and
   ``ffmpeg`` to a 32 kbps MP3, ``--jobs`` segments at a time), in
   ``--repeats`` alternated pairs; medians of wall and CPU time (user +
   system of the whole process tree). Before each pair both sides' files are
   moved aside, not deleted (:func:`set_aside`), so each run writes every
   file new and none meets the last one's deletions. It prints the parts synthesised and
   taken from the cache (the station's ident and sign-off come back in every
   episode), and the speech cache's bytes per minute of audio.
2. ``repeated``: the sample stories with their real Korean translations,
   dealt in a seeded order into ``--episodes`` episodes of about ``--minutes``
   of audio per language, built cold, twice again with no change (the first
   no-op right after the cold build, which checks every file of the episodes
   whose files are under two seconds old; the second once every file has
   settled, as a rebuild the next night finds them: each episode is found
   unchanged in ``.cache/built.json``), and after one
   Korean translation of a one-sentence paragraph changed, then the raw
   toolchain once. The corpus says each story several times, so the cold
   build takes most parts from its cache: a second, labelled line.
3. ``memory``: the resident memory of the build's whole process tree, sampled
   every 50 ms, while it builds cold one Korean story segment of about
   ``--minutes`` and an episode of that length made of many segments.
4. ``catalogue``: a catalogue grown to each ``--catalogue`` size (the ident,
   the shortest sample story and the sign-off per episode; text repeats):
   the new episodes are built, then a no-op rebuild of the whole is timed
   three times and a dry run (planning only) once.

It prints the figures next to the targets, the command, and the machine they
were measured on. ``--json FILE`` keeps them. The raw toolchain reads each
segment with its language's host voice, as one text.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import os
import platform
import random
import resource
import shutil
import statistics
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

from pipeline.build.caches import entries, speech_density
from pipeline.build.filehashes import SETTLE_SECONDS
from pipeline.build.orchestrator import render_all
from pipeline.i18n.messages import EPISODE_TITLE_CONTEXT, segment_messages
from pipeline.i18n.pofile import PoEntry, PoFile, read_po_file, write_po_file
from pipeline.project.layout import EPISODES_DIR, TEMPLATES_DIR, TTS_CACHE, po_path
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

UNIQUE_RATIO_TARGET = 1.2  # cold build of text that never repeats / raw toolchain
CACHE_MB_PER_MINUTE_TARGET = 1.2
SEGMENT_RSS_TARGET_MB = 400.0  # one process, one segment of --minutes
CATALOGUE_NO_OP_TARGET_SECONDS = 5.0
RATIO_TARGET = 1.25  # the repeated-text corpus (an earlier round's target)
NO_OP_TARGET_PERCENT = 2.0
ONE_CHANGE_TARGET_PARTS = 1
PEAK_RSS_TARGET_MB = 300.0  # one process, an episode of --minutes in many segments
NO_OP_REPEATS = 3
SECTIONS = ("unique", "repeated", "memory", "catalogue")


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


# --------------------------------------------------------------------------- text that never repeats


@dataclass(frozen=True)
class PartCount:
    """Utterances a build asks for (text × language × voice role) and how many of them differ."""

    parts: int
    distinct: int


def copy_sample_station(folder: Path) -> Corpus:
    """The repository's own station, episodes and catalogs: stories each told once."""
    replace_corpus_folder(folder)
    for name in ("scripts_src", "locales"):
        shutil.copytree(REPO / name, folder / name)
    (folder / MARKER).write_text(json.dumps({"sample station": True}) + "\n", encoding="utf-8")
    return Corpus(folder)


def count_parts(root: Path) -> PartCount:
    """Every utterance a cold build of ``root`` synthesises or takes from its cache."""
    project = load_project(root)
    rendered = render_all(project, list(project.episodes.values()), list(project.station.languages))
    said = [
        (chunk.text, chunk.lang, part.role)
        for item in rendered.values()
        for segment in item.segments
        for part in segment.parts
        for sentence in part.sentences
        for chunk in sentence.chunks
    ]
    return PartCount(len(said), len(set(said)))


RAW_FOLDER = "raw-toolchain"


def set_aside(root: Path, into: Path) -> None:
    """Back to a cold start for both sides, deleting nothing: the build's ``.cache`` and
    ``output`` and the raw toolchain's folder are moved from ``root`` into ``into``, to be
    removed once every pair has run (:func:`measure_unique`).

    Deleting a cold build's few hundred files just before the next run made that run's own
    new files dearer on this project's volume (ext4 without a journal, where a new inode skips
    every one deleted in the last minute or more): three cold builds after deleting the last
    one's files took 5.48-5.82 s wall and 0.8-1.2 s of system time, three after moving them
    away 5.44-5.52 s and 0.7-0.8 s (2026-12-06). The raw toolchain wrote over its own files
    and paid nothing of the kind; now each side writes every file new, in a fresh folder."""
    into.mkdir(parents=True, exist_ok=True)
    for name in (".cache", "output", RAW_FOLDER):
        if (root / name).exists():
            (root / name).rename(into / name)


def measure_unique(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Cold builds of the sample station and the raw toolchain on its texts, alternated
    (``--repeats`` pairs, the order flipped every other pair); then the speech cache's size."""
    corpus = copy_sample_station(folder)
    parts = count_parts(corpus.root)
    raw = raw_jobs(corpus.root, corpus.root / RAW_FOLDER)
    earlier_runs = folder.with_name(f"{folder.name}-earlier-runs")
    shutil.rmtree(earlier_runs, ignore_errors=True)
    colds: list[BuildRun] = []
    raws: list[RawRun] = []
    for repeat in range(args.repeats):
        set_aside(corpus.root, earlier_runs / f"before-pair-{repeat + 1}")
        order = ("build", "raw") if repeat % 2 == 0 else ("raw", "build")
        for step in order:
            if step == "build":
                colds.append(run_build(corpus.root, args.jobs, f"unique-cold-{repeat + 1}"))
            else:
                raws.append(run_raw(raw, args.jobs))
        say(f"unique text, pair {repeat + 1}: cold build {colds[-1].seconds:.1f} s, raw {raws[-1].seconds:.1f} s")
    density = speech_density(entries(corpus.root))
    tts_bytes = sum(entry.size for entry in entries(corpus.root) if entry.kind == TTS_CACHE)
    results: dict[str, Any] = {
        "parts": asdict(parts),
        "cold": [asdict(run) for run in colds],
        "raw": [asdict(run) for run in raws],
        "cache_bytes": tts_bytes,
        "cache_speech_minutes": round(density.minutes, 2),
        "cache_bytes_per_speech_minute": round(density.bytes_per_minute),
        "built_audio_minutes": round(sum(colds[-1].audio_seconds.values()) / 60, 2),
    }
    shutil.rmtree(earlier_runs, ignore_errors=True)
    return results


# --------------------------------------------------------------------------- one long segment


def long_segment_story(samples: Samples, minutes: float) -> Story:
    """One explainer of about ``minutes`` per language: the sample stories' paragraphs, in turn
    (its messages are left for :func:`generate_long_segment`, which knows their contexts)."""
    first = samples.stories[0]
    paragraphs: list[str] = []
    seconds = 0.0
    for story in itertools.cycle(samples.stories):
        if seconds >= minutes * 60:
            break
        for context, english, hangul in story.messages:
            if context.split(".")[0] == "paragraphs":
                paragraphs.append(english)
                seconds += story_seconds([(context, english, hangul)])
    return Story("explainer", {"title": first.fields["title"], "paragraphs": paragraphs}, [], seconds)


def generate_long_segment(folder: Path, samples: Samples, minutes: float) -> Corpus:
    """A project of one episode whose story is a single segment of about ``minutes``; its Korean
    catalog gives every message of that segment, under the contexts the project gives them."""
    replace_corpus_folder(folder)
    copy_station(folder)
    korean_of = {english: hangul for story in samples.stories for _, english, hangul in story.messages}
    untranslated = long_segment_story(samples, minutes)
    write_episode(folder, "long-segment", samples.titles[0][0], FIRST_DATE, [untranslated])
    project = load_project(folder)
    episode = project.episodes["long-segment"]
    segment = next(item for item in episode.segments if item.id == segment_id(1))
    messages = [
        (message.context.removeprefix(f"{segment.id}."), message.text, korean_of[message.text])
        for message in segment_messages(episode.id, segment, project.templates[segment.template])
    ]
    story = dataclasses.replace(untranslated, messages=messages)
    write_catalog(folder, "long-segment", samples.titles[0], [story])
    (folder / MARKER).write_text(json.dumps({"long segment minutes": minutes}) + "\n", encoding="utf-8")
    return Corpus(folder, {"long-segment": [story]})


# --------------------------------------------------------------------------- the catalogue


def add_catalogue_episodes(folder: Path, samples: Samples, first: int, last: int) -> None:
    """Episodes ``first``..``last`` of the catalogue: the ident, the shortest sample story, the sign-off."""
    story = min(samples.stories, key=lambda item: item.seconds)
    for index in range(first, last + 1):
        episode_id = f"cat-{index:04d}"
        title = samples.titles[(index - 1) % len(samples.titles)]
        write_episode(folder, episode_id, title[0], FIRST_DATE + dt.timedelta(days=index - 1), [story])
        write_catalog(folder, episode_id, title, [story])


def measure_catalogue(folder: Path, samples: Samples, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Grow a catalogue to each of ``--catalogue`` sizes: build the new episodes, then time a no-op
    rebuild of the whole (the median of three) and a dry run, which only plans."""
    replace_corpus_folder(folder)
    copy_station(folder)
    (folder / MARKER).write_text(json.dumps({"catalogue": args.catalogue}) + "\n", encoding="utf-8")
    rows = []
    built = 0
    for size in args.catalogue:
        add_catalogue_episodes(folder, samples, built + 1, size)
        cold = run_build(folder, args.jobs, f"catalogue-{size}-new")
        built = size
        noops = [run_build(folder, args.jobs, f"catalogue-{size}-no-op") for _ in range(NO_OP_REPEATS)]
        plan = run_build(folder, args.jobs, f"catalogue-{size}-dry-run", extra=("--dry-run",))
        median_noop = sorted(noops, key=lambda run: run.seconds)[len(noops) // 2]
        say(f"catalogue of {size}: new episodes {cold.seconds:.1f} s, no-op {median_noop.seconds:.2f} s")
        rows.append(
            {
                "episodes": size,
                "new_episodes_build": asdict(cold),
                "no_op": asdict(median_noop),
                "no_op_seconds": [round(run.seconds, 2) for run in noops],
                "no_op_made": sum(run.segment_files for run in noops),
                "dry_run": asdict(plan),
            }
        )
    return rows


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
    if exit_code == 0 and "--dry-run" in extra:  # a dry run writes no log
        return BuildRun(seconds, exit_code, round(cpu, 1))
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


Row = tuple[str, str, str, str]  # figure, measured, target, met


def figure_rows(results: dict[str, Any]) -> list[Row]:
    """(figure, measured, target, met) for the table: each measured section's rows."""
    rows: list[Row] = []
    for name, rows_of in (("unique", unique_rows), ("repeated", repeated_rows), ("memory", memory_rows),
                          ("catalogue", catalogue_rows)):  # fmt: skip
        if name in results:
            rows += rows_of(results)
    return rows


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one figure over repeated runs."""
    return statistics.median(run[key] for run in runs)


# A run whose CPU time is this much over the median of its side's runs did the same work on a
# slower machine (shared hosts slow down by a third for minutes at a time: 14.8 s of CPU for a
# build that took 11.0-11.2 s in the same benchmark); the report names such pairs.
SLOWED_CPU_SHARE = 0.15


def slowed_pairs(colds: list[dict[str, Any]], raws: list[dict[str, Any]]) -> list[int]:
    """The pairs (numbered from 1) in which the build or the raw toolchain took more than
    SLOWED_CPU_SHARE more CPU time than the median of its own runs."""
    limits = [(1 + SLOWED_CPU_SHARE) * median_of(runs, "cpu_seconds") for runs in (colds, raws)]
    return [
        number
        for number, (cold, raw) in enumerate(zip(colds, raws, strict=True), start=1)
        if cold["cpu_seconds"] > limits[0] or raw["cpu_seconds"] > limits[1]
    ]


def unique_rows(results: dict[str, Any]) -> list[Row]:
    """The headline: text said once, cold build against the raw toolchain, medians of the pairs."""
    unique = results["unique"]
    colds, raws = unique["cold"], unique["raw"]
    wall, cpu = median_of(colds, "seconds"), median_of(colds, "cpu_seconds")
    raw_wall, raw_cpu = median_of(raws, "seconds"), median_of(raws, "cpu_seconds")
    ratio, cpu_ratio = wall / raw_wall, cpu / raw_cpu
    pair_ratios = [c["seconds"] / r["seconds"] for c, r in zip(colds, raws, strict=True)]
    synthesised, cached = colds[-1]["synthesised"], colds[-1]["cached"]
    share = 100 * cached / max(1, synthesised + cached)
    parts = unique["parts"]
    per_minute = unique["cache_bytes_per_speech_minute"] / MB
    per_built_minute = unique["cache_bytes"] / MB / max(unique["built_audio_minutes"], 1e-9)
    return [
        (f"TEXT SAID ONCE (the sample station), medians of {len(colds)} alternated pairs", "", "", ""),
        ("  cold build", f"{wall:.1f} s (CPU {cpu:.1f} s)", "", ""),
        ("  raw toolchain", f"{raw_wall:.1f} s (CPU {raw_cpu:.1f} s)", "", ""),
        ("  cold build / raw toolchain", f"{ratio:.3f}", f"≤ {UNIQUE_RATIO_TARGET}", ""),
        ("    the same in CPU time", f"{cpu_ratio:.3f}", f"≤ {UNIQUE_RATIO_TARGET}", ""),
        # A busy machine makes the raw toolchain's many short processes wait as long as the build,
        # which flatters the wall ratio: the target counts as met only when both ratios meet it.
        ("    both within the target", "", "", verdict(max(ratio, cpu_ratio) <= UNIQUE_RATIO_TARGET)),
        ("    range over the pairs (wall)", f"{min(pair_ratios):.2f}-{max(pair_ratios):.2f}", "", ""),
        ("    pairs on a slowed machine (CPU 15 % over its median)", slowed_text(colds, raws), "", ""),
        ("  parts synthesised / from cache", f"{synthesised} / {cached} ({share:.1f} % from cache)", "", ""),
        ("  distinct parts / parts", f"{parts['distinct']} / {parts['parts']}", "", ""),
        # The measure: the cache's bytes over the minutes of audio the build made (63 MB
        # of plain WAV for 29 minutes, 2.2 MB a minute, when it was written). Per minute of the
        # speech the cache holds (pauses are not cached) is the stricter figure, shown beneath.
        ("  speech cache per minute of built audio", f"{per_built_minute:.3f} MB", f"≤ {CACHE_MB_PER_MINUTE_TARGET}",
         verdict(per_built_minute <= CACHE_MB_PER_MINUTE_TARGET)),
        ("    per minute of the speech it holds", f"{per_minute:.3f} MB", "", ""),
    ]  # fmt: skip


def slowed_text(colds: list[dict[str, Any]], raws: list[dict[str, Any]]) -> str:
    """``none``, or the slowed pairs with their CPU times (build / raw toolchain)."""
    slowed = slowed_pairs(colds, raws)
    if not slowed:
        return "none"
    return ", ".join(f"{n} ({colds[n - 1]['cpu_seconds']:.1f} / {raws[n - 1]['cpu_seconds']:.1f} s)" for n in slowed)


def repeated_rows(results: dict[str, Any]) -> list[Row]:
    """The dealt corpus, which repeats the sample stories: ratio, no-op and one-change rebuilds."""
    cold, noop, change, raw = (results[k] for k in ("cold", "no_op", "one_change", "raw"))
    ratio = cold["seconds"] / raw["seconds"]
    cpu_ratio = cold["cpu_seconds"] / raw["cpu_seconds"]
    percent = 100 * noop["seconds"] / cold["seconds"]
    again = results["no_op_again"]
    percent_again = 100 * again["seconds"] / cold["seconds"]
    return [
        (f"REPEATED TEXT ({results['episodes']} episodes dealt from the sample stories), one run", "", "", ""),
        ("  cold build", f"{cold['seconds']:.1f} s (CPU {cold['cpu_seconds']:.0f} s)", "", ""),
        ("  parts synthesised / from cache", f"{cold['synthesised']} / {cold['cached']}", "", ""),
        ("  raw toolchain", f"{raw['seconds']:.1f} s (CPU {raw['cpu_seconds']:.0f} s)", "", ""),
        ("  cold build / raw toolchain", f"{ratio:.2f}", f"≤ {RATIO_TARGET}", verdict(ratio <= RATIO_TARGET)),
        ("    the same in CPU time", f"{cpu_ratio:.2f}", "", ""),
        ("  no-op rebuild", f"{noop['seconds']:.1f} s", "", ""),
        ("    as % of the cold build", f"{percent:.1f} %", f"≤ {NO_OP_TARGET_PERCENT:g} %",
         verdict(percent <= NO_OP_TARGET_PERCENT)),
        ("  no-op rebuild again, files settled (each episode in the memo)", f"{again['seconds']:.1f} s", "", ""),
        ("    as % of the cold build", f"{percent_again:.1f} %", f"≤ {NO_OP_TARGET_PERCENT:g} %",
         verdict(percent_again <= NO_OP_TARGET_PERCENT)),
        ("  one-change rebuild", f"{change['seconds']:.1f} s", "", ""),
        ("    parts synthesised", str(change["synthesised"]), f"exactly {ONE_CHANGE_TARGET_PARTS}",
         verdict(change["synthesised"] == ONE_CHANGE_TARGET_PARTS)),
        ("    segment files made", str(change["segment_files"]), "", ""),
    ]  # fmt: skip


def memory_rows(results: dict[str, Any]) -> list[Row]:
    """Peak resident memory: one long segment, and a long episode of many segments."""
    rows: list[Row] = [("MEMORY (peak RSS of the largest process)", "", "", "")]
    segment, episode = results["segment_memory"], results["memory"]
    segment_minutes = sum(results["segment_build"]["audio_seconds"].values()) / 60
    segment_mb = segment["process_bytes"] / MB
    rows.append((f"  a {segment_minutes:.0f}-min episode of one story segment (ko)",
                 f"{segment_mb:.0f} MB ({segment['process_role']})",
                 f"< {SEGMENT_RSS_TARGET_MB:g} MB", verdict(segment_mb < SEGMENT_RSS_TARGET_MB)))  # fmt: skip
    process_mb = episode["process_bytes"] / MB
    rows += [
        (f"  {results['minutes']:g}-min episode in segments", f"{process_mb:.0f} MB ({episode['process_role']})",
         f"< {PEAK_RSS_TARGET_MB:g} MB", verdict(process_mb < PEAK_RSS_TARGET_MB)),
        ("    summed over the process tree", f"{episode['tree_bytes'] / MB:.0f} MB", "", ""),
        ("    the same in PSS", f"{episode['tree_pss_bytes'] / MB:.0f} MB", "", ""),
    ]  # fmt: skip
    return rows


def catalogue_rows(results: dict[str, Any]) -> list[Row]:
    """No-op rebuilds and dry runs of a growing catalogue, with the time per episode."""
    rows: list[Row] = [("CATALOGUE (repeated text), no-op median of 3; dry run plans only", "", "", "")]
    for row in results["catalogue"]:
        episodes, noop, plan = row["episodes"], row["no_op"], row["dry_run"]
        per_episode = 1000 * noop["seconds"] / episodes
        met = noop["seconds"] < CATALOGUE_NO_OP_TARGET_SECONDS and row["no_op_made"] == 0
        rows += [
            (f"  {episodes} episodes: no-op rebuild",
             f"{noop['seconds']:.2f} s (CPU {noop['cpu_seconds']:.1f} s; {per_episode:.1f} ms per episode; "
             f"{row['no_op_made']} files made)",
             f"< {CATALOGUE_NO_OP_TARGET_SECONDS:g} s", verdict(met)),
            ("    dry run", f"{plan['seconds']:.2f} s ({1000 * plan['seconds'] / episodes:.1f} ms per episode)",
             "", ""),
        ]  # fmt: skip
    return rows


def print_report(results: dict[str, Any]) -> None:
    """The figures, the targets and whether each was met; the corpora; the machine."""
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
    """What was built and spoken, to check each corpus is the size it should be."""
    lines = [("command", results["command"]), ("jobs", str(results["jobs"]))]
    if "unique" in results:
        unique = results["unique"]
        cold = unique["cold"][-1]
        lines += [
            ("text said once: built audio (min)", minutes_by_language(cold["audio_seconds"])),
            ("text said once: raw toolchain speech (min)",
             f"{minutes_by_language(unique['raw'][-1]['speech_seconds'])} in {unique['raw'][-1]['segments']} files"),
            ("text said once: cold builds (s)", ", ".join(f"{run['seconds']:.1f}" for run in unique["cold"])),
            ("text said once: raw toolchain (s)", ", ".join(f"{run['seconds']:.1f}" for run in unique["raw"])),
            ("text said once: speech cache", f"{unique['cache_bytes'] / MB:.1f} MB for "
             f"{unique['cache_speech_minutes']:.1f} min of speech"),
        ]  # fmt: skip
    if "repeated" in results:
        cold, raw = results["cold"], results["raw"]
        lines += [
            ("repeated text: cold build audio (min)", minutes_by_language(cold["audio_seconds"])),
            ("repeated text: raw toolchain speech (min)",
             f"{minutes_by_language(raw['speech_seconds'])} in {raw['segments']} files"),
            ("repeated text: one change", f"{results['change']['episode']} {results['change']['context']}"),
        ]  # fmt: skip
    if "memory" in results:
        segment, episode = results["segment_build"], results["memory_build"]
        lines += [
            ("long segment: audio (min)", minutes_by_language(segment["audio_seconds"])),
            ("long segment: cold build", f"{segment['seconds']:.1f} s (CPU {segment['cpu_seconds']:.0f} s)"),
            ("long segment: peak RSS by role (MB)", by_role(results["segment_memory"])),
            ("long episode: audio (min)", minutes_by_language(episode["audio_seconds"])),
            ("long episode: cold build", f"{episode['seconds']:.1f} s (CPU {episode['cpu_seconds']:.0f} s)"),
            ("long episode: peak RSS by role (MB)", by_role(results["memory"])),
        ]
    for row in results.get("catalogue", []):
        new = row["new_episodes_build"]
        lines.append((f"catalogue to {row['episodes']}: building the new episodes",
                      f"{new['seconds']:.1f} s, {new['segment_files']} segment files; no-op runs (s) "
                      + ", ".join(f"{value:.2f}" for value in row["no_op_seconds"])))  # fmt: skip
    return lines


def by_role(memory: dict[str, Any]) -> str:
    """``main 107, worker 205``."""
    return ", ".join(f"{role} {size / MB:.0f}" for role, size in memory["role_bytes"].items())


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
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        metavar="N",
        help="alternated pairs of cold build and raw toolchain on the text said once (default 5)",
    )
    parser.add_argument(
        "--catalogue",
        type=_sizes,
        default=[100, 300, 1000],
        metavar="N,N,...",
        help="catalogue sizes, in episodes, for the no-op rebuild and planning (default 100,300,1000)",
    )
    parser.add_argument(
        "--only",
        type=_sections,
        default=list(SECTIONS),
        metavar="PART,...",
        help=f"measure only these parts: {', '.join(SECTIONS)} (default all)",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate the corpora in DIR and keep them")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)  # fmt: skip
    if args.episodes < 1 or args.jobs < 1 or args.repeats < 1 or args.minutes <= 0:
        parser.error("--episodes, --jobs and --repeats must be at least 1, --minutes more than 0")
    return args


def _sizes(text: str) -> list[int]:
    """``100,300,1000`` → ascending sizes of at least 1."""
    try:
        sizes = sorted({int(item) for item in text.split(",")})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: write episode counts separated by commas") from exc
    if sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a catalogue has at least 1 episode")
    return sizes


def _sections(text: str) -> list[str]:
    """``unique,memory`` → the named parts of the benchmark."""
    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: choose from {', '.join(SECTIONS)}")
    return names


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
    compile_bytecode()
    results: dict[str, Any] = {"episodes": args.episodes, "minutes": args.minutes, "jobs": args.jobs, "seed": args.seed}
    if "unique" in args.only:
        say("text said once: the sample station, cold builds and the raw toolchain in turn")
        results["unique"] = measure_unique(base / "unique", args)
    if "repeated" in args.only:
        results.update(measure_repeated(base, samples, args))
    if "memory" in args.only:
        results.update(measure_memory(base, samples, args))
    if "catalogue" in args.only:
        results["catalogue"] = measure_catalogue(base / "catalogue", samples, args)
    return results


def measure_repeated(base: Path, samples: Samples, args: argparse.Namespace) -> dict[str, Any]:
    """The dealt corpus: cold, no-op and one-change builds, then the raw toolchain."""
    nightly = generate_corpus(base / "nightly", samples, args.episodes, args.minutes, args.seed)
    say(f"repeated text: corpus generated in {nightly.root}; rendering the raw toolchain's texts")
    raw = raw_jobs(nightly.root, nightly.root / "raw-toolchain")
    change = choose_change(nightly)
    shutil.rmtree(nightly.root / ".cache", ignore_errors=True)  # rendering compiled the catalogs
    say("repeated text: cold build")
    cold = run_build(nightly.root, args.jobs, "cold")
    cold_ended = time.monotonic()
    say(f"cold build: {cold.seconds:.1f} s; no-op rebuild")
    noop = run_build(nightly.root, args.jobs, "no-op")
    say(f"no-op rebuild: {noop.seconds:.1f} s; another once the cold build's files have settled")
    time.sleep(max(0.0, SETTLE_SECONDS - (time.monotonic() - cold_ended)))
    noop_again = run_build(nightly.root, args.jobs, "no-op-again")
    apply_change(nightly.root, change)
    say(f"no-op rebuild again: {noop_again.seconds:.1f} s; one-change rebuild")
    one = run_build(nightly.root, args.jobs, "one-change")
    say(f"one-change rebuild: {one.seconds:.1f} s; raw toolchain on {len(raw)} segments")
    raw_run = run_raw(raw, args.jobs)
    say(f"raw toolchain: {raw_run.seconds:.1f} s")
    return {
        "repeated": True,
        "cold": asdict(cold),
        "no_op": asdict(noop),
        "no_op_again": asdict(noop_again),
        "one_change": asdict(one),
        "change": asdict(change),
        "raw": asdict(raw_run),
    }


def measure_memory(base: Path, samples: Samples, args: argparse.Namespace) -> dict[str, Any]:
    """Cold builds, memory sampled: one Korean segment of ``--minutes``; an episode of that length."""
    segment = generate_long_segment(base / "long-segment", samples, args.minutes)
    say(f"memory: one segment of about {args.minutes:g} minutes (Korean), cold, memory sampled")
    segment_build = run_build(
        segment.root, args.jobs, "long-segment", watch_memory=True, extra=("--lang", "ko", "--job-timeout", "7200")
    )
    long = generate_corpus(base / "long", samples, 1, args.minutes, args.seed)
    say(f"memory: one segment {segment_build.seconds:.1f} s; an episode of {args.minutes:g} minutes in segments")
    memory_build = run_build(long.root, args.jobs, "long", watch_memory=True)
    assert memory_build.memory is not None and segment_build.memory is not None
    return {
        "segment_build": asdict(segment_build),
        "segment_memory": asdict(segment_build.memory),
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
    results["command"] = " ".join(["benchmarks/nightly.py", *(sys.argv[1:] if argv is None else argv)])
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
