"""Finishing one output folder once its segment files exist.

Entry points: :func:`assemble_target` and :func:`import_for_joining`. The
first writes the whole-episode file (joined frame by frame from the segment
MP3s, so nothing is encoded twice), the synchronised lyrics (LRC and SRT, one
line per sentence as written, timed from the real audio), the playlists
(UTF-8 ``.m3u8`` and an ASCII ``.m3u``), the transcript and the manifest,
which it marks complete (a card takes only complete folders). Files whose
content would not change are not rewritten.
"""

from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.audio import mp3frames
from pipeline.formats.lyrics import Cue, to_lrc, to_srt
from pipeline.formats.manifests import ManifestWriter
from pipeline.formats.output import (
    PLAYLIST_NAME,
    TRANSCRIPT_NAME,
    Tags,
    episode_file_name,
    input_hash,
    tag_mp3,
    transcript_bytes,
)
from pipeline.formats.playlists import PlaylistEntry, to_ascii_m3u, to_m3u8
from pipeline.fsutil import write_if_changed
from pipeline.project.station import Profile
from pipeline.render import LocalisedEpisode, RenderedSegment

ASCII_PLAYLIST_NAME = "playlist.m3u"
COMPANIONS_SCHEMA = 1  # bump whenever a change to the lyrics, playlists or transcript changes what they hold


@dataclass(frozen=True)
class FolderPlan:
    """What one output folder must hold: the localised episode and its segment files."""

    localised: LocalisedEpisode
    profile: Profile
    folder: Path
    segments: tuple[tuple[str, RenderedSegment], ...]  # (file name, segment), in play order
    artist: str
    album: str


def assemble_target(plan: FolderPlan, manifest: ManifestWriter, cache_root: Path, force: bool = False) -> int:
    """Write the episode file and companions, then the manifest; return how many files changed
    (``force`` makes the episode file and companions again even when the manifest says they are current).

    The companions (lyrics, playlists, transcript) record the hash of what
    they are made from; when it is unchanged and each is intact (size and
    sha256 as recorded, read again only when its size or modification time
    moved), they are not made again. A no-op build of a 1,000-episode
    catalogue would otherwise format and compare some 11,000 small files."""
    written = _episode_file(plan, manifest, cache_root, force)
    companions = companions_hash(plan, manifest)
    if force or not _companions_current(plan, manifest, companions):
        written += _lyrics(plan, manifest, companions)
        written += _playlists(plan, manifest, companions)
        written += _transcript(plan, manifest, companions)
    manifest.keep_only(expected_files(plan))
    manifest.mark_complete()
    manifest.save()
    return written


def companions_hash(plan: FolderPlan, manifest: ManifestWriter) -> str:
    """One hash of everything the lyrics, playlists and transcript are made from: each segment's
    file, title, number, written text, duration and cues; the album, artist and profile."""
    segments = []
    for file, segment in plan.segments:
        record = manifest.files[file]
        segments.append([file, segment.title, segment.number, segment.written_text, record["duration"], record["cues"]])
    return input_hash(
        {
            "schema": COMPANIONS_SCHEMA,
            "version": __version__,
            "segments": segments,
            "album": plan.album,
            "artist": plan.artist,
            "codec": plan.profile.codec,
            "episode": episode_file_name(plan.localised.episode.id, plan.profile),
        }
    )


def _companions_current(plan: FolderPlan, manifest: ManifestWriter, wanted: str) -> bool:
    audio = {file for file, _ in plan.segments} | {episode_file_name(plan.localised.episode.id, plan.profile)}
    return all(manifest.is_current(name, wanted) for name in sorted(expected_files(plan) - audio))


def expected_files(plan: FolderPlan) -> set[str]:
    """Every file the folder holds after a build: audio, lyrics, playlists, transcript."""
    audio = [file for file, _ in plan.segments]
    audio.append(episode_file_name(plan.localised.episode.id, plan.profile))
    names = set(audio) | {PLAYLIST_NAME, ASCII_PLAYLIST_NAME, TRANSCRIPT_NAME}
    if plan.profile.codec == "mp3":
        stems = [file.removesuffix(f".{plan.profile.extension}") for file in audio]  # no pathlib: per folder
        names |= {f"{stem}{suffix}" for stem in stems for suffix in (".lrc", ".srt")}
    return names


