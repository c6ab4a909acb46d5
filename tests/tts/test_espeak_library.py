"""libespeak-ng through the forking helper gives the program's bytes, honours timeouts, leaves nothing behind.

The program (``PIPELINE_ESPEAK=program``) is the reference: every comparison
runs the real program and the real library on the same texts.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from babel.messages.pofile import read_po

from pipeline.audio.ffmpeg import tool_path
from pipeline.audio.level import trim_silence
from pipeline.errors import SynthesisError
from pipeline.processes import kill_engines
from pipeline.tts import Voice, espeak_server
from pipeline.tts.espeak import PATH_VARIABLE, EspeakNgBackend, data_folder
from pipeline.tts.espeak_server import HelperUnavailable, SynthesisServer
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the library path is Linux only")

# Texts that stress the text path: SSML-escaped characters, digits, quotes, phoneme brackets, a
# newline, one word, a question, Latin inside Korean.
AWKWARD = [
    ("ko", "네."),
    ("ko", "라디오 & 텔레비전 <밤> 방송은 3시 > 2시입니다."),
    ("ko", '"외부 정보"는 2019년에 45% 늘었다고 합니다.\n그러나 처벌도 늘었습니다.'),
    ("ko", "USB와 SD 카드로 드라마가 퍼집니다?"),
    ("en", "Fish & chips < 5 pounds > nothing; isn't it?"),
    ("en", "Hello."),
    ("en", "The [[h@l'oU]] marker and 1,234.5 kilometres."),
    ("en", 'In 2019, 45% said "yes" - the rest didn\'t.'),
]
VOICES = {"ko": ["ko", "ko+f2", "ko+m3"], "en": ["en-us", "en-gb", "en-gb-x-rp", "en-us+f3"]}
# A station's usual settings, met again and again (each voice, rate and volume gets a template).
USUAL = {
    "ko": [Voice("espeak-ng", "ko", 150, 1.0, "ko"), Voice("espeak-ng", "ko+f2", 170, 1.0, "ko")],
    "en": [Voice("espeak-ng", "en-us", 165, 1.0, "en"), Voice("espeak-ng", "en-gb", 140, 1.3, "en")],
}


def catalog_texts(count: int | None, seed: int) -> list[tuple[str, str]]:
    """Korean translations and their English sources from the sample station's catalogs (all of
    them when ``count`` is None), long and short."""
    pairs = []
    for path in sorted((PROJECT_ROOT / "locales" / "ko" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and isinstance(message.id, str):
                    pairs.append((message.id, str(message.string)))
    chosen = pairs if count is None else random.Random(seed).sample(pairs, count)
    return [("ko", korean) for _, korean in chosen] + [("en", english) for english, _ in chosen]


def cases(seed: int, count: int | None = 14) -> list[tuple[str, Voice]]:
    """Texts in shuffled order (so the languages alternate often), most with a station's usual
    voices, the rest with any voice, rate and volume; some said twice."""
    shuffle = random.Random(seed)
    chosen = []
    for lang, text in AWKWARD + catalog_texts(count, seed):
        if shuffle.random() < 0.6:
            voice = shuffle.choice(USUAL[lang])
        else:
            rate, volume = shuffle.randrange(90, 260), shuffle.choice([0.5, 1.0, 1.3])
            voice = Voice("espeak-ng", shuffle.choice(VOICES[lang]), rate, volume, lang)
        chosen.append((text, voice))
    chosen += shuffle.sample(chosen, 6)  # the same text and voice again, later, after others
    shuffle.shuffle(chosen)
    return chosen


def kept(path: Path) -> tuple[int, bytes]:
    """The sample rate and the samples the build keeps of a WAV (its padding trimmed)."""
    with wave.open(str(path), "rb") as reader:
        rate = reader.getframerate()
        return rate, trim_silence(reader.readframes(reader.getnframes()), rate)


def through_program(backend: EspeakNgBackend, text: str, voice: Voice, out: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PATH_VARIABLE, "program")
        assert not backend.uses_library()
        backend.synthesise(text, voice, out, timeout=60)


def helpers_of(pid: int) -> list[psutil.Process]:
    """The live (not zombie) synthesis helpers of process ``pid``: its children running the helper
    (an utterance's child may still be exiting after it answered; it is the helper's child)."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "espeak_helper" in " ".join(child.cmdline()):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


Helpers = Callable[[], list[psutil.Process]]


@pytest.fixture
def new_helpers() -> Helpers:
    """The helpers of this process started since the test began (other tests' backends keep theirs)."""
    before = {helper.pid for helper in helpers_of(os.getpid())}
    return lambda: [helper for helper in helpers_of(os.getpid()) if helper.pid not in before]


