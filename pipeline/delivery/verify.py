"""Checks on finished files: do they play, match their profile, and say nothing about us?

Entry point: :func:`verify_tree`, which walks a folder of built files (an
``output/`` tree or a card laid out by ``bundle``) and returns a
:class:`Report` of one-line :class:`Finding` objects. For every audio file
it decodes all of it with ffmpeg (anything ffmpeg reports is a finding),
compares ffprobe's view with the profile of the nearest ``manifest.json``
(or the expectations the caller passes), reads the MP3 frames (cut frames,
variable bitrate, header frames), and looks for identifying data in tags,
chunks and raw bytes (:mod:`pipeline.delivery.tagcheck`). Sizes and sha256 are
compared with the manifest; LRC/SRT timing with the audio's duration;
playlist entries must exist; names must be card-safe; a card (audio in
``<lang>/<episode>/`` folders, no manifests) must have its ``LISTEN.txt``,
which ``bundle`` writes last. Every other file is searched for identifying
text (paths, home folders, this machine's user and host names) and text
files for control and bidirectional-override characters.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.audio.ffmpeg import decode_errors, probe_stream
from pipeline.audio.mp3frames import probe
from pipeline.delivery.tagcheck import identifying_bytes, identifying_data, identifying_text
from pipeline.errors import AudioError, OutputError
from pipeline.formats import lyrics
from pipeline.formats.manifests import AUDIO_KINDS, MANIFEST_NAME, Manifest, find_manifests, read_manifest
from pipeline.formats.naming import LISTEN_FILE, name_problems
from pipeline.formats.playlists import read_playlist_paths
from pipeline.project.layout import OPERATOR_FOLDERS
from pipeline.project.station import Profile
from pipeline.text.characters import unsafe_characters

AUDIO_SUFFIXES = (".mp3", ".wav")
LYRICS_SUFFIXES = (".lrc", ".srt")
PLAYLIST_SUFFIXES = (".m3u8", ".m3u")
TEXT_SUFFIXES = (*LYRICS_SUFFIXES, *PLAYLIST_SUFFIXES, ".txt")
CODEC_NAMES = {"mp3": "mp3", "wav": "pcm_s16le"}
LRC_ALLOWED_TAGS = ("ti", "ar", "al", "length", "offset")
MAX_DECODE_LINES = 3


@dataclass(frozen=True)
class Expected:
    """What a file should be: its profile (audio only), size and sha256."""

    profile: Profile | None = None
    bytes: int | None = None
    sha256: str | None = None


@dataclass(frozen=True, order=True)
class Finding:
    """One problem with one file, printed as ``path: problem``."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class Report:
    """Everything one verification run found and counted."""

    shown_root: str
    findings: list[Finding] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    without_profile: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def summary(self) -> str:
        """One line: what was checked and how many findings."""
        kinds = ("audio", "lyrics", "playlist", "manifest")
        checked = ", ".join(f"{self.counts[kind]} {kind}" for kind in kinds)
        count = len(self.findings)
        verdict = "clean" if not count else f"{count} finding{'s' if count != 1 else ''}"
        line = f"verify {self.shown_root}: checked {checked} files: {verdict}"
        if self.without_profile:
            line += f" ({self.without_profile} audio files have no manifest: profile and checksums not checked)"
        return line


def tree(root: Path) -> list[Path]:
    """Everything under ``root`` that a listener could receive (not the build's logs and report)."""
    return sorted(path for path in root.rglob("*") if not set(path.relative_to(root).parts) & set(OPERATOR_FOLDERS))


def verify_tree(root: Path, expected: Mapping[Path, Expected] | None = None, shown_root: str | None = None) -> Report:
    """Check every file under ``root``; ``expected`` adds to what manifests there say."""
    run = _Run(root, shown_root or root.as_posix())
    run.expected.update({path.resolve(): want for path, want in (expected or {}).items()})
    run.read_manifests()
    files = [path for path in tree(root) if path.is_file()]
    run.check_names(root)
    for path in files:
        if path.suffix.lower() in AUDIO_SUFFIXES:
            run.check_audio(path)
    for path in files:
        run.check_file(path)
    if not run.report.counts["audio"]:
        run.add(root, "no audio files found")
    elif _is_card(root, files) and not (root / LISTEN_FILE).is_file():
        run.add(root, f"no {LISTEN_FILE}: the card was not written to the end")
    run.report.findings.sort()
    return run.report


