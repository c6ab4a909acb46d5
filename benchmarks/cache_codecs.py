"""Lossless routes for the speech cache: ``.venv/bin/python benchmarks/cache_codecs.py PROJECT``.

Entry point: :func:`main`. It decodes every FLAC entry of ``PROJECT/.cache/tts``
(a project built once) to WAV in a temporary folder, then stores each
utterance again by every route, one file per utterance as the cache keeps
them, and prints a table: MB per minute of speech (data files alone), encode
and decode CPU seconds (user + system of this process and its children) per
minute, and whether every sample came back exactly. The command-line routes
need the ``flac`` and ``wavpack`` programs (Debian ``flac``, ``wavpack``);
a missing one is skipped. It is not part of the test suite.
"""

from __future__ import annotations

import io
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

from pipeline.tts.cache import FLAC_APODIZATION, FLAC_BLOCKSIZE, FLAC_LEVEL, flac_bytes

FLAC_CLI = [
    ["-8"],
    ["-8", "-e", "-p"],
    ["-8", "-l", "32", "--lax"],
    ["-8", "-A", "subdivide_tukey(5)"],
    ["-8", "-b", "576"],
    ["-8", "-b", "1024"],
    ["-8", "-b", "1152"],
    ["-8", "-b", "576", "-l", "32", "--lax"],
]
WAVPACK_CLI = [["-hh"], ["-hh", "-x3"]]


def cpu_seconds() -> float:
    """User + system time of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def soundfile_route(level: float) -> tuple[Callable[[Path, Path], None], Callable[[Path, Path], None]]:
    """FLAC through soundfile at ``level`` (soundfile's 0-1 scale of libFLAC's levels 0-8), as the cache writes it."""

    def encode(wav: Path, out: Path) -> None:
        samples, rate = soundfile.read(str(wav), dtype="int16")
        buffer = io.BytesIO()
        soundfile.write(buffer, samples, rate, format="FLAC", subtype="PCM_16", compression_level=level)
        out.write_bytes(buffer.getvalue())

    def decode(packed: Path, wav: Path) -> None:
        samples, rate = soundfile.read(str(packed), dtype="int16")
        soundfile.write(str(wav), samples, rate, subtype="PCM_16")

    return encode, decode


def cache_route() -> tuple[Callable[[Path, Path], None], Callable[[Path, Path], None]]:
    """FLAC as the cache writes it (:func:`pipeline.tts.cache.flac_bytes`), read back through soundfile."""

    def encode(wav: Path, out: Path) -> None:
        samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
        out.write_bytes(flac_bytes(samples, rate))

    return encode, soundfile_route(1.0)[1]


def program_route(encode_args: list[str], decode_args: list[str]) -> tuple[Callable[[Path, Path], None], ...]:
    """A command-line coder: ``{in}`` and ``{out}`` in the arguments are the files."""

    def run(arguments: list[str], source: Path, target: Path) -> None:
        command = [arg.format(IN=source, OUT=target) for arg in arguments]
        subprocess.run(command, check=True, capture_output=True)

    return (lambda a, b: run(encode_args, a, b)), (lambda a, b: run(decode_args, a, b))


def routes() -> list[tuple[str, str, tuple[Callable[[Path, Path], None], ...]]]:
    """(name, file suffix, (encode, decode)) of every route whose tools are installed."""
    found = [
        (
            f"FLAC level {FLAC_LEVEL}, {FLAC_BLOCKSIZE}-sample blocks, {FLAC_APODIZATION.decode()}, pyFLAC (the cache)",
            ".flac",
            cache_route(),
        ),
        ("FLAC level 8, soundfile", ".flac", soundfile_route(1.0)),
        ("FLAC level 5, soundfile", ".flac", soundfile_route(0.5)),
    ]
    if shutil.which("flac"):
        decode = ["flac", "-d", "-f", "-s", "-o", "{OUT}", "{IN}"]
        for options in FLAC_CLI:
            encode = ["flac", "-f", "-s", "--no-padding", "--no-seektable", *options, "-o", "{OUT}", "{IN}"]
            found.append((f"flac {' '.join(options)}", ".flac", program_route(encode, decode)))
    if shutil.which("wavpack"):
        decode = ["wvunpack", "-y", "-q", "{IN}", "-o", "{OUT}"]
        for options in WAVPACK_CLI:
            encode = ["wavpack", "-y", "-q", *options, "{IN}", "-o", "{OUT}"]
            found.append((f"wavpack {' '.join(options)}", ".wv", program_route(encode, decode)))
    return found


def measure(wavs: list[Path], work: Path, minutes: float) -> None:
    """Print one table row per route."""
    originals = {wav.stem: soundfile.read(str(wav), dtype="int16")[0] for wav in wavs}
    print("| route | MB per minute | encode CPU s/min | decode CPU s/min | exact |")
    print("|---|---|---|---|---|")
    for name, suffix, (encode, decode) in routes():
        folder = work / name.replace(" ", "_").replace("(", "").replace(")", "")
        folder.mkdir()
        started = cpu_seconds()
        for wav in wavs:
            encode(wav, folder / f"{wav.stem}{suffix}")
        encoded = cpu_seconds() - started
        started = cpu_seconds()
        for wav in wavs:
            decode(folder / f"{wav.stem}{suffix}", folder / f"{wav.stem}.wav")
        decoded = cpu_seconds() - started
        size = sum((folder / f"{wav.stem}{suffix}").stat().st_size for wav in wavs)
        exact = all(
            np.array_equal(soundfile.read(str(folder / f"{wav.stem}.wav"), dtype="int16")[0], originals[wav.stem])
            for wav in wavs
        )
        print(f"| {name} | {size / 1e6 / minutes:.3f} | {encoded / minutes:.3f} | {decoded / minutes:.3f} | {exact} |")
        shutil.rmtree(folder)


def main(argv: list[str]) -> int:
    """Decode the project's cached speech and measure every route on it."""
    if len(argv) != 1:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    entries = sorted((Path(argv[0]) / ".cache" / "tts").rglob("*.flac"))
    if not entries:
        print(f"{argv[0]}: no FLAC entries in .cache/tts (build the project first)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cache-codecs-") as folder:
        work = Path(folder)
        wavs = []
        for entry in entries:
            samples, rate = soundfile.read(str(entry), dtype="int16")
            wavs.append(work / f"{entry.stem}.wav")
            soundfile.write(str(wavs[-1]), samples, rate, subtype="PCM_16")
        minutes = sum(soundfile.info(str(wav)).duration for wav in wavs) / 60
        print(f"{len(wavs)} utterances, {minutes:.2f} minutes of speech")
        measure(wavs, work, minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
