"""One segment file: the unit of work a build hands to its worker processes.

Entry points: :class:`SegmentJob` (everything needed, picklable),
:class:`SegmentMade` (what making it produced) and :func:`segment_inputs`
(what determines the file's bytes, hashed part by part so a dry run can say
*what* changed). The audio work itself is in :mod:`pipeline.build.segment_audio`,
which only a build with something to make imports.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.formats.lyrics import Cue
from pipeline.formats.output import Tags, input_hash
from pipeline.project.layout import CACHE_DIR, CACHE_SHARD_DIGITS, LEVELS_CACHE
from pipeline.project.station import Pauses, Profile
from pipeline.text.durations import estimate_seconds
from pipeline.tts import Voice, get_backend

if TYPE_CHECKING:  # a build starts its workers before it imports the rendering (pipeline.build.request)
    from pipeline.rendered import RenderedSegment

OUTPUT_SCHEMA = 12  # bump whenever a change to the processing changes what the files hold


@dataclass(frozen=True)
class SegmentJob:
    """Everything needed to make one segment file, in a form a worker process can receive."""

    segment: RenderedSegment
    voices: dict[tuple[str, str], Voice]
    profile: Profile
    pauses: Pauses
    destination: Path
    tags: Tags
    cache_root: Path
    inputs: dict[str, str] = field(default_factory=dict)  # see segment_inputs()
    fresh_speech: bool = False  # synthesise every sentence again (``--no-cache``), refreshing the cache

    @property
    def input_hash(self) -> str:
        """One hash of all the inputs: the file is current when its manifest records it."""
        return input_hash(self.inputs)

    @property
    def label(self) -> str:
        """``radio-reach/ko/03-story.mp3`` for logs."""
        parts = self.destination.parts
        return "/".join(parts[-3:])


def expected_seconds(job: SegmentJob) -> float:
    """How long ``job``'s file is expected to be, from its text and pauses: each chunk's speaking
    time at its language's usual rate (the cost of making a file grows with its length; the
    build hands out long jobs first)."""
    parts = job.segment.parts
    speech = sum(estimate_seconds(c.text, c.lang) for part in parts for s in part.sentences for c in s.chunks)
    return speech + sum(part.pause_before + part.pause_after for part in parts)


def voice_keys(segment: RenderedSegment) -> set[tuple[str, str]]:
    """The (language, role) pairs whose voices speak ``segment``."""
    return {(c.lang, part.role) for part in segment.parts for s in part.sentences for c in s.chunks}


def segment_job(
    segment: RenderedSegment,
    voices: dict[tuple[str, str], Voice],
    pauses: Pauses,
    profile: Profile,
    destination: Path,
    tags: Tags,
    project_root: Path,
) -> SegmentJob:
    """The job that makes ``segment`` into ``destination``: the voices it needs, and what decides its bytes."""
    needed = {key: voices[key] for key in sorted(voice_keys(segment))}
    job = SegmentJob(_to_speak(segment), needed, profile, pauses, destination, tags, project_root / CACHE_DIR)
    return dataclasses.replace(job, inputs=segment_inputs(job))


def _to_speak(segment: RenderedSegment) -> RenderedSegment:
    """``segment`` without the catalog messages its parts were made from (the review pages'
    business): a worker that receives the job then has no need to import the catalogs' classes."""
    parts = tuple(dataclasses.replace(part, messages=()) for part in segment.parts)
    return dataclasses.replace(segment, parts=parts)


def make_segment_file(job: SegmentJob) -> SegmentMade:
    """Make ``job``'s file (:func:`pipeline.build.segment_audio.make_segment`), importing the audio
    stack where the job runs: the build submits this function by reference, so its own process
    starts the jobs without importing numpy, the codecs and the engines' modules first."""
    from pipeline.build.segment_audio import make_segment

    return make_segment(job)


def preload_worker() -> None:
    """What the server that forks a build's workers imports once (see
    :mod:`pipeline.build.worker_server`): the audio stack, so that a worker costs a fork
    instead of an interpreter and these imports; and what every worker's first job would
    otherwise import or load on its own (scipy's filter kernel, the espeak-ng backend's
    module, mutagen's ID3 tags: 12 ms a worker, ``python -X importtime``). The filters a
    profile uses are designed when first needed (well under a millisecond each)."""
    import mutagen.id3  # noqa: F401

    import pipeline.tts.espeak  # noqa: F401  (the module only: no engine is started here)
    from pipeline.audio import iir
    from pipeline.build import segment_audio  # noqa: F401

    iir.load_kernel()


def prepare_worker() -> None:
    """A build worker's start: import the audio stack before the worker says it is ready."""
    import pipeline.build.segment_audio  # noqa: F401


@dataclass(frozen=True)
class SegmentMade:
    """What making one segment file produced."""

    duration: float
    cues: tuple[Cue, ...]
    loudness_lufs: float
    true_peak_dbtp: float
    synthesised: int
    cached: int
    seconds: float = 0.0  # time the worker spent making it
    staged: Path | None = None  # the finished file beside its destination, for the build to commit
    sha256: str = ""  # of the staged file's bytes, hashed while the worker held them


def segment_inputs(job: SegmentJob) -> dict[str, str]:
    """Hashes of each kind of input that determines the segment file's bytes."""
    engines = {voice.describe(): get_backend(voice.backend).version(voice.lang) for voice in job.voices.values()}
    parts = [
        [part.role, part.pause_before, part.pause_after,
         [[sentence.written, [[c.text, c.lang, c.pronounced] for c in sentence.chunks]] for sentence in part.sentences]]
        for part in job.segment.parts
    ]  # fmt: skip
    return {
        "text": input_hash(parts),
        "voices": _voices_hash(tuple(job.voices.items())),
        "engines": _engines_hash(tuple(sorted(engines.items()))),
        "profile": _settings_hash(job.profile, job.pauses),
        "tags": input_hash(_flat_fields(job.tags)),
        "pipeline": _pipeline_hash(OUTPUT_SCHEMA, __version__),
    }


# Every segment of a build shares its voices, profile and pauses: their hashes are worked out once
# (dataclasses.asdict copies deeply; done per segment it was a third of a no-op build's planning).
@functools.lru_cache(maxsize=256)
def _voices_hash(voices: tuple[tuple[tuple[str, str], Voice], ...]) -> str:
    return input_hash({f"{lang}/{role}": dataclasses.asdict(voice) for (lang, role), voice in voices})


@functools.lru_cache(maxsize=256)
def _engines_hash(engines: tuple[tuple[str, str], ...]) -> str:
    return input_hash(dict(engines))


@functools.lru_cache(maxsize=8)
def _pipeline_hash(schema: int, version: str) -> str:
    return input_hash([schema, version])


@functools.lru_cache(maxsize=64)
def _settings_hash(profile: Profile, pauses: Pauses) -> str:
    return input_hash([dataclasses.asdict(profile), dataclasses.asdict(pauses)])


def _flat_fields(value: Tags) -> dict[str, object]:
    """``dataclasses.asdict`` of a dataclass whose fields are plain values, without its deep copy."""
    return {item.name: getattr(value, item.name) for item in dataclasses.fields(value)}


def blocks_path(cache_root: Path, key: str, shard_digits: int = CACHE_SHARD_DIGITS) -> Path:
    """Where a segment's loudness blocks are kept, by the segment's input hash, in the folder
    named by its first ``shard_digits`` hex digits (:data:`~pipeline.project.layout.EARLIER_CACHE_SHARD_DIGITS`: where
    the earlier layout kept them)."""
    return cache_root / LEVELS_CACHE / key[:shard_digits] / f"{key}.npy"
