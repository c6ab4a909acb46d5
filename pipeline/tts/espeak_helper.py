"""The espeak-ng synthesis helper: libespeak-ng loaded once, one forked child per utterance.

Run as a program by :mod:`pipeline.tts.espeak_server` (``python -I -S
espeak_helper.py <worker pid>``), never imported by the build. It loads
libespeak-ng through ctypes, initialises it exactly as the ``espeak-ng``
program does for ``-w`` (synchronous output, the default buffer), answers one
message (``{"ready": ...}`` with the library's version and data folder, or
``{"error": ...}``), then serves requests: one message on stdin each
(``voice``, ``rate``, ``volume``, ``text``, ``out``, and optionally
``cpu``), one message back (``{"ok": True}`` or ``{"ok": False, "error": ...}``). A message is a dict in
:mod:`marshal`'s format (both ends run the same interpreter) behind its length,
4 bytes little-endian: see :func:`frame`.

Why processes, three levels of them: libespeak-ng keeps state from one call
to the next. Successive utterances in one process differ (the same text came
out 71,439 to 71,655 samples long, against 71,651 from the program; ``srand``
does not fix it), and so does switching voices: a process that set ``ko`` and
``en-us`` in turn 33 times, forking a child to speak after each, got other
samples from then on (measured with a C harness over the same library, so
not Python's doing). What always matches the program is its own sequence of
calls from a freshly initialised library. So the helper only initialises
and never changes its state; for each voice, rate and volume it forks a
*template* that sets them once (the program's calls, in its order) and
never changes its state either; and for each utterance the template forks a
child that speaks the text with the program's flags (``espeakCHARS_AUTO |
espeakPHONEMES | espeakENDPAUSE | espeakSSML``), writes the WAV the program
would have written (same 44-byte header, same samples: proven by
``tests/tts/test_espeak_library.py``), answers and exits. Keeping the
templates saves loading the voice per utterance (measured 0.3 ms for Korean,
3.9 ms for English).

Where they run: a request names the processor the asking worker thread was
on (``cpu``), and the helper moves itself and the voice's template there
before handing the request on, so the child forked for it starts there too;
the child then lets itself run anywhere it may again, so that the balancer
can still move it (two threads of a cluster worker can ask from one
processor). The worker waits for the answer, so that processor is free;
left to itself, Linux placed the newly forked child by load, often on the
processor busy with the other worker, and the waiting worker's one stayed
idle until the balancer moved it: a cold build of the sample station (two
workers on two cores, ``perf sched``) left the processors idle 0.62-0.73 s
in total, 0.40-0.41 s when the helpers follow their workers; twelve
alternated builds took 6.04 s (median) as they were and 5.93 s with this.
A processor outside the helper's allowed set (or one it may no longer use)
leaves the processes where they are.

Every process dies with its parent (``PR_SET_PDEATHSIG``: the helper with
the worker thread that started it, a template with the helper, a child with
its template), and all of them share the helper's process group, which the
worker kills whole on a timeout or when it stops.

Why so few imports: every utterance forks a template, and a fork's cost grows
with the forking process's anonymous memory (its page tables are copied, and
the child then faults in the pages it writes). The helper therefore runs
without the site module and imports only ctypes, marshal and struct: no json
(it brings re and enum), no wave, no signal (enum), no :mod:`pipeline`
(subprocess, typing). A template then holds 5.4 MB of RssAnon instead of
8.9 MB. Measured with ``benchmarks/synthesis_overhead.py`` (six alternated
runs of 200 utterances each, medians, load 0.8-1.5 on 2 cores), the helper's
CPU per utterance of "a" (all overhead) went from 2.49 to 1.88 ms, of a
15-word English sentence from 7.07 to 6.40 ms, and starting the helper from
56 to 30 ms.
"""

from __future__ import annotations

import ctypes
import marshal
import os
import struct
import sys

TYPE_CHECKING = False  # typing is not imported at run time (see the docstring); mypy reads the names
if TYPE_CHECKING:
    from typing import Any

LIBRARY = "libespeak-ng.so.1"
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # report a failure instead of exiting the process
ESPEAK_RATE, ESPEAK_VOLUME = 1, 2
POS_CHARACTER = 1
# The program's flags: espeakCHARS_AUTO (0) | espeakPHONEMES | espeakENDPAUSE, and espeakSSML for -m.
SYNTH_FLAGS = 0x100 | 0x1000 | 0x10
SAMPLE_WIDTH = 2
SYNTH_FAILED = 4  # a child's exit statuses when it failed but answered (0: it spoke and answered)
WRITE_FAILED = 5
MAX_TEMPLATES = 16  # voice, rate and volume combinations kept ready; a station uses a handful
SIGKILL = 9  # Linux's number (the helper runs on Linux only; the signal module imports enum)
PR_SET_PDEATHSIG = 1
LENGTH = struct.Struct("<I")  # the length in front of every message
# The program's WAV header: RIFF, the standard 16-byte PCM format chunk (mono, 16 bits), the data chunk.
WAV_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")

