"""The speech cache: FLAC entries, byte-identical builds, old entries, bytes per minute."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyflac
import soundfile
from mutagen.mp3 import MP3

from pipeline.build.orchestrator import BuildRequest, build
from pipeline.build.segments import prepare_worker
from pipeline.build.workers import WorkerPool
from pipeline.fsutil import is_partial
from pipeline.project.script import load_project
from pipeline.tts import cache as speech_cache
from pipeline.tts import close_backends, flac_record


def keep_plain_wav() -> None:
    """Worker initializer: the cache keeps the engine's WAV as it is (as before FLAC)."""
    prepare_worker()
    speech_cache.COMPRESSIBLE_SUBTYPE = "none"


def output_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file a listener gets (logs and the report name the run, so they are left out)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.relative_to(folder).parts[0].startswith("_")
    }


def build_english(root: Path, initializer=prepare_worker) -> dict[str, str]:
    """Build the project's English files from an empty output folder; their hashes."""
    shutil.rmtree(root / "output", ignore_errors=True)
    pool = WorkerPool(1, initializer=initializer, finalizer=close_backends)
    try:
        report = build(load_project(root), BuildRequest(languages=("en",), out=root / "output"), executor=pool)
    finally:
        pool.shutdown()
    assert report.exit_code == 0
    return output_hashes(root / "output")


def test_a_build_from_the_flac_cache_is_byte_identical_to_one_from_plain_wav(mini_project: Path) -> None:
    tts = mini_project / ".cache" / "tts"
    from_wav = build_english(mini_project, keep_plain_wav)
    assert list(tts.rglob("*.wav")) and not list(tts.rglob("*.flac"))
    shutil.rmtree(mini_project / ".cache")
    cold_flac = build_english(mini_project)  # a second cold build, now keeping FLAC
    flacs = sorted(tts.rglob("*.flac"))
    assert flacs and not list(tts.rglob("*.wav"))
    warm_flac = build_english(mini_project)  # every utterance from the FLAC cache
    assert len(from_wav) > 3 and from_wav == cold_flac == warm_flac
    for flac in flacs:
        record, stream = flac_record.split_record(flac.read_bytes())
        assert record["format"] == "flac" and flac_record.is_intact(record, stream)
        assert not flac.with_suffix(".json").exists()  # one file per entry
        assert soundfile.info(str(flac)).subtype == "PCM_16"


def test_the_flac_holds_the_engines_samples_exactly(tmp_path: Path) -> None:
    wav = tmp_path / "engine.wav"
    samples = (1000 * np.sin(np.arange(22050) / 7)).astype("int16")
    soundfile.write(str(wav), samples, 22050, subtype="PCM_16")
    fmt, data, seconds = speech_cache.compress(wav)
    assert fmt == "flac" and seconds == 1.0 and len(data) < wav.stat().st_size
    flac = tmp_path / "stored.flac"
    flac.write_bytes(data)
    assert (soundfile.read(str(flac), dtype="int16")[0] == samples).all()
    float_wav = tmp_path / "float.wav"
    soundfile.write(str(float_wav), samples / 32768, 22050, subtype="FLOAT")
    assert speech_cache.compress(float_wav) == ("wav", float_wav.read_bytes(), 1.0)  # FLAC cannot hold it


def streaminfo(data: bytes) -> tuple[int, int, int]:
    """(smallest block size, largest block size, total samples) from a FLAC stream's header."""
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
    info = data[8:42]
    total = int.from_bytes(info[13:18], "big") & 0xFFFFFFFFF
    return int.from_bytes(info[0:2], "big"), int.from_bytes(info[2:4], "big"), total


def espeak_speech(tmp_path: Path) -> Path:
    """A few sentences of real espeak-ng speech."""
    import subprocess

    wav = tmp_path / "speech.wav"
    text = ("Radios with a dial that can be turned freely are hidden under floors. "
            "A memory card the size of a fingernail holds a whole season of drama.")  # fmt: skip
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True, capture_output=True)
    return wav


