"""User-facing errors as one line: what the command line prints (tracebacks only with --debug)."""

from __future__ import annotations

import errno


def one_line(exc: BaseException) -> str:
    """The error in one line naming the file or key; internal errors say how to get the traceback."""
    from cosim.bridge.launcher import BridgeError

    if isinstance(exc, OSError) and exc.filename is not None:
        target = f" -> {exc.filename2}" if exc.filename2 is not None else ""
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
        return f"{exc.filename}{target}: {reason}"
    text = str(exc).strip()
    first, _, more = text.partition("\n")
    if isinstance(exc, BridgeError):
        return first + (" (the program's last output is in ns3.log in the run folder)" if more else "")
    if isinstance(exc, (ValueError, OSError, TimeoutError)):
        return first or type(exc).__name__
    if isinstance(exc, MemoryError):
        return f"out of memory{': ' + first if first else ''}; make the scenario smaller (fewer UEs, shorter runs)"
    return f"internal error {type(exc).__name__}: {first} (rerun with --debug for the traceback)"