def _episode_file(plan: FolderPlan, manifest: ManifestWriter, cache_root: Path, force: bool) -> int:
    """The whole episode as one file, joined from the segment files without re-encoding."""
    name = episode_file_name(plan.localised.episode.id, plan.profile)
    tags = Tags(plan.album, plan.artist, plan.album, 1, 1, plan.localised.lang)
    records = [manifest.files[file] for file, _ in plan.segments]
    wanted = input_hash({"segments": [record["sha256"] for record in records], "tags": tags.__dict__})
    if not force and manifest.is_current(name, wanted):
        return 0
    paths = [plan.folder / file for file, _ in plan.segments]
    if plan.profile.codec == "mp3":
        data = tag_mp3(mp3frames.concat([path.read_bytes() for path in paths]), tags)
    else:
        data = _join_wavs(paths)
    write_if_changed(plan.folder / name, data)
    manifest.record(
        name,
        hashlib.sha256(data).hexdigest(),
        kind="episode",
        title=plan.album,
        duration=round(sum(record["duration"] for record in records), 3),
        loudness_lufs=_episode_loudness(plan, records, cache_root, name),
        true_peak_dbtp=max(record["true_peak_dbtp"] for record in records),
        voices=sorted({voice for record in records for voice in record["voices"]}),
        input_hash=wanted,
    )
    return 1


def import_for_joining() -> None:
    """Import now what joining segment files into an episode file needs (the loudness arithmetic,
    mutagen for the tags), which :func:`assemble_target` otherwise imports when the
    first folder is finished: a build does it while its workers start."""
    import mutagen.id3  # noqa: F401

    import pipeline.build.loudness_blocks  # noqa: F401


def _episode_loudness(plan: FolderPlan, records: list[dict[str, Any]], cache_root: Path, name: str) -> float:
    """From the segments' stored gating blocks; measured from the file when any are missing."""
    from pipeline.build.loudness_blocks import joined_loudness, load_blocks  # only when a file is made

    blocks = [load_blocks(cache_root, record["input_hash"]) for record in records]
    if all(block is not None for block in blocks):
        return joined_loudness([block for block in blocks if block is not None])
    from pipeline.audio.level import measure_file  # the whole audio stack: only when a segment's blocks are gone

    return measure_file(plan.folder / name).integrated


def _join_wavs(paths: list[Path]) -> bytes:
    frames = []
    params = None
    for path in paths:
        with wave.open(str(path), "rb") as reader:
            params = params or reader.getparams()
            frames.append(reader.readframes(reader.getnframes()))
    assert params is not None
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(params.nchannels)
        writer.setsampwidth(params.sampwidth)
        writer.setframerate(params.framerate)
        writer.writeframes(b"".join(frames))
    return buffer.getvalue()


def _cues(record: dict[str, Any], offset: float = 0.0) -> list[Cue]:
    return [Cue(round(start + offset, 3), round(end + offset, 3), text) for start, end, text in record["cues"]]


def _lyrics(plan: FolderPlan, manifest: ManifestWriter, companions: str) -> int:
    """An LRC and an SRT beside every MP3: per segment, and for the whole episode."""
    if plan.profile.codec != "mp3":
        return 0
    written = 0
    episode_cues: list[Cue] = []
    offset = 0.0
    for file, segment in plan.segments:
        record = manifest.files[file]
        cues = _cues(record)
        written += _write_lyrics(plan, manifest, file, cues, segment.title, companions)
        episode_cues += _cues(record, offset)
        offset += record["duration"]
    episode = episode_file_name(plan.localised.episode.id, plan.profile)
    written += _write_lyrics(plan, manifest, episode, episode_cues, plan.album, companions)
    return written


def _write_lyrics(
    plan: FolderPlan, manifest: ManifestWriter, audio: str, cues: list[Cue], title: str, companions: str
) -> int:
    written = 0
    stem = Path(audio).stem
    lrc = to_lrc(cues, title=title, artist=plan.artist, album=plan.album)
    for name, text in ((f"{stem}.lrc", lrc), (f"{stem}.srt", to_srt(cues))):
        data = text.encode("utf-8")
        written += _write(plan, manifest, name, data, kind="lyrics", input_hash=companions, **{"for": audio})
    return written


def _playlists(plan: FolderPlan, manifest: ManifestWriter, companions: str) -> int:
    entries = [PlaylistEntry(file, segment.title, manifest.files[file]["duration"]) for file, segment in plan.segments]
    lists = [(PLAYLIST_NAME, to_m3u8(entries).encode("utf-8"))]
    lists.append((ASCII_PLAYLIST_NAME, to_ascii_m3u(entries).encode("ascii")))
    return sum(_write(plan, manifest, name, data, kind="playlist", input_hash=companions) for name, data in lists)


def _transcript(plan: FolderPlan, manifest: ManifestWriter, companions: str) -> int:
    segments = [(segment.number, segment.title, segment.written_text) for _, segment in plan.segments]
    data = transcript_bytes(plan.album, plan.artist, segments)
    return _write(plan, manifest, TRANSCRIPT_NAME, data, kind="transcript", input_hash=companions)


def _write(plan: FolderPlan, manifest: ManifestWriter, name: str, data: bytes, **fields: Any) -> int:
    """Write ``data`` as file ``name`` of the folder unless it holds it already, and record it with
    the sha256 of ``data`` (the file is not read back to hash it); 1 when it was written."""
    written = write_if_changed(plan.folder / name, data)
    manifest.record(name, written=hashlib.sha256(data).hexdigest(), **fields)
    return int(written)
