"""Stopping a build on a signal: SIGTERM and SIGHUP are handled like Ctrl-C (SIGINT).

Entry points: :func:`stop_on_signals` (a context manager for the main
thread) and :class:`Interrupted`. Schedulers stop a job with SIGTERM
(systemd, cron wrappers, ``timeout``) and a closed terminal sends SIGHUP;
by default either would end the process at once, with no report and no
last event in the log, while its workers carried on. Inside
:func:`stop_on_signals` the first of these signals raises
:class:`Interrupted` in the main thread instead, so the build stops its
workers, records what it finished, and exits with 128 + the signal number.
Signals after the first, and any once the build has returned, are noted but
not raised, so the report is always written whole.

:class:`Interrupted` derives from :class:`KeyboardInterrupt`: like Ctrl-C it
passes through ``except Exception`` and ends the command if nothing else
handles it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The build was asked to stop by a signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def signal_number(stop: KeyboardInterrupt) -> int:
    """The signal behind an interruption (a plain KeyboardInterrupt is Ctrl-C)."""
    return stop.signum if isinstance(stop, Interrupted) else int(signal.SIGINT)


class SignalGuard:
    """Raises :class:`Interrupted` for the first signal; later ones, or any after :meth:`quieten`,
    are only noted."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.quiet = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler."""
        self.received.append(signum)
        if not self.quiet:
            self.quiet = True
            raise Interrupted(signum)

    def quieten(self) -> None:
        """From now on signals are noted, not raised: the work they would stop is done, and what
        follows (the report) must be written whole."""
        self.quiet = True


@contextlib.contextmanager
def stop_on_signals(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[SignalGuard]:
    """Turn the first of ``signals`` into :class:`Interrupted`; restore the old handlers after."""
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard  # only the main thread can take signals
        return
    previous = {sig: signal.signal(sig, guard.handle) for sig in signals}
    try:
        yield guard
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
