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
    from the rings and not yet stored); a signal that came meanwhile is handled right after."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
