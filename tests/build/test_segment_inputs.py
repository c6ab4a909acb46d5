"""The inputs that decide a segment file's bytes: hashed as they always were, so that files an
earlier build made stay current, and every change of voice, profile or pauses still shows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.build.orchestrator import render_all, resolve_voices
from pipeline.build.segments import SegmentJob, segment_inputs, segment_job
from pipeline.formats.output import Tags, input_hash
from pipeline.project.script import load_project


def jobs_of(root: Path) -> list[SegmentJob]:
    project = load_project(root)
    station = project.station
    localised = render_all(project, list(project.episodes.values()), list(station.languages))
    segments = [segment for item in localised.values() for segment in item.segments]
    voices, errors = resolve_voices(station, segments)
    assert not errors
    profile = station.profiles[station.default_profile]
    return [
        segment_job(segment, voices, station.pauses, profile, root / f"{number}.mp3",
                    Tags(segment.title, "artist", "album", number, len(segments), "en"), root)
        for number, segment in enumerate(segments, 1)
    ]  # fmt: skip


def reference_inputs(job: SegmentJob) -> dict[str, str]:
    """The hashes of the dataclass inputs as first defined, each copied whole with ``dataclasses.asdict``."""
    return {
        "voices": input_hash({f"{lang}/{role}": dataclasses.asdict(v) for (lang, role), v in job.voices.items()}),
        "profile": input_hash([dataclasses.asdict(job.profile), dataclasses.asdict(job.pauses)]),
        "tags": input_hash(dataclasses.asdict(job.tags)),
    }


def dataclass_inputs(inputs: dict[str, str]) -> dict[str, str]:
    return {kind: inputs[kind] for kind in ("voices", "profile", "tags")}


def test_every_segment_is_hashed_as_before(mini_project: Path) -> None:
    jobs = jobs_of(mini_project)
    assert jobs
    for job in jobs:
        assert dataclass_inputs(job.inputs) == reference_inputs(job)


def test_a_changed_voice_profile_or_pause_changes_its_hash(mini_project: Path) -> None:
    job = jobs_of(mini_project)[0]
    before = segment_inputs(job)
    (key, voice), *rest = job.voices.items()
    slower = dataclasses.replace(job, voices={key: dataclasses.replace(voice, rate=voice.rate - 10), **dict(rest)})
    louder = dataclasses.replace(job, profile=dataclasses.replace(job.profile, loudness_lufs=-14.0))
    longer = dataclasses.replace(job, pauses=dataclasses.replace(job.pauses, sentence=job.pauses.sentence + 0.1))
    retitled = dataclasses.replace(job, tags=dataclasses.replace(job.tags, title="another title"))
    for changed, kind in ((slower, "voices"), (louder, "profile"), (longer, "profile"), (retitled, "tags")):
        after = segment_inputs(changed)
        assert after[kind] != before[kind]
        assert dataclass_inputs(after) == reference_inputs(changed)
    assert segment_inputs(job) == before
