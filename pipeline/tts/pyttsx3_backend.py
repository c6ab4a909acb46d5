"""The pyttsx3 backend: the system's voices (SAPI5, macOS, espeak) in an engine process.

Entry point: :class:`Pyttsx3Backend`. pyttsx3 is unsafe to drive directly in
a batch (see ARCHITECTURE.md, hazards): on Linux ``runAndWait()`` may return
before the WAV exists, a reused engine can write one text's audio under
another file's name, errors inside its loop are swallowed and a failed
engine stays wedged. So the engine lives in its own process, started with
``spawn`` and never forked after creation; each request is answered only
after the ``finished-utterance`` event and a readable WAV; a request that
takes longer than its timeout kills the process; an engine that raised once
is never used again; and the process is recycled after a number of jobs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import wave
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipeline.errors import SynthesisError, VoiceError
from pipeline.processes import die_with_parent
from pipeline.tts import Voice, VoiceInfo, normalise_tag
from pipeline.tts.wavcheck import check_wav

START_TIMEOUT = 60.0
FILE_SETTLE_TIMEOUT = 10.0
DEFAULT_RECYCLE_AFTER = 200


class Pyttsx3Backend:
    """Synthesis through pyttsx3, one engine process at a time."""

    name = "pyttsx3"

    def __init__(self, driver: str | None = None, recycle_after: int = DEFAULT_RECYCLE_AFTER) -> None:
        self.driver = driver
        self.recycle_after = recycle_after
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._jobs = 0
        self._info: dict[str, Any] | None = None
        self.engine_starts = 0
        self.retries = 0

    def version(self, lang: str = "") -> str:
        """pyttsx3 version, driver, and the espeak data fingerprint where espeak is the driver."""
        info = self._engine_info()
        text = f"pyttsx3 {info['version']} driver {info['driver']}"
        if info["driver"] == "espeak":
            from pipeline.tts.espeak import EspeakNgBackend

            text += f" ({EspeakNgBackend().version(lang)})"
        return text

    def voices(self) -> list[VoiceInfo]:
        """Installed voices as the driver lists them."""
        return [
            VoiceInfo(v["id"], v["name"], tuple(normalise_tag(t) for t in v["languages"]), v["gender"])
            for v in self._engine_info()["voices"]
        ]

    def synthesise(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        """Speak ``text`` into ``out_wav`` in the engine process and check the WAV.

        A failed attempt discards the engine; the text is tried once more on a
        fresh one (espeak's driver occasionally writes an empty file).
        """
        if not text.strip():
            raise SynthesisError("nothing to say: empty text")
        try:
            self._attempt(text, voice, out_wav, timeout)
        except SynthesisError:
            self._kill()
            self.retries += 1
            self._attempt(text, voice, out_wav, timeout)
        self._jobs += 1
        if self._jobs >= self.recycle_after:
            self.close()

    def _attempt(self, text: str, voice: Voice, out_wav: Path, timeout: float) -> None:
        out_wav.unlink(missing_ok=True)
        request = ("speak", text, voice.voice_id, voice.rate, voice.volume, str(out_wav))
        self._call(request, timeout, what=f"speaking {text[:60]!r}")
        check_wav(out_wav, text, voice.lang)

    def close(self) -> None:
        """Stop the engine process."""
        if self._conn is not None:
            with contextlib.suppress(OSError, EOFError):
                self._conn.send(("quit",))
        if self._process is not None:
            self._process.join(timeout=5)
        self._kill()

    def _engine_info(self) -> dict[str, Any]:
        if self._info is None:
            self._info = self._call(("info",), START_TIMEOUT, what="listing voices")
        return self._info

    def _call(self, request: tuple[Any, ...], timeout: float, what: str) -> Any:
        conn = self._ensure_engine()
        try:
            conn.send(request)
            ready = conn.poll(timeout)
        except (OSError, EOFError) as exc:
            self._kill()
            raise SynthesisError(f"pyttsx3 engine process died while {what}") from exc
        if not ready:
            self._kill()
            raise SynthesisError(f"pyttsx3 engine timed out after {timeout:.0f} s while {what}")
        try:
            status, payload = conn.recv()
        except (EOFError, OSError) as exc:
            self._kill()
            raise SynthesisError(f"pyttsx3 engine process crashed while {what}") from exc
        if status != "ok":
            self._kill()  # an engine that raised is never reused
            error_class = VoiceError if status == "start-failed" else SynthesisError
            raise error_class(f"pyttsx3 failed while {what}: {payload}")
        return payload

    def _ensure_engine(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._kill()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=engine_host, args=(child, self.driver, os.getpid()), daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self.engine_starts += 1
        return parent

    def _kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._process = None
        self._conn = None
        self._jobs = 0


def engine_host(conn: Connection, driver: str | None, parent: int) -> None:
    """Engine process main loop: answer requests until told to quit or an error happens
    (``parent``: the process that started it; the engine dies with it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the process that started it stops it
    die_with_parent(signal.SIGKILL, parent)
    _silence_stdout()
    try:
        import pyttsx3

        engine = pyttsx3.init(driver)
    except Exception as exc:  # any engine start failure is reported, not raised
        conn.send(("start-failed", f"{type(exc).__name__}: {exc}"))
        return
    finished = threading.Event()
    errors: list[BaseException] = []
    engine.connect("finished-utterance", lambda name=None, completed=True: finished.set())
    engine.connect("error", lambda name=None, exception=None: errors.append(exception))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request[0] == "quit":
            return
        try:
            if request[0] == "info":
                reply = _describe(engine, driver)
            else:
                _speak(engine, finished, errors, *request[1:])
                reply = None
        except Exception as exc:  # reported to the parent, then this engine is discarded
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("ok", reply))


def _speak(
    engine: Any,
    finished: threading.Event,
    errors: list[BaseException],
    text: str,
    voice_id: str,
    rate: int,
    volume: float,
    path: str,
) -> None:
    finished.clear()
    errors.clear()
    _settle(engine)
    engine.setProperty("voice", voice_id)
    engine.setProperty("rate", rate)
    engine.setProperty("volume", min(volume, 1.0))
    engine.save_to_file(text, path)
    engine.runAndWait()
    if not finished.wait(FILE_SETTLE_TIMEOUT):
        raise RuntimeError("the engine never reported the end of the utterance")
    if errors:
        raise RuntimeError(f"engine error: {errors[0]}")
    _settle(engine)
    _wait_for_wav(Path(path))


def _settle(engine: Any) -> None:
    """espeak synthesises on its own thread: wait until it is idle, so that the last
    utterance's final samples and the next one's settings cannot cross."""
    if type(engine.proxy._driver).__module__.endswith(".espeak"):
        from pyttsx3.drivers import _espeak

        _espeak.Synchronize()


def _wait_for_wav(path: Path) -> None:
    """Some drivers finish writing after the end event: wait for a stable, readable file."""
    deadline = time.monotonic() + FILE_SETTLE_TIMEOUT
    last_size = -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else -1
        frames = _frames(path) if size >= 0 and size == last_size else None
        if frames == 0:
            raise RuntimeError("the engine wrote a WAV with no audio")
        if frames:
            return
        last_size = size
        time.sleep(0.02)
    raise RuntimeError(f"the engine did not finish writing {path.name}")


def _frames(path: Path) -> int | None:
    """Frame count of a readable WAV, None while it is not readable yet."""
    try:
        with wave.open(str(path), "rb") as reader:
            return reader.getnframes()
    except (wave.Error, EOFError, OSError):
        return None


def _describe(engine: Any, driver: str | None) -> dict[str, Any]:
    import pyttsx3

    voices = []
    for voice in engine.getProperty("voices"):
        languages = [
            lang.decode("utf-8", "replace") if isinstance(lang, bytes) else str(lang)
            for lang in (voice.languages or [])
        ]
        voices.append(
            {
                "id": voice.id,
                "name": voice.name or voice.id,
                "languages": languages,
                "gender": voice.gender or "",
            }
        )
    driver_name = driver or type(engine.proxy._driver).__module__.rsplit(".", 1)[-1]
    return {
        "version": getattr(pyttsx3, "__version__", "2.99"),
        "driver": driver_name,
        "voices": voices,
    }


def _silence_stdout() -> None:
    """pyttsx3 prints progress on stdout; keep the parent's output clean."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - lives as long as the process