def test_the_flac_uses_short_blocks_and_a_complete_header(tmp_path: Path) -> None:
    wav = espeak_speech(tmp_path)
    samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
    data = speech_cache.flac_bytes(samples, rate)
    smallest, largest, total = streaminfo(data)
    assert largest == speech_cache.FLAC_BLOCKSIZE and smallest == largest  # the last block may be shorter
    assert total == len(samples)  # the encoder went back to write the length
    decoded, decoded_rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    assert decoded_rate == rate and np.array_equal(decoded, samples)


def test_the_flac_is_made_with_one_window_not_the_levels_three(tmp_path: Path) -> None:
    wav = espeak_speech(tmp_path)
    samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
    levels_own = io.BytesIO()
    encoder = pyflac.StreamEncoder(
        sample_rate=rate,
        write_callback=lambda data, *_: levels_own.write(data),
        seek_callback=levels_own.seek,
        tell_callback=levels_own.tell,
        compression_level=speech_cache.FLAC_LEVEL,
        blocksize=speech_cache.FLAC_BLOCKSIZE,
    )
    encoder.process(samples)
    assert encoder.finish()
    data = speech_cache.flac_bytes(samples, rate)
    assert data != levels_own.getvalue()  # the window was set: other predictors were chosen
    assert len(data) < len(levels_own.getvalue()) * 1.02  # and they do nearly as well
    decoded, _ = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    assert np.array_equal(decoded, samples)


def test_the_flac_leaves_the_samples_md5_out_and_still_decodes_exactly(tmp_path: Path) -> None:
    """The header's MD5 is FLAC's "not computed" (zeros); the frames' own CRCs and the record's
    sha256 are what guard an entry."""
    wav = espeak_speech(tmp_path)
    samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
    data = speech_cache.flac_bytes(samples, rate)
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO first: 34 bytes, the MD5 its last 16
    assert data[8 + 34 - 16 : 8 + 34] == bytes(16)
    decoded, _ = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    assert np.array_equal(decoded, samples)


def test_the_cache_flac_is_smaller_than_libsndfiles_strongest_on_speech(tmp_path: Path) -> None:
    wav = espeak_speech(tmp_path)
    samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
    reference = io.BytesIO()
    soundfile.write(reference, samples, rate, format="FLAC", subtype="PCM_16", compression_level=1.0)
    assert len(speech_cache.flac_bytes(samples, rate)) < len(reference.getvalue())


def test_an_entry_from_before_flac_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    cache = speech_cache.SpeechCache(tmp_path)
    entry = cache.entry("ab" + "0" * 62)
    entry.base.parent.mkdir(parents=True)
    wav = entry.data("wav")
    wav.write_bytes(b"RIFF old entry")
    data = wav.read_bytes()
    record = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "text": "x"}  # no format
    entry.record.write_text(json.dumps(record), encoding="utf-8")
    assert cache.lookup(entry.key) is None
    assert not wav.exists() and not entry.record.exists()


def test_stats_gives_the_speech_caches_bytes_per_minute(mini_project: Path, cli) -> None:
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    tts = mini_project / ".cache" / "tts"
    flacs = sorted(tts.rglob("*.flac"))
    size = sum(path.stat().st_size for path in flacs)  # each holds its record
    minutes = sum(soundfile.info(str(path)).duration for path in flacs) / 60
    stats = cli("cache", "stats", "--project", str(mini_project)).out
    match = re.search(r"^tts: (\d+\.\d{3}) MB per minute of cached speech \((\d+\.\d) minutes\)$", stats, re.MULTILINE)
    assert match, stats
    assert float(match.group(1)) == round(size / minutes / 1e6, 3)
    assert float(match.group(2)) == round(minutes, 1)
    built = re.search(
        r"^tts: (\d+\.\d{3}) MB per minute of built audio \((\d+\.\d) minutes in (.+), pauses", stats, re.M
    )
    assert built, stats
    segments = [path for path in (mini_project / "output").rglob("*.mp3") if path.name[:2].isdigit()]
    built_minutes = sum(MP3(str(path)).info.length for path in segments) / 60  # as the files say, not the manifests
    assert abs(float(built.group(2)) - built_minutes) <= 0.05 + 0.01 * built_minutes
    assert abs(float(built.group(1)) - size / built_minutes / 1e6) <= 0.02 * size / built_minutes / 1e6
    assert built.group(3) == (mini_project / "output").as_posix()
    old = tts / "ab" / ("ab" + "1" * 62)
    old.parent.mkdir(exist_ok=True)
    old.with_suffix(".wav").write_bytes(b"RIFF old entry")
    old.with_suffix(".json").write_text('{"bytes": 14, "sha256": "x", "text": "x"}', encoding="utf-8")
    stats = cli("cache", "stats", "--project", str(mini_project)).out
    speech_line = next(line for line in stats.splitlines() if "of cached speech" in line)
    assert speech_line.endswith(
        "; 1 entries from before FLAC left out (misses: a build that meets one deletes it, `cache prune` the rest)"
    )
    assert float(re.search(r"^tts: (\d+\.\d{3}) MB", stats, re.MULTILINE).group(1)) == round(size / minutes / 1e6, 3)