def test_the_library_gives_the_programs_bytes_for_varied_texts_voices_and_orders(
    tmp_path: Path, new_helpers: Helpers
) -> None:
    library = EspeakNgBackend()
    program = EspeakNgBackend()
    assert library.uses_library(), library.library_unavailable
    try:
        # Every catalog message in both languages: well over a hundred voice changes, more voice,
        # rate and volume combinations than the helper keeps templates for.
        for n, (text, voice) in enumerate(cases(seed=5, count=None)):
            got, want = tmp_path / f"lib{n}.wav", tmp_path / f"prog{n}.wav"
            library.synthesise(text, voice, got, timeout=60)
            through_program(program, text, voice, want)
            assert kept(got) == kept(want), (voice, text)  # what the build keeps of each
            assert got.read_bytes() == want.read_bytes(), (voice, text)  # the whole file, padding and header too
        assert library.library_unavailable == ""
        assert len(new_helpers()) == 1  # one helper served every text of this thread
    finally:
        library.close()
    assert new_helpers() == []


def test_threads_each_get_a_helper_and_the_programs_bytes(tmp_path: Path, new_helpers: Helpers) -> None:
    backend = EspeakNgBackend()
    program = EspeakNgBackend()
    work = cases(seed=11)[:12]
    produced: dict[int, Path] = {}
    errors: list[BaseException] = []

    def speak(indexes: range) -> None:
        try:
            for n in indexes:
                produced[n] = tmp_path / f"t{n}.wav"
                backend.synthesise(work[n][0], work[n][1], produced[n], timeout=60)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=speak, args=(range(k, len(work), 2),)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    helpers_seen = set()
    while any(thread.is_alive() for thread in threads):
        helpers_seen.update(helper.pid for helper in new_helpers())
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert len(helpers_seen) == 2  # one per thread
    _, alive = psutil.wait_procs(new_helpers(), timeout=5)
    assert alive == []  # a helper ends with the thread that started it
    try:
        assert errors == []
        for n, (text, voice) in enumerate(work):
            reference = tmp_path / f"r{n}.wav"
            through_program(program, text, voice, reference)
            assert produced[n].read_bytes() == reference.read_bytes(), (voice, text)
    finally:
        backend.close()
    assert new_helpers() == []


def test_a_timeout_kills_the_utterance_and_the_next_text_is_spoken(tmp_path: Path, new_helpers: Helpers) -> None:
    backend = EspeakNgBackend()
    voice = Voice("espeak-ng", "ko", 160, 1.0, "ko")
    long_text = "외국 방송은 밤에 더 잘 들립니다. " * 200
    out = tmp_path / "slow.wav"
    try:
        with pytest.raises(SynthesisError, match=r"^espeak-ng timed out after 0 s on '외국 방송은"):
            backend.synthesise(long_text, voice, out, timeout=0.05)
        assert not out.exists()
        assert new_helpers() == []  # the helper and its utterance were killed with their group
        backend.synthesise("라디오.", voice, tmp_path / "next.wav", timeout=60)
        assert backend.uses_library()
    finally:
        backend.close()


def test_a_refused_voice_reads_as_the_programs_refusal(tmp_path: Path) -> None:
    voice = Voice("espeak-ng", "zz-nothing", 160, 1.0, "ko")
    messages = []
    for path in ("library", "program"):
        backend = EspeakNgBackend()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(PATH_VARIABLE, path)
            with pytest.raises(SynthesisError) as raised:
                backend.synthesise("라디오.", voice, tmp_path / f"{path}.wav", timeout=30)
        backend.close()
        messages.append(str(raised.value))
    assert (
        messages[0]
        == messages[1]
        == ("espeak-ng failed on '라디오.': Error: The specified espeak-ng voice does not exist.")
    )


def test_kill_engines_kills_the_helper_and_a_later_text_starts_another(tmp_path: Path, new_helpers: Helpers) -> None:
    backend = EspeakNgBackend()
    voice = Voice("espeak-ng", "en-us", 170, 1.0, "en")
    try:
        backend.synthesise("Radio.", voice, tmp_path / "a.wav", timeout=60)
        [helper] = new_helpers()
        kill_engines()
        psutil.wait_procs([helper], timeout=5)
        assert new_helpers() == []
        backend.synthesise("Radio again.", voice, tmp_path / "b.wav", timeout=60)
        [replacement] = new_helpers()
        assert replacement.pid != helper.pid
    finally:
        backend.close()


WORKER = """
import sys, time
from pathlib import Path
from pipeline.tts import Voice
from pipeline.tts.espeak import EspeakNgBackend
backend = EspeakNgBackend()
backend.synthesise("라디오.", Voice("espeak-ng", "ko", 160, 1.0, "ko"), Path(sys.argv[1]), timeout=60)
print("spoken", flush=True)
time.sleep(600)
"""