Setting = tuple[str, int, int]  # voice id, rate, volume (0-200): what a template sets

_PRCTL = ctypes.CDLL(None).prctl  # looked up once, before any fork: a child only calls it
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _VoiceSpec(ctypes.Structure):
    """espeak_VOICE: what espeak_ng_SetVoiceByProperties matches on."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class Library:
    """libespeak-ng, initialised as the program initialises it for ``-w``."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(LIBRARY)
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.sample_rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise OSError(f"espeak_Initialize failed ({self.sample_rate})")
        self.chunks: list[bytes] = []
        self.called = False
        self._callback = _SYNTH_CALLBACK(self._collect)  # kept referenced: the library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def describe(self) -> dict[str, Any]:
        """The library's version and data folder, to compare with the program's ``--version``."""
        folder = ctypes.c_char_p()
        version = self.lib.espeak_Info(ctypes.byref(folder))
        return {"version": version.decode(), "data": (folder.value or b"").decode(), "rate": self.sample_rate}

    def select(self, voice: str, rate: int, volume: int) -> str:
        """Set voice, rate and volume as the program does (name first, then by language); the
        program's error message when no voice matches, else ""."""
        name = voice.encode()
        if self.lib.espeak_ng_SetVoiceByName(name) != 0:
            spec = _VoiceSpec(languages=name)
            status = self.lib.espeak_ng_SetVoiceByProperties(ctypes.byref(spec))
            if status != 0:
                return self.status_message(status)
        self.lib.espeak_SetParameter(ESPEAK_RATE, rate, 0)
        self.lib.espeak_SetParameter(ESPEAK_VOLUME, volume, 0)
        return ""

    def status_message(self, status: int) -> str:
        """What the program prints for ``status`` (espeak_ng_PrintStatusCodeMessage without a context)."""
        text = ctypes.create_string_buffer(512)
        self.lib.espeak_ng_GetStatusCodeMessage(status, text, len(text))
        return f"Error: {text.value.decode('utf-8', 'replace')}."

    def speak(self, text: str) -> bytes | None:
        """The samples of ``text`` (16-bit, native order); None when the library never called back
        with audio (the program then writes no file)."""
        self.chunks.clear()
        self.called = False
        data = text.encode("utf-8") + b"\0"
        if self.lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, SYNTH_FLAGS, None, None) != 0:
            raise OSError("espeak_Synth failed")
        if self.lib.espeak_Synchronize() != 0:
            raise OSError("espeak_Synchronize failed")
        return b"".join(self.chunks) if self.called else None

    def _collect(self, samples: Any, count: int, events: Any) -> int:
        if samples:
            self.called = True
            if count > 0:
                self.chunks.append(ctypes.string_at(samples, count * SAMPLE_WIDTH))
        return 0


def frame(message: dict[str, Any]) -> bytes:
    """``message`` as sent on a pipe: its length, then its marshal bytes."""
    data = marshal.dumps(message)
    return LENGTH.pack(len(data)) + data