def _is_card(root: Path, files: list[Path]) -> bool:
    """A card as bundle lays it out: audio in ``<lang>/<episode>/`` folders and no manifests."""
    no_manifest = not any(path.name == MANIFEST_NAME for path in files)
    nested_audio = any(
        len(path.relative_to(root).parts) == 3 for path in files if path.suffix.lower() in AUDIO_SUFFIXES
    )
    return no_manifest and nested_audio


class _Run:
    """The state of one verification: expectations, durations and the report."""

    def __init__(self, root: Path, shown_root: str) -> None:
        self.root = root
        self.report = Report(shown_root)
        self.expected: dict[Path, Expected] = {}
        self.durations: dict[Path, float] = {}
        self.listed_folders: dict[Path, Manifest] = {}

    def add(self, path: Path, problem: str) -> None:
        self.report.findings.append(Finding(self._shown(path), problem))

    def read_manifests(self) -> None:
        for path in find_manifests(self.root):
            self.report.counts["manifest"] += 1
            try:
                manifest = read_manifest(path, self._shown(path))
            except OutputError as error:
                self.add(path, error.message)
                continue
            self.listed_folders[path.parent.resolve()] = manifest
            for name, entry in manifest.files.items():
                listed = path.parent / name
                if not listed.is_file():
                    self.add(listed, f"listed in {MANIFEST_NAME} but missing")
                profile = manifest.profile if entry.kind in AUDIO_KINDS else None
                self.expected[listed.resolve()] = Expected(profile, entry.bytes, entry.sha256)

    def check_names(self, root: Path) -> None:
        for path in tree(root):
            problems = name_problems(path.name)
            if path.name.startswith("."):
                problems.append("hidden file (left by an interrupted write or another system)")
            for problem in problems:
                self.add(path, f"unsafe name: {problem}")

    def check_audio(self, path: Path) -> None:
        self.report.counts["audio"] += 1
        data = path.read_bytes()
        want = self.expected.get(path.resolve())
        if want is None or want.profile is None:
            self.report.without_profile += 1
        for line in decode_errors(path)[:MAX_DECODE_LINES]:
            self.add(path, f"ffmpeg decoding error: {line}")
        try:
            facts = probe_stream(path)
        except AudioError as error:
            self.add(path, error.message)
            return
        self.durations[path] = facts.duration or 0.0
        if path.suffix.lower() == ".mp3":
            self._check_frames(path, data)
        if want is not None and want.profile is not None:
            for problem in profile_problems(path, facts, want.profile):
                self.add(path, problem)
        for problem in identifying_data(path, data):
            self.add(path, problem)

    def check_file(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix in LYRICS_SUFFIXES:
            self._check_lyrics(path)
        elif suffix in PLAYLIST_SUFFIXES:
            self._check_playlist(path)
        if path.name != MANIFEST_NAME:
            self._check_listed(path)
            self._check_contents(path)

    def _check_contents(self, path: Path) -> None:
        """What any file a listener receives must not hold: identifying text, and in text files
        control or bidirectional-override characters (audio is searched in check_audio)."""
        suffix = path.suffix.lower()
        if suffix in AUDIO_SUFFIXES:
            return
        data = path.read_bytes()
        if suffix not in TEXT_SUFFIXES:
            for problem in identifying_bytes(data):
                self.add(path, problem)
            return
        text = data.decode("utf-8", errors="replace")
        for problem in identifying_text(text):
            self.add(path, problem)
        unsafe = unsafe_characters(text.replace("\r\n", "\n"))  # CR LF ends lines in SRT and old playlists
        if unsafe:
            self.add(path, f"holds control characters ({', '.join(unsafe)})")

    def _check_frames(self, path: Path, data: bytes) -> None:
        try:
            info = probe(data)
        except AudioError as error:
            self.add(path, f"MP3 frames: {error.message}")
            return
        self.durations[path] = info.duration_seconds
        if not info.constant_bitrate:
            self.add(path, "variable bitrate (old players need constant bitrate)")
        if info.header_frame:
            self.add(path, "has a Xing/Info header frame (it names the encoder)")
        if info.version == "2.5":
            self.add(path, f"MPEG-2.5 at {info.sample_rate} Hz: many players cannot play it")

    def _check_listed(self, path: Path) -> None:
        resolved = path.resolve()
        want = self.expected.get(resolved)
        manifest = self.listed_folders.get(resolved.parent)
        if want is None:
            if manifest is not None:
                self.add(path, f"not listed in {MANIFEST_NAME}")
            return
        data = path.read_bytes()
        if want.bytes is not None and want.bytes != len(data):
            self.add(path, f"{len(data)} bytes, the manifest says {want.bytes}")
        if want.sha256 is not None and want.sha256 != hashlib.sha256(data).hexdigest():
            self.add(path, "sha256 differs from the manifest (the file changed after the build)")

    def _check_lyrics(self, path: Path) -> None:
        self.report.counts["lyrics"] += 1
        audio = next((path.with_suffix(s) for s in AUDIO_SUFFIXES if path.with_suffix(s).is_file()), None)
        if audio is None:
            self.add(path, "no audio file of the same name for this synchronised text")
            return
        try:
            text = path.read_text(encoding="utf-8")
            is_lrc = path.suffix.lower() == ".lrc"
            cues = lyrics.parse_lrc(text, self._shown(path)) if is_lrc else None
            cues = cues if cues is not None else lyrics.parse_srt(text, self._shown(path))
        except UnicodeDecodeError:
            self.add(path, "not UTF-8 text")
            return
        except OutputError as error:
            self.report.findings.append(Finding(str(error.location), error.message))
            return
        if is_lrc:
            for tag in lrc_header_tags(text):
                if tag not in LRC_ALLOWED_TAGS:
                    self.add(path, f"LRC header [{tag}:] is not allowed (tool or maker details)")
        if audio in self.durations:
            for problem in lyrics.timing_problems(cues, self.durations[audio]):
                self.add(path, f"timing: {problem}")

    def _check_playlist(self, path: Path) -> None:
        self.report.counts["playlist"] += 1
        data = path.read_bytes()
        if path.suffix.lower() == ".m3u" and not data.isascii():
            self.add(path, "the .m3u twin must be ASCII only (old players)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.add(path, "not UTF-8 text")
            return
        if not text.startswith("#EXTM3U"):
            self.add(path, "does not start with #EXTM3U")
        for entry in read_playlist_paths(text):
            target = (path.parent / entry).resolve()
            if "\\" in entry or entry.startswith("/"):
                self.add(path, f"entry {entry!r} is not a relative path with '/'")
            elif not target.is_file():
                self.add(path, f"entry {entry!r} does not exist")
            elif not target.is_relative_to(self.root.resolve()):
                self.add(path, f"entry {entry!r} points outside {self.report.shown_root}")

    def _shown(self, path: Path) -> str:
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return path.as_posix()
        if relative == Path():
            return self.report.shown_root
        return (Path(self.report.shown_root) / relative).as_posix()


def profile_problems(path: Path, facts, profile: Profile) -> list[str]:
    """How a file's stream differs from ``profile`` (codec, rate, channels, bitrate)."""
    problems = []
    if path.suffix.lower() != f".{profile.extension}":
        problems.append(f"profile '{profile.name}' makes .{profile.extension} files")
    want_codec = CODEC_NAMES.get(profile.codec, profile.codec)
    if facts.codec != want_codec:
        problems.append(f"codec {facts.codec}, profile '{profile.name}' wants {want_codec}")
    if facts.sample_rate != profile.sample_rate:
        problems.append(f"{facts.sample_rate} Hz, profile '{profile.name}' wants {profile.sample_rate} Hz")
    if facts.channels != profile.channels:
        problems.append(f"{facts.channels} channels, profile '{profile.name}' wants {profile.channels}")
    if profile.bitrate_kbps and facts.bit_rate != profile.bitrate_kbps * 1000:
        found = f"{facts.bit_rate // 1000} kbps" if facts.bit_rate else "unknown bitrate"
        problems.append(f"{found}, profile '{profile.name}' wants {profile.bitrate_kbps} kbps")
    return problems


def lrc_header_tags(text: str) -> list[str]:
    """The ``[tag:value]`` header names of LRC text (not time stamps)."""
    tags = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and ":" in line and not line[1:2].isdigit():
            tags.append(line[1 : line.index(":")].lower())
    return tags