def test_the_helper_dies_with_a_killed_worker(tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path / "w.wav")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "spoken"
        [helper] = helpers_of(worker.pid)
        worker.kill()
        worker.wait(timeout=10)
        helper.wait(timeout=10)  # psutil.TimeoutExpired if it outlived the worker
    finally:
        worker.kill()
        worker.wait()


@pytest.fixture
def fresh_tool_paths():
    """Programs looked up again (their paths are remembered per process)."""
    tool_path.cache_clear()
    yield
    tool_path.cache_clear()


def test_a_wrapper_script_or_the_variable_keeps_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_tool_paths: None
) -> None:
    script = tmp_path / "bin" / "espeak-ng"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\nexec /usr/bin/espeak-ng "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    backend = EspeakNgBackend()
    assert backend.uses_library()
    monkeypatch.setenv(PATH_VARIABLE, "program")
    assert not backend.uses_library()
    monkeypatch.delenv(PATH_VARIABLE)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    tool_path.cache_clear()
    assert not backend.uses_library()  # a wrapper may do anything to the text: it must run


def test_a_library_that_is_not_the_programs_is_refused(tmp_path: Path, new_helpers: Helpers) -> None:
    server = SynthesisServer("0.0-other", data_folder())
    start = time.monotonic()
    with pytest.raises(HelperUnavailable, match=r"is not the program's \(0\.0-other"):
        server.synthesise("Radio.", "en-us", 170, 100, tmp_path / "x.wav", timeout=30)
    assert time.monotonic() - start < 30
    assert new_helpers() == []
    server.close()


def test_the_helper_runs_on_a_handful_of_standard_modules() -> None:
    """Every module the helper loads is copied into each fork: none of the heavy ones."""
    helper = Path(espeak_server.HELPER)
    probe = (
        "import sys; before = set(sys.modules); source = open(sys.argv[1], encoding='utf-8').read(); "
        "exec(compile(source, sys.argv[1], 'exec'), {'__name__': 'helper'}); "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    result = subprocess.run(
        [sys.executable, *espeak_server.HELPER_FLAGS, "-c", probe, str(helper)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    loaded = set(result.stdout.split())
    assert "ctypes" in loaded  # the probe saw the helper's imports
    heavy = {"json", "re", "enum", "typing", "subprocess", "wave", "signal", "pathlib", "pipeline", "site"}
    assert loaded & heavy == set(), loaded & heavy


def test_the_helper_and_its_template_move_to_the_processor_the_request_names(
    tmp_path: Path, new_helpers: Helpers, monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    named: list[int] = []
    monkeypatch.setattr(espeak_server, "current_cpu", lambda: named[-1])
    library = EspeakNgBackend()
    voice = Voice("espeak-ng", "en-us", 170, 1.0, "en")
    try:
        for cpu in (allowed[-1], allowed[0]):  # two processors where there are two: it moves
            named.append(cpu)
            library.synthesise("Radio.", voice, tmp_path / f"on{cpu}.wav", timeout=60)
            [helper] = new_helpers()
            [template] = helper.children()
            assert helper.cpu_affinity() == [cpu]
            assert template.cpu_affinity() == [cpu]
        named.append(max(allowed) + 4096)  # no such processor: left where they are, still spoken
        library.synthesise("Radio.", voice, tmp_path / "anywhere.wav", timeout=60)
        assert template.cpu_affinity() == [allowed[0]]
        assert (tmp_path / "anywhere.wav").read_bytes() == (tmp_path / f"on{allowed[0]}.wav").read_bytes()
    finally:
        library.close()


def test_the_child_forked_onto_the_named_processor_may_move_on(
    tmp_path: Path, new_helpers: Helpers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads asking from one processor must not keep both their utterances there."""
    allowed = sorted(os.sched_getaffinity(0))
    monkeypatch.setattr(espeak_server, "current_cpu", lambda: allowed[-1])
    library = EspeakNgBackend()
    voice = Voice("espeak-ng", "en-us", 170, 1.0, "en")
    seen: dict[str, list[int]] = {}

    def speak_long() -> None:
        with contextlib.suppress(SynthesisError):
            library.synthesise("The radio plays at night. " * 400, voice, tmp_path / "long.wav", timeout=3)

    speaker = threading.Thread(target=speak_long)
    speaker.start()
    try:
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            for helper in new_helpers():
                for template in helper.children():
                    for child in template.children():
                        with contextlib.suppress(psutil.Error):
                            seen = {"template": template.cpu_affinity(), "child": child.cpu_affinity()}
            time.sleep(0.005)
    finally:
        speaker.join()  # the utterance ends, or its helper is killed at the timeout
        library.close()
    assert seen == {"template": [allowed[-1]], "child": allowed}
