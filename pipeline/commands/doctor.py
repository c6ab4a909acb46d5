"""``pipeline doctor``: check that this machine can build, and say what to install."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Callable
from pathlib import Path

from pipeline.audio.ffmpeg import tool_path
from pipeline.audio.level import check_in_process_codec
from pipeline.errors import PipelineError
from pipeline.project.layout import STATION_FILE
from pipeline.project.station import load_station
from pipeline.tts import closing_backends, get_backend, resolve_voice

Check = tuple[str, Callable[[], str]]


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``doctor`` command."""
    parser = subparsers.add_parser(
        "doctor",
        parents=[common],
        help="check tools and voices",
        description="Check the programs a build needs and a voice for every language and role.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per check; exit 1 when any failed."""
    failures = 0
    with closing_backends():
        for label, check in [*tool_checks(), *voice_checks(Path(args.project))]:
            try:
                detail = check()
                print(f"ok    {label}: {detail}")
            except PipelineError as error:
                failures += 1
                print(f"FAIL  {label}: {error}")
    print("all checks passed" if not failures else f"{failures} check(s) failed")
    return 1 if failures else 0


def _version_of(program: str, flag: str = "-version") -> str:
    result = subprocess.run([tool_path(program), flag], capture_output=True, text=True, timeout=30, check=False)
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "installed"


def _mp3_encoder() -> str:
    result = subprocess.run(
        [tool_path("ffmpeg"), "-hide_banner", "-encoders"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if "libmp3lame" not in result.stdout:
        raise PipelineError("ffmpeg has no libmp3lame encoder (install Debian's ffmpeg package)")
    return "libmp3lame available"


def _espeak() -> str:
    return get_backend("espeak-ng").version()


def _msgfmt() -> str:
    tool_path("msgfmt")
    return "GNU gettext installed"


def _korean_pronunciation() -> str:
    from pipeline.speech.pronounce import respell  # loads the morphological analyser (mecab-ko)

    return f"mecab-ko analyser loaded: 합니다 → {respell('합니다')}"


def _card_image_tools() -> str:
    for program in ("mkfs.fat", "fsck.fat", "mmd", "mcopy", "mdir"):
        tool_path(program)
    return "dosfstools and mtools installed"


def tool_checks() -> list[Check]:
    """Programs every build needs, and those card images need ('bundle --image')."""
    return [
        ("ffmpeg", lambda: _version_of("ffmpeg")),
        ("ffprobe", lambda: _version_of("ffprobe")),
        ("mp3 encoder", _mp3_encoder),
        ("in-process mp3", check_in_process_codec),
        ("espeak-ng", _espeak),
        ("msgfmt", _msgfmt),
        ("korean pronunciation", _korean_pronunciation),
        ("card images", _card_image_tools),
    ]


def voice_checks(root: Path) -> list[Check]:
    """A resolvable voice for every station language and role (when run in a project)."""
    if not (root / STATION_FILE).exists():
        return []
    try:
        station = load_station(root)
    except PipelineError as error:
        message = str(error)

        def fail() -> str:
            raise PipelineError(message)

        return [("station.yaml", fail)]
    checks: list[Check] = []
    for lang in station.languages:
        for role, spec in station.voices.get(lang, {}).items():

            def check(spec=spec, lang=lang, role=role) -> str:
                voice = resolve_voice(spec, lang, role, get_backend(spec.backend))
                return voice.describe()

            checks.append((f"voice {lang}/{role}", check))
    return checks