def test_stored_speech_is_joined_from_the_samples_it_was_stored_with(tmp_path: Path, monkeypatch) -> None:
    """A segment's freshly synthesised speech is joined without decoding its FLAC again: the
    samples kept are what the file decodes to, the joined audio is the same, and what is kept
    stays within the budget."""
    from pipeline.audio.level import Speech, join_pieces
    from pipeline.tts import Voice

    cache = speech_cache.SpeechCache(tmp_path / "tts")
    voice = Voice("espeak-ng", "en-us", 150, 1.0, "en")
    stored = []
    for number in range(3):
        key = f"{number:02d}" + "0" * 62
        samples = (3000 * np.sin(np.arange(22050 + number * 500) / (5 + number))).astype("int16")
        if number == 2:
            monkeypatch.setattr(speech_cache, "FRESH_SAMPLES_BUDGET", 2 * 22550 * 2)  # only two fit
        with cache.staging() as wav:
            soundfile.write(str(wav), samples, 22050, subtype="PCM_16")
            stored.append(cache.store(key, wav, f"text {number}", voice))
    assert sorted(cache.fresh) == sorted(stored[:2])
    for path, (samples, rate) in cache.fresh.items():
        decoded, decoded_rate = soundfile.read(str(path), dtype="int16", always_2d=True)
        assert rate == decoded_rate and np.array_equal(samples, decoded)
    pieces = [Speech(path, cue=path.name) for path in stored]
    from_files = join_pieces(pieces)
    from_samples = join_pieces(pieces, decoded=cache.fresh)
    assert np.array_equal(from_files.samples.array(), from_samples.samples.array())
    assert from_files.cues == from_samples.cues


def test_one_scratch_file_takes_every_utterance_and_is_gone_when_the_cache_closes(tmp_path: Path) -> None:
    """The engine writes each new utterance into the same scratch file (the same inode: no file
    made and deleted per utterance); what is stored is each utterance's own audio, and closing
    the cache leaves only the entries."""
    from pipeline.tts import Voice

    voice = Voice("espeak-ng", "en-us", 160, 1.0, "en")
    folder = tmp_path / "tts"
    inodes, stored = set(), []
    try:
        with speech_cache.SpeechCache(folder) as cache:
            for text in ("One short line.", "A second, rather longer line of speech.", "Three."):
                with cache.staging() as scratch:
                    pass
                stored.append(speech_cache.synthesise_cached(text, voice, cache))
                inodes.add(scratch.stat().st_ino)
                assert scratch.name.startswith(".utterance-") and is_partial(scratch.name)
    finally:
        close_backends()
    assert len(inodes) == 1 and not scratch.exists()
    lengths = [soundfile.info(str(path)).frames for path in stored]
    assert len(set(lengths)) == 3  # three different utterances, not one repeated
    assert sorted(p.suffix for p in folder.rglob("*") if p.is_file()) == [".flac"] * 3


def test_the_scratch_is_emptied_before_each_utterance_and_removed_when_the_engine_fails(tmp_path: Path) -> None:
    """An engine that fails or writes nothing can never hand on the previous utterance's audio."""
    cache = speech_cache.SpeechCache(tmp_path / "tts")
    with cache.staging() as scratch:
        scratch.write_bytes(b"RIFF the previous utterance")
    with cache.staging() as again:
        assert again == scratch and scratch.read_bytes() == b""
    try:
        with cache.staging() as failing:
            failing.write_bytes(b"half an utterance")
            raise RuntimeError("the engine failed")
    except RuntimeError:
        pass
    assert not scratch.exists()
    cache.close()
    assert not list((tmp_path / "tts").iterdir())