def read_frame(descriptor: int) -> bytes | None:
    """The next whole message (its length included) read from ``descriptor``; None at its end."""
    head = _read_exactly(descriptor, LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(descriptor, LENGTH.unpack(head)[0])
    if body is None:
        return None
    return head + body


def _read_exactly(descriptor: int, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = os.read(descriptor, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def request_of(message: bytes) -> dict[str, Any]:
    """The request a whole message (from :func:`read_frame`) carries."""
    request: dict[str, Any] = marshal.loads(message[LENGTH.size :])
    return request


def answer(message: dict[str, Any]) -> None:
    """One reply on stdout, unbuffered (a child and the helper share the pipe, never at once)."""
    _write_all(1, frame(message))


def die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies; exit now if it already has (the
    package's :func:`pipeline.processes.die_with_parent` is not imported: see the docstring)."""
    _PRCTL(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(128 + SIGKILL)


def write_wav(path: str, samples: bytes, sample_rate: int) -> None:
    """The WAV the program writes: the standard 44-byte PCM header, mono, 16 bits."""
    size = len(samples)
    header = WAV_HEADER.pack(
        b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, 1, 1, sample_rate, sample_rate * SAMPLE_WIDTH, SAMPLE_WIDTH,
        8 * SAMPLE_WIDTH, b"data", size,
    )  # fmt: skip
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        _write_all(descriptor, header)
        _write_all(descriptor, samples)
    finally:
        os.close(descriptor)


def utterance(library: Library, message: bytes, template: int, allowed: set[int]) -> None:
    """In the forked child: free to run on any of the ``allowed`` processors again (it was
    forked onto its worker's: see the docstring), speak the request's text, write the WAV,
    answer, exit. Never returns."""
    status = 0
    try:
        die_with_parent(template)
        _run_on(allowed)
        request = request_of(message)
        samples = library.speak(request["text"])
        if samples is not None:
            write_wav(request["out"], samples, library.sample_rate)
        answer({"ok": True})
    except OSError as exc:
        status = WRITE_FAILED if exc.filename else SYNTH_FAILED
        answer({"ok": False, "error": str(exc.strerror or exc)})
    except BaseException as exc:  # the child must answer whatever happens, or the worker waits to its timeout
        status = SYNTH_FAILED
        answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        os._exit(status)


def template(library: Library, voice: Setting, requests: int, helper: int, allowed: set[int]) -> None:
    """In a forked template: set ``voice`` once, then fork a child per request read from
    ``requests`` (a refused voice answers every request with the program's refusal). Never returns."""
    status = 0
    try:
        die_with_parent(helper)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the worker's request pipe is the helper's alone
        refusal = library.select(*voice)
        me = os.getpid()
        while (message := read_frame(requests)) is not None:
            if refusal:
                answer({"ok": False, "error": refusal})
                continue
            child = os.fork()
            if child == 0:
                utterance(library, message, me, allowed)
            _, ended = os.waitpid(child, 0)
            code = os.waitstatus_to_exitcode(ended)
            if code not in (0, SYNTH_FAILED, WRITE_FAILED):  # it died before it could answer
                answer({"ok": False, "error": f"the synthesis process ended with status {code}"})
    except BaseException:
        status = 1
    finally:
        os._exit(status)


class Templates:
    """The helper's template processes, one per voice, rate and volume (the most recent few)."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.helper = os.getpid()
        self.running: dict[Setting, tuple[int, int]] = {}  # voice → (process id, request pipe)
        self.allowed = os.sched_getaffinity(0)  # the processors the worker let the helper use

    def forward(self, voice: Setting, message: bytes, cpu: int = -1) -> None:
        """Hand ``message`` to ``voice``'s template, starting it (again) when needed; first move
        the helper and the template to processor ``cpu`` (see the docstring) when it may."""
        for _ in range(2):
            template_pid, pipe = self.running.get(voice) or self._start(voice)
            self._move_to(cpu, template_pid)
            try:
                _write_all(pipe, message)
                return
            except BrokenPipeError:  # the template died (it never should): start another
                self._stop(voice)
        answer({"ok": False, "error": "the synthesis template could not be started"})

    def _move_to(self, cpu: int, template_pid: int) -> None:
        """Run the helper and the template on ``cpu`` from now on, if it is one they may use."""
        if cpu in self.allowed:
            _run_on({cpu}, template_pid)
            _run_on({cpu})

    def _start(self, voice: Setting) -> tuple[int, int]:
        if len(self.running) >= MAX_TEMPLATES:
            self._stop(next(iter(self.running)))  # the oldest
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(write_end)
            for _, other in self.running.values():
                os.close(other)
            template(self.library, voice, read_end, self.helper, self.allowed)
        os.close(read_end)
        self.running[voice] = (pid, write_end)
        return pid, write_end

    def stop_all(self) -> None:
        """Stop every template and reap it, so that its CPU (its children's with it) is counted as
        this helper's when the worker reaps the helper."""
        for voice in list(self.running):
            self._stop(voice)

    def _stop(self, voice: Setting) -> None:
        """Close the template's pipe (it leaves at the end of its requests) and reap it."""
        pid, pipe = self.running.pop(voice)
        os.close(pipe)
        os.waitpid(pid, 0)


def _run_on(processors: set[int], pid: int = 0) -> None:
    """Let process ``pid`` (0: this one) run on ``processors`` only; where that is refused (a
    cpuset changed under it), it stays where the system puts it."""
    try:  # noqa: SIM105 (contextlib is not imported here: every module the helper loads is copied into each fork)
        os.sched_setaffinity(pid, processors)
    except OSError:
        pass


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def serve(library: Library) -> None:
    """Hand every request on stdin to its voice's template until stdin ends; then stop them."""
    templates = Templates(library)
    try:
        while (message := read_frame(0)) is not None:
            request = request_of(message)
            setting = (request["voice"], int(request["rate"]), int(request["volume"]))
            templates.forward(setting, message, int(request.get("cpu", -1)))
    finally:
        templates.stop_all()


def main(argv: list[str]) -> int:
    """Die with the worker named on the command line, initialise, say so, serve."""
    die_with_parent(int(argv[1]))
    try:
        library = Library()
    except (OSError, AttributeError) as exc:
        answer({"error": f"cannot load {LIBRARY}: {exc}"})
        return 1
    answer({"ready": library.describe()})
    serve(library)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
