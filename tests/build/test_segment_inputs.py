"""The inputs that decide a segment file's bytes: hashed as they always were, so that files an
earlier build made stay current, and every change of voice, profile or pauses still shows."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

from pipeline.build.orchestrator import render_all, resolve_voices
from pipeline.build.segments import SegmentJob, segment_inputs, segment_job
from pipeline.formats.output import Tags, input_hash
from pipeline.project.script import load_project
from pipeline.rendered import RenderedSegment


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


def test_a_job_reaches_a_worker_without_the_rendering_or_the_catalogs(mini_project: Path, tmp_path: Path) -> None:
    """A worker forked from the server (which ran ``preload_worker``) unpickles its jobs: that
    imports nothing more, and neither the rendering nor the catalogs nor Babel's dates are loaded."""
    jobs = jobs_of(mini_project)
    assert any(part.messages for segment in render_segments(mini_project) for part in segment.parts)
    assert all(not part.messages for job in jobs for part in job.segment.parts)
    (tmp_path / "jobs.pickle").write_bytes(pickle.dumps(jobs))
    probe = (
        "import pickle, sys\n"
        "from pipeline.build.segments import preload_worker\n"
        "preload_worker()\n"
        "before = set(sys.modules)\n"
        f"jobs = pickle.loads(open({str(tmp_path / 'jobs.pickle')!r}, 'rb').read())\n"
        "heavy = ('pipeline.render', 'pipeline.i18n.catalogs', 'pipeline.i18n.messages', 'babel.dates')\n"
        "print(sorted(set(sys.modules) - before), [name for name in heavy if name in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[] []"


def render_segments(root: Path) -> list[RenderedSegment]:
    project = load_project(root)
    localised = render_all(project, list(project.episodes.values()), list(project.station.languages))
    return [segment for item in localised.values() for segment in item.segments]