def test_an_entry_is_one_file_in_sixteen_folders_and_earlier_entries_are_still_used(tmp_path: Path) -> None:
    """A new FLAC entry is one file (its record inside) in the folder of its key's first digit;
    an entry written in the earlier layout (256 folders, the record beside the data) is found
    and used where it is, and a damaged one of either kind is removed, never used."""
    from pipeline.tts import Voice

    cache = speech_cache.SpeechCache(tmp_path)
    voice = Voice("espeak-ng", "en-us", 150, 1.0, "en")
    samples = (3000 * np.sin(np.arange(22050) / 5)).astype("int16")
    new_key, earlier_key = "c1" + "0" * 62, "c2" + "0" * 62
    with cache.staging() as wav:
        soundfile.write(str(wav), samples, 22050, subtype="PCM_16")
        stored = cache.store(new_key, wav, "new", voice)
    cache.close()
    assert stored == tmp_path / "c" / f"{new_key}.flac" and sorted(tmp_path.rglob("*.*")) == [stored]
    assert cache.lookup(new_key) == stored
    earlier = tmp_path / "c2" / f"{earlier_key}.flac"
    earlier.parent.mkdir()
    data = speech_cache.flac_bytes(samples, 22050)
    earlier.write_bytes(data)
    record = {"format": "flac", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "seconds": 1.0}
    earlier.with_suffix(".json").write_text(json.dumps(record), encoding="utf-8")
    assert cache.lookup(earlier_key) == earlier
    assert np.array_equal(soundfile.read(str(stored), dtype="int16")[0], samples)
    stored.write_bytes(stored.read_bytes()[:-10])  # cut short
    earlier.write_bytes(data[:-10])
    assert cache.lookup(new_key) is None and cache.lookup(earlier_key) is None
    assert not list(tmp_path.rglob("*.*"))


def test_the_record_inside_a_flac_leaves_the_stream_as_the_encoder_wrote_it(tmp_path: Path) -> None:
    samples = (2000 * np.sin(np.arange(30000) / 9)).astype("int16")
    stream = speech_cache.flac_bytes(samples, 22050)
    record = {"format": "flac", "text": "말씀드립니다 — a line", "seconds": 1.361}
    with_record = flac_record.with_record(stream, record)
    found, original = flac_record.split_record(with_record)
    assert original == stream and flac_record.is_intact(found, original)
    assert found == {**record, "bytes": len(stream), "sha256": hashlib.sha256(stream).hexdigest()}
    path = tmp_path / "entry.flac"
    path.write_bytes(with_record)
    assert flac_record.record_of_file(path) == found
    decoded, rate = soundfile.read(str(path), dtype="int16")  # any decoder skips the block
    assert rate == 22050 and np.array_equal(decoded, samples)
    assert flac_record.split_record(stream) is None  # a FLAC without one
    damaged = bytearray(with_record)
    damaged[-5] ^= 0xFF
    assert not flac_record.is_intact(*flac_record.split_record(bytes(damaged)))
    frames_at = 46 + int.from_bytes(stream[43:46], "big")  # after STREAMINFO and the encoder's comment block
    lone_info = stream[:4] + bytes([stream[4] | 0x80]) + stream[5:42] + stream[frames_at:]
    assert flac_record.split_record(flac_record.with_record(lone_info, {}))[1] == lone_info  # STREAMINFO was last


def test_a_build_sweeps_the_scratch_file_a_killed_worker_left_in_the_cache(mini_project: Path) -> None:
    tts = mini_project / ".cache" / "tts"
    tts.mkdir(parents=True)
    left = tts / ".utterance-4242-0badc0de.part.wav"  # what a worker killed mid-utterance leaves
    left.write_bytes(b"RIFF half an utterance")
    build_english(mini_project)
    assert not left.exists()
    assert not [path for path in tts.rglob("*") if is_partial(path.name)]
