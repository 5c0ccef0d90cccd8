"""layersplit co-simulation: the Python side's launcher, clock, traces and command line."""

from cosim.launcher import (
    COMMAND_DTYPE,
    EVENT_DTYPE,
    SLOT_DTYPE,
    BridgeError,
    LayoutMismatch,
    PeerGone,
    Simulation,
)

__all__ = ["Simulation", "BridgeError", "PeerGone", "LayoutMismatch", "SLOT_DTYPE", "EVENT_DTYPE", "COMMAND_DTYPE"]
