"""Making one segment file: what a build's worker processes run.

Entry point: :func:`make_segment` (synthesise through the speech cache, join,
level, encode once, scrub, tag, stage the file beside its destination: the
build's own process renames it into place, under the build lock, so a worker
that outlives its build can never put a file in place); it keeps the
segment's loudness blocks for the whole-episode file
(:mod:`pipeline.build.loudness_blocks`). Nothing here touches shared state
except the content-addressed caches, which are safe to fill concurrently.
This module brings in the audio stack (numpy, the codecs); a build
with nothing to make never imports it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.audio import mp3frames
from pipeline.audio.level import MP3_START_SAMPLES, Silence, Speech, join_pieces, level_and_encode
from pipeline.build.loudness_blocks import store_blocks
from pipeline.build.segments import SegmentJob, SegmentMade
from pipeline.build.timeline import mark
from pipeline.formats.lyrics import Cue
from pipeline.formats.output import tag_mp3
from pipeline.fsutil import stage_bytes
from pipeline.processes import parent_alive
from pipeline.project.layout import TTS_CACHE
from pipeline.project.station import Pauses
from pipeline.rendered import RenderedSegment
from pipeline.tts import Voice
from pipeline.tts.cache import SpeechCache, SynthesisCounter, synthesise_cached


def make_segment(job: SegmentJob) -> SegmentMade:
    """Synthesise (through the cache), join, level, encode, scrub, tag and write one segment."""
    started = time.monotonic()
    mark("job started", file=job.label)
    counter = SynthesisCounter()
    with SpeechCache(job.cache_root / TTS_CACHE) as cache:

        def speak(text: str, voice: Voice) -> Path:
            return synthesise_cached(text, voice, cache, counter, refresh=job.fresh_speech)

        pieces = segment_pieces(job.segment, job.voices, job.pauses, speak)
        mark("job speech", file=job.label, synthesised=counter.synthesised)
        # The profile's lead-in and lead-out (playout wants silence around every file); cues shift with it.
        lead_in, lead_out = Silence(job.profile.lead_in), Silence(job.profile.lead_out)
        timeline = join_pieces([lead_in, *pieces, lead_out], decoded=cache.fresh)
    measured, data = level_and_encode(timeline, job.profile)
    offset = 0.0
    if job.profile.codec == "mp3":
        scrubbed, info = mp3frames.scrub_and_probe(data)
        del data  # an hour's MP3 is 14 MB: no more than two copies at a time
        data = tag_mp3(scrubbed, job.tags)
        del scrubbed
        offset = MP3_START_SAMPLES / job.profile.sample_rate
        duration = info.duration_seconds
    else:
        duration = measured.duration
    store_blocks(job.cache_root, job.input_hash, measured.blocks)
    if not parent_alive():
        raise SystemExit(0)  # the build that asked for this file is gone: leave nothing behind
    cues = tuple(Cue(round(c.start + offset, 3), round(c.end + offset, 3), c.text) for c in timeline.cues)
    digest = hashlib.sha256(data).hexdigest()
    # Staged last: where the same process commits the file (say --out), a Ctrl-C can fall only
    # into the few quick steps between its staging and its commit.
    staged = stage_bytes(job.destination, data)
    mark("job finished", file=job.label, seconds=round(duration, 3))
    return SegmentMade(
        round(duration, 3), cues, measured.loudness.integrated, measured.loudness.true_peak,
        counter.synthesised, counter.cached, round(time.monotonic() - started, 3), staged, digest,
    )  # fmt: skip


def segment_pieces(
    segment: RenderedSegment,
    voices: dict[tuple[str, str], Voice],
    pauses: Pauses,
    speak: Callable[[str, Voice], Path],
) -> list[Speech | Silence]:
    """The segment as a sequence of engine WAVs and pauses, with a cue per sentence.

    The engine's own silence is trimmed when the pieces are joined, so these pauses are what
    is heard: ``pauses.sentence`` between sentences (also between parts that set no pause of
    their own), the parts' ``pause_before``/``pause_after``, ``pauses.between_voices`` where
    a sentence passes from one voice to another, and ``pauses.segment_end`` at the end.
    """
    pieces: list[Speech | Silence] = []
    previous_pause: float | None = None  # the pause after the previous part; None before the first
    for part in segment.parts:
        spoken = [sentence for sentence in part.sentences if sentence.chunks]
        if previous_pause is not None and spoken and not previous_pause + part.pause_before:
            pieces.append(Silence(pauses.sentence))
        if part.pause_before:
            pieces.append(Silence(part.pause_before))
        for index, sentence in enumerate(spoken):
            if index:
                pieces.append(Silence(pauses.sentence))
            last = len(sentence.chunks) - 1
            for position, chunk in enumerate(sentence.chunks):
                if position:
                    pieces.append(Silence(pauses.between_voices))
                voice = voices[(chunk.lang, part.role)]
                wav = speak(voice.reads(chunk), voice)
                cue = sentence.written if position == 0 else None
                pieces.append(Speech(wav, cue=cue, cue_end=position == last))
        if part.pause_after:
            pieces.append(Silence(part.pause_after))
        if spoken or part.pause_after:
            previous_pause = part.pause_after
    pieces.append(Silence(pauses.segment_end))
    return pieces
