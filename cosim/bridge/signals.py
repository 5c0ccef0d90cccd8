"""SIGTERM and SIGHUP end a run the way Ctrl-C does: the exception unwinds through the run's
``with`` blocks, so the ns-3 program is stopped, the traces become Parquet and meta.json says
"stopped". ``timeout``, Slurm, Docker and a closed terminal send these."""

from __future__ import annotations

import contextlib
import signal

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop asked for by a signal; a KeyboardInterrupt, so it unwinds exactly as Ctrl-C does."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


_received: list[int] = []
_deferring = {"depth": 0, "pending": None}  # inside deferred(): a stop waits for the block's end


def received() -> int | None:
    """The stop signal this process got inside :func:`stop_on_signals`, if any."""
    return _received[0] if _received else None


@contextlib.contextmanager
def stop_on_signals():
    """Within the block, the first SIGINT, SIGTERM or SIGHUP raises :class:`Stopped`; later ones
    are ignored so that the clean-up they asked for is not cut short (SIGKILL still ends it)."""
    def handler(signum, frame):
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        _received.append(signum)
        if _deferring["depth"]:
            _deferring["pending"] = signum
            return
        raise Stopped(signum)

    old = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


@contextlib.contextmanager
def deferred():
    """Holds stop signals back for a few statements that must not be cut in half (records taken
    from the rings and not yet stored); a signal that came meanwhile is handled right after.

    Two locks, because a process-directed signal may land on any thread (pyarrow's, say): the
    mask keeps it from this thread (any handler, e.g. Python's default SIGINT), and the flag makes
    stop_on_signals' handler, which always runs in the main thread, wait for the block's end."""
    # The mask is read first and changed inside the try: a handler that runs right after a call
    # returns (a signal from before the block) must not leave the stop signals blocked for good,
    # in this thread and in every process it starts later (children inherit the mask).
    old = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    _deferring["depth"] += 1
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        yield
    finally:
        _deferring["depth"] -= 1
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if not _deferring["depth"] and _deferring["pending"] is not None:
            signum, _deferring["pending"] = _deferring["pending"], None
            raise Stopped(signum)
