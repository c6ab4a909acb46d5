"""The build: episode scripts and catalogs in; levelled, tagged audio and its companions out.

Entry point: :func:`build`. It reads like the table of contents of the
pipeline: choose the targets, render every episode in every language (all
catalogs and scripts are checked before any audio is made), resolve the
voices, then make each episode × language × profile. One target's failure
does not stop the others; the :class:`BuildReport` says what happened to
each.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mutagen.mp3 import MP3

from . import __version__
from .audio import Cue, Loudness, Silence, Speech, configure_pydub, join_pieces, level_and_encode
from .config import Pauses, Profile, Station
from .errors import PipelineError, UsageError, VoiceError
from .fsutil import atomic_write_bytes, remove_partials
from .i18n.catalogs import Translator
from .output import (
    Manifest,
    Tags,
    episode_file_name,
    input_hash,
    segment_file_name,
    strip_id3v2,
    tag_mp3,
    target_folder,
    write_playlist,
    write_transcript,
)
from .render import LocalisedEpisode, MissingTranslation, RenderedSegment, render_episode
from .script import Episode, Project
from .speech import load_lexicon
from .tts import Voice, close_backends, get_backend, resolve_voice
from .tts.cache import SpeechCache, SynthesisCounter, synthesise_cached

OUTPUT_SCHEMA = 1
TTS_CACHE_DIR = Path(".cache/tts")


@dataclass(frozen=True)
class BuildRequest:
    """What to build and where."""

    episodes: tuple[str, ...] = ()  # ids; empty means every episode of the project
    languages: tuple[str, ...] = ()  # empty means every station language
    profiles: tuple[str, ...] = ()  # empty means the station's default profile
    out: Path = Path("output")
    allow_incomplete: bool = False


@dataclass
class TargetOutcome:
    """What happened to one episode × language × profile."""

    episode: str
    lang: str
    profile: str
    status: str  # "built", "unchanged", "incomplete" or "failed"
    folder: Path | None = None
    audio_seconds: float = 0.0
    segments: int = 0
    files_written: int = 0
    synthesised: int = 0
    cached: int = 0
    missing: list[MissingTranslation] = field(default_factory=list)
    error: str | None = None


@dataclass
class BuildReport:
    """Every target's outcome."""

    outcomes: list[TargetOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when everything asked for was built, 1 otherwise."""
        return 0 if all(o.status in ("built", "unchanged") for o in self.outcomes) else 1


ProgressCallback = Callable[[str], None]


def build(
    project: Project, request: BuildRequest, progress: ProgressCallback | None = None
) -> BuildReport:
    """Build the requested episodes, languages and profiles of ``project``."""
    say = progress or (lambda message: None)
    episodes = select_episodes(project, request.episodes)
    languages = select_languages(project.station, request.languages)
    profiles = select_profiles(project.station, request.profiles)
    configure_pydub()
    localised = render_all(project, episodes, languages)
    voices, voice_errors = resolve_voices(project.station, localised.values())
    cache = SpeechCache(project.root / TTS_CACHE_DIR)
    report = BuildReport()
    try:
        for episode in episodes:
            for lang in languages:
                for profile in profiles:
                    say(f"{episode.id} [{lang}, {profile.name}]")
                    outcome = build_target(
                        project,
                        localised[(episode.id, lang)],
                        profile,
                        voices,
                        voice_errors,
                        cache,
                        request,
                    )
                    report.outcomes.append(outcome)
    finally:
        close_backends()
    return report


def select_episodes(project: Project, wanted: Iterable[str]) -> list[Episode]:
    """The episodes named (all when none are), in the order given."""
    wanted = list(wanted)
    if not wanted:
        return list(project.episodes.values())
    unknown = [name for name in wanted if name not in project.episodes]
    if unknown:
        known = ", ".join(project.episodes) or "none"
        raise UsageError(f"unknown episode {', '.join(unknown)} (known: {known})")
    return [project.episodes[name] for name in dict.fromkeys(wanted)]


def select_languages(station: Station, wanted: Iterable[str]) -> list[str]:
    """The station languages named (all when none are)."""
    wanted = list(wanted)
    unknown = [lang for lang in wanted if lang not in station.languages]
    if unknown:
        known = ", ".join(station.languages)
        raise UsageError(f"unknown language {', '.join(unknown)} (station languages: {known})")
    return list(dict.fromkeys(wanted)) or list(station.languages)


def select_profiles(station: Station, wanted: Iterable[str]) -> list[Profile]:
    """The output profiles named (the station default when none are)."""
    names = list(dict.fromkeys(wanted)) or [station.default_profile]
    unknown = [name for name in names if name not in station.profiles]
    if unknown:
        raise UsageError(
            f"unknown profile {', '.join(unknown)} (profiles: {', '.join(station.profiles)})"
        )
    return [station.profiles[name] for name in names]


def render_all(
    project: Project, episodes: list[Episode], languages: list[str]
) -> dict[tuple[str, str], LocalisedEpisode]:
    """Every episode in every language, rendered before any audio is made."""
    rendered = {}
    for lang in languages:
        translator = Translator(project.root, lang, project.station.source_language)
        lexicon = load_lexicon(project.root, lang)
        for episode in episodes:
            rendered[(episode.id, lang)] = render_episode(
                project, episode, lang, translator, lexicon
            )
    return rendered


def resolve_voices(
    station: Station, localised: Iterable[LocalisedEpisode]
) -> tuple[dict[tuple[str, str], Voice], dict[str, str]]:
    """Installed voices for every (language, role) the rendered text needs; errors per language."""
    needed: set[tuple[str, str]] = set()
    for item in localised:
        for segment in item.segments:
            for part in segment.parts:
                needed.update((chunk.lang, part.role) for s in part.sentences for chunk in s.chunks)
    voices: dict[tuple[str, str], Voice] = {}
    errors: dict[str, str] = {}
    for lang, role in sorted(needed):
        if lang not in station.voices or role not in station.voices[lang]:
            errors.setdefault(lang, f"{station.path}: voices.{lang}.{role}: no voice configured")
            continue
        spec = station.voice(lang, role)
        try:
            voices[(lang, role)] = resolve_voice(spec, lang, role, get_backend(spec.backend))
        except PipelineError as error:
            errors.setdefault(lang, str(error))
    return voices, errors


def build_target(
    project: Project,
    localised: LocalisedEpisode,
    profile: Profile,
    voices: dict[tuple[str, str], Voice],
    voice_errors: dict[str, str],
    cache: SpeechCache,
    request: BuildRequest,
) -> TargetOutcome:
    """Make one episode in one language and profile; failures are recorded, not raised."""
    episode, lang = localised.episode, localised.lang
    outcome = TargetOutcome(episode.id, lang, profile.name, "built")
    outcome.missing = localised.missing()
    if not localised.can_build or (outcome.missing and not request.allow_incomplete):
        outcome.status = "incomplete"
        return outcome
    needed_langs = {
        c.lang for s in localised.segments for p in s.parts for t in p.sentences for c in t.chunks
    }
    blocked = [voice_errors[code] for code in sorted(needed_langs) if code in voice_errors]
    if blocked:
        outcome.status, outcome.error = "failed", blocked[0]
        return outcome
    folder = target_folder(request.out, episode.id, lang, profile.name, project.station)
    outcome.folder = folder
    try:
        _make_target(project, localised, profile, voices, cache, folder, outcome)
    except PipelineError as error:
        outcome.status, outcome.error = "failed", str(error)
    return outcome


@dataclass(frozen=True)
class SegmentJob:
    """Everything needed to make one segment file, in a form a worker process can receive."""

    segment: RenderedSegment
    voices: dict[tuple[str, str], Voice]
    profile: Profile
    pauses: Pauses
    destination: Path
    tags: Tags
    cache_folder: Path


@dataclass(frozen=True)
class SegmentMade:
    """The result of making one segment file."""

    duration: float
    cues: tuple[Cue, ...]
    loudness: Loudness
    synthesised: int
    cached: int


def _make_target(
    project: Project,
    localised: LocalisedEpisode,
    profile: Profile,
    voices: dict[tuple[str, str], Voice],
    cache: SpeechCache,
    folder: Path,
    outcome: TargetOutcome,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    remove_partials(folder)
    manifest = Manifest.load(folder)
    station = project.station
    album, artist = localised.title or "", localised.station_name or ""
    total = len(localised.segments)
    produced: list[tuple[str, RenderedSegment]] = []
    for track, segment in enumerate(localised.segments, 1):
        name = segment_file_name(segment.number, segment.id, profile)
        tags = Tags(segment.title, artist, album, track, total, localised.lang)
        job = SegmentJob(
            segment, _voices_for(segment, voices), profile, station.pauses, folder / name, tags,
            project.root / TTS_CACHE_DIR,
        )  # fmt: skip
        wanted_hash = segment_input_hash(job)
        if not manifest.is_current(name, wanted_hash):
            made = make_segment(job)
            outcome.synthesised += made.synthesised
            outcome.cached += made.cached
            outcome.files_written += 1
            manifest.record(
                name,
                kind="segment",
                segment=segment.id,
                title=segment.title,
                duration=round(made.duration, 3),
                loudness_lufs=made.loudness.integrated,
                true_peak_dbtp=made.loudness.true_peak,
                voices=sorted({voice.describe() for voice in job.voices.values()}),
                input_hash=wanted_hash,
                cues=[[cue.start, cue.end, cue.text] for cue in made.cues],
            )
        produced.append((name, segment))
    _make_episode_file(localised, profile, folder, manifest, produced, artist, outcome)
    _write_companions(localised, folder, manifest, produced)
    manifest.header = {
        "episode": localised.episode.id,
        "language": localised.lang,
        "title": album,
        "profile": dataclasses.asdict(profile) | {"filters": [f.kind for f in profile.filters]},
    }
    keep = {name for name, _ in produced} | {episode_file_name(localised.episode.id, profile)}
    keep |= {"transcript.txt", "playlist.m3u8"}
    manifest.keep_only(keep)
    manifest.save()
    outcome.segments = len(produced)
    outcome.audio_seconds = sum(manifest.files[name]["duration"] for name, _ in produced)
    if outcome.files_written == 0:
        outcome.status = "unchanged"


def _voices_for(
    segment: RenderedSegment, voices: dict[tuple[str, str], Voice]
) -> dict[tuple[str, str], Voice]:
    needed = {(c.lang, p.role) for p in segment.parts for s in p.sentences for c in s.chunks}
    missing = needed - set(voices)
    if missing:
        lang, role = sorted(missing)[0]
        raise VoiceError(f"no voice resolved for {lang}/{role}")
    return {key: voices[key] for key in sorted(needed)}


def segment_input_hash(job: SegmentJob) -> str:
    """Hash of everything that determines a segment file's bytes."""
    engines = {
        voice.describe(): get_backend(voice.backend).version(voice.lang)
        for voice in job.voices.values()
    }
    return input_hash(
        {
            "schema": OUTPUT_SCHEMA,
            "pipeline": __version__,
            "profile": dataclasses.asdict(job.profile),
            "pauses": dataclasses.asdict(job.pauses),
            "voices": {
                f"{lang}/{role}": dataclasses.asdict(v) for (lang, role), v in job.voices.items()
            },
            "engines": engines,
            "parts": [
                [
                    part.role,
                    part.pause_before,
                    part.pause_after,
                    [
                        [sentence.written, [[c.text, c.lang] for c in sentence.chunks]]
                        for sentence in part.sentences
                    ],
                ]
                for part in job.segment.parts
            ],
            "tags": dataclasses.asdict(job.tags),
        }
    )


def make_segment(job: SegmentJob) -> SegmentMade:
    """Synthesise (through the cache), join, level, encode and tag one segment file."""
    counter = SynthesisCounter()
    cache = SpeechCache(job.cache_folder)

    def speak(text: str, voice: Voice) -> Path:
        return synthesise_cached(text, voice, cache, counter)

    timeline = join_pieces(segment_pieces(job.segment, job.voices, job.pauses, speak))
    with tempfile.TemporaryDirectory(prefix="pipeline-") as scratch:
        encoded = Path(scratch) / job.destination.name
        loudness = level_and_encode(timeline, job.profile, encoded)
        data = encoded.read_bytes()
    if job.profile.codec == "mp3":
        data = tag_mp3(data, job.tags)
    atomic_write_bytes(job.destination, data)
    return SegmentMade(
        file_duration(job.destination, job.profile),
        timeline.cues,
        loudness,
        counter.synthesised,
        counter.cached,
    )


def segment_pieces(
    segment: RenderedSegment,
    voices: dict[tuple[str, str], Voice],
    pauses: Pauses,
    speak: Callable[[str, Voice], Path],
) -> list[Speech | Silence]:
    """The segment as a sequence of engine WAVs and pauses, with a cue per sentence."""
    pieces: list[Speech | Silence] = []
    for part in segment.parts:
        if part.pause_before:
            pieces.append(Silence(part.pause_before))
        spoken = [sentence for sentence in part.sentences if sentence.chunks]
        for index, sentence in enumerate(spoken):
            if index:
                pieces.append(Silence(pauses.sentence))
            last = len(sentence.chunks) - 1
            for position, chunk in enumerate(sentence.chunks):
                wav = speak(chunk.text, voices[(chunk.lang, part.role)])
                cue = sentence.written if position == 0 else None
                pieces.append(Speech(wav, cue=cue, cue_end=position == last))
        if part.pause_after:
            pieces.append(Silence(part.pause_after))
    pieces.append(Silence(pauses.segment_end))
    return pieces


def file_duration(path: Path, profile: Profile) -> float:
    """Playing time of an encoded file."""
    if profile.codec == "mp3":
        return float(MP3(path).info.length)
    import wave

    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def _make_episode_file(
    localised: LocalisedEpisode,
    profile: Profile,
    folder: Path,
    manifest: Manifest,
    produced: list[tuple[str, RenderedSegment]],
    artist: str,
    outcome: TargetOutcome,
) -> None:
    """The whole episode as one file, joined from the segment files without re-encoding."""
    name = episode_file_name(localised.episode.id, profile)
    album = localised.title or ""
    tags = Tags(album, artist, album, 1, 1, localised.lang)
    wanted_hash = input_hash(
        {
            "segments": [manifest.files[n]["sha256"] for n, _ in produced],
            "tags": dataclasses.asdict(tags),
        }
    )
    if manifest.is_current(name, wanted_hash):
        return
    streams = [(folder / n).read_bytes() for n, _ in produced]
    if profile.codec == "mp3":
        data = tag_mp3(b"".join(strip_id3v2(s) for s in streams), tags)
    else:
        data = _join_wavs([folder / n for n, _ in produced])
    atomic_write_bytes(folder / name, data)
    outcome.files_written += 1
    from .audio import measure_file

    loudness = measure_file(folder / name)
    manifest.record(
        name,
        kind="episode",
        title=album,
        duration=round(file_duration(folder / name, profile), 3),
        loudness_lufs=loudness.integrated,
        true_peak_dbtp=loudness.true_peak,
        voices=sorted({v for n, _ in produced for v in manifest.files[n]["voices"]}),
        input_hash=wanted_hash,
    )


def _join_wavs(paths: list[Path]) -> bytes:
    import io
    import wave

    frames = []
    params = None
    for path in paths:
        with wave.open(str(path), "rb") as reader:
            params = params or reader.getparams()
            frames.append(reader.readframes(reader.getnframes()))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        assert params is not None
        writer.setnchannels(params.nchannels)
        writer.setsampwidth(params.sampwidth)
        writer.setframerate(params.framerate)
        writer.writeframes(b"".join(frames))
    return buffer.getvalue()


def _write_companions(
    localised: LocalisedEpisode,
    folder: Path,
    manifest: Manifest,
    produced: list[tuple[str, RenderedSegment]],
) -> None:
    """Transcript and playlist."""
    write_transcript(
        folder,
        localised.title or "",
        localised.station_name or "",
        [(segment.number, segment.title, segment.written_text) for _, segment in produced],
    )
    write_playlist(
        folder,
        [(name, segment.title, manifest.files[name]["duration"]) for name, segment in produced],
    )
    for name in ("transcript.txt", "playlist.m3u8"):
        manifest.record(name, kind=name.split(".")[0])
