"""The worker's side of in-process espeak-ng: a synthesis helper per thread, asked over pipes.

Entry point: :class:`SynthesisServer` (``synthesise`` one text into one WAV,
``close``). Requests and replies are :mod:`marshal`'d dicts behind their
length (the helper runs this same interpreter). The helper (:mod:`pipeline.tts.espeak_helper`) is a small Python
process that loads libespeak-ng once and forks, per voice, a template that
forks a child per utterance, so that every utterance starts from the state
the ``espeak-ng`` program starts from and comes out byte-identical to the
program's WAV. Measured with ``benchmarks/synthesis_paths.py`` (the sample
station's 182 catalog messages, Korean and English, from a process holding
300 MB, medians of 3 alternated rounds, load average 14 on 2 cores): the
program started with a ``preexec_fn`` cost 8.5 ms of the worker's CPU and
22.6 ms of its own per part; started through setpriv 1.0 + 15.3 ms; the
helper 0.7 + 10.8 ms (its templates and children included). Synthesising the
same texts one after another in one process, which does not give the
program's bytes, takes 6.6 ms.

Each thread that synthesises gets its own helper (a cluster worker runs jobs
in threads; a helper serves one request at a time), started without a
``preexec_fn``: it sets its own death signal, so it dies with the thread that
started it. A request names the processor the asking thread is on, where the
helper speaks it (see the helper's docstring). The helper's process group is registered with
:mod:`pipeline.processes`, so :func:`~pipeline.processes.kill_engines` kills it
with its child; a request that runs past its timeout kills the group too,
and the next request starts a fresh helper.
"""

from __future__ import annotations

import marshal
import os
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.processes import current_cpu, start_engine_host, stop_engine_host

HELPER = Path(__file__).with_name("espeak_helper.py")
# Isolated (no PYTHON* variables, no user or current folder on the path) and without the site
# module: the helper needs only the standard library, and every module it does not import keeps
# its forks cheaper (see the helper's docstring).
HELPER_FLAGS = ("-I", "-S")
LENGTH = struct.Struct("<I")  # the length in front of every message, as the helper frames them
START_TIMEOUT = 30.0  # loading the library and its phoneme data takes a few milliseconds


class HelperUnavailable(Exception):
    """The helper cannot run here, or its library is not the program's: use the program."""


class HelperFailed(Exception):
    """One request failed (its message says why); the helper, if alive, serves the next."""


class SynthesisServer:
    """Synthesis helpers for the threads of this process, checked against the program's
    ``version`` and voice-data ``data`` folder before their first use."""

    def __init__(self, version: str, data: Path | None) -> None:
        self.version = version
        self.data = data
        self._local = threading.local()
        self._lock = threading.Lock()
        self._helpers: set[subprocess.Popen[bytes]] = set()

    def synthesise(self, text: str, voice: str, rate: int, volume: int, out_wav: Path, timeout: float) -> None:
        """Write the WAV of SSML ``text`` to ``out_wav``. TimeoutError when it runs past ``timeout``
        seconds (the helper is killed with the utterance); HelperFailed when the library refuses;
        HelperUnavailable when no helper can start here."""
        helper = self._helper()
        request = {"voice": voice, "rate": rate, "volume": volume, "text": text, "out": str(out_wav)}
        request["cpu"] = current_cpu()  # where the helper speaks: this thread leaves it free as it waits
        try:
            assert helper.stdin is not None
            message = marshal.dumps(request)
            helper.stdin.write(LENGTH.pack(len(message)) + message)
            helper.stdin.flush()
            reply = _read_reply(helper, time.monotonic() + timeout)
        except BrokenPipeError as exc:
            self._discard(helper)
            raise HelperFailed(f"the synthesis helper ended (status {helper.poll()})") from exc
        except BaseException:
            self._discard(helper)
            raise
        if not reply.get("ok"):
            raise HelperFailed(str(reply.get("error", "no reason given")))

    def close(self) -> None:
        """Stop every helper (each leaves when its stdin closes; killed if it does not)."""
        with self._lock:
            helpers, self._helpers = self._helpers, set()
        for helper in helpers:
            stop_engine_host(helper)

    def _helper(self) -> subprocess.Popen[bytes]:
        helper: subprocess.Popen[bytes] | None = getattr(self._local, "helper", None)
        if helper is not None and helper.poll() is None:
            return helper
        if helper is not None:  # it died between requests (its thread ended, or it was killed)
            self._discard(helper)
        helper = self._start()
        self._local.helper = helper
        return helper

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            helper = start_engine_host([sys.executable, *HELPER_FLAGS, str(HELPER), str(os.getpid())])
        except OSError as exc:
            raise HelperUnavailable(f"cannot start the synthesis helper: {exc}") from exc
        with self._lock:
            self._helpers.add(helper)
        try:
            reply = _read_reply(helper, time.monotonic() + START_TIMEOUT)
            self._check_library(reply)
        except (HelperFailed, HelperUnavailable, TimeoutError) as exc:
            self._discard(helper)
            raise HelperUnavailable(str(exc)) from exc
        except BaseException:
            self._discard(helper)
            raise
        return helper

    def _check_library(self, reply: dict[str, Any]) -> None:
        if "ready" not in reply:
            raise HelperUnavailable(str(reply.get("error", "the synthesis helper did not start")))
        library = reply["ready"]
        if library["version"] != self.version or self.data is None or Path(library["data"]) != self.data:
            raise HelperUnavailable(
                f"libespeak-ng {library['version']} with data at {library['data']} is not the program's "
                f"({self.version}, data at {self.data})"
            )

    def _discard(self, helper: subprocess.Popen[bytes]) -> None:
        """Kill ``helper`` and its group, reap it, and forget it."""
        stop_engine_host(helper, kill=True)
        with self._lock:
            self._helpers.discard(helper)
        if getattr(self._local, "helper", None) is helper:
            self._local.helper = None


def _read_reply(helper: subprocess.Popen[bytes], deadline: float) -> dict[str, Any]:
    """The helper's next answer (a dict, framed as in :func:`pipeline.tts.espeak_helper.frame`);
    TimeoutError past ``deadline``, HelperFailed if the helper ends."""
    head = _read_exactly(helper, LENGTH.size, deadline)
    reply: dict[str, Any] = marshal.loads(_read_exactly(helper, LENGTH.unpack(head)[0], deadline))
    return reply


def _read_exactly(helper: subprocess.Popen[bytes], size: int, deadline: float) -> bytes:
    assert helper.stdout is not None
    descriptor = helper.stdout.fileno()
    data = bytearray()
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(descriptor, size - len(data))
        if not chunk:
            raise HelperFailed(f"the synthesis helper ended (status {helper.poll()})")
        data += chunk
    return bytes(data)
