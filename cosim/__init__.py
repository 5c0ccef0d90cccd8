"""layersplit co-simulation: the Python side's launcher, clock, traces and command line.

The names below come from the compiled bridge; they load on first use so that the pure-Python
parts (scenario validation, trace reading) work before the package is built.
"""

_LAUNCHER_NAMES = ("Simulation", "BridgeError", "PeerGone", "LayoutMismatch", "SLOT_DTYPE", "EVENT_DTYPE", "COMMAND_DTYPE")
__all__ = list(_LAUNCHER_NAMES)


def __getattr__(name):
    if name in _LAUNCHER_NAMES:
        from cosim.bridge import launcher

        return getattr(launcher, name)
    raise AttributeError(f"module 'cosim' has no attribute {name!r}")
