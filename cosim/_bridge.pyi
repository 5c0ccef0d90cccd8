"""Type stub of the compiled bridge module (cpp_ext/bridge_module.cpp). Use cosim.Simulation."""

import numpy as np

LAYOUT_VERSION: int
LAYOUT_HASH: int
SLOT_DTYPE: np.dtype
EVENT_DTYPE: np.dtype
COMMAND_DTYPE: np.dtype
EVENT_PACKET: int
EVENT_ECHO: int
EVENT_HANDOVER_START: int
EVENT_HANDOVER_END: int
EVENT_HANDOVER_FAILURE: int
SIM_STARTING: int
SIM_ATTACHED: int
SIM_FINISHED: int
SIM_FAILED: int

class BridgeError(RuntimeError): ...
class PeerGone(BridgeError): ...
class LayoutMismatch(BridgeError): ...

class Segment:
    """The launcher's end of one run's shared-memory segment (creates it; removes it on unlink)."""

    name: str
    linked: bool
    sim_pid: int
    sim_state: int
    sim_error: str
    sim_now_ns: int
    sim_busy_s: float
    geometry: dict | None
    done: bool
    pending_slots: int
    slice_s: float
    spin_us: float
    def __init__(self, name: str, slot_capacity: int = 65536, event_capacity: int = 16384,
                 command_capacity: int = 4096, layout_version: int = ...) -> None: ...
    def set_peer_pid(self, pid: int) -> None: ...
    def set_wake_fill(self, n: int) -> None: ...
    def unlink(self) -> None: ...
    def close(self) -> None: ...
    def check_alive(self) -> None: ...
    def grant(self, horizon_ns: int, commands: np.ndarray | None = None) -> int: ...
    def wait(self) -> bool: ...
    def collect(self, timeout_s: float = -1.0) -> tuple[np.ndarray, np.ndarray]: ...
    def read_slots(self, max: int = ...) -> np.ndarray: ...
    def read_events(self, max: int = ...) -> np.ndarray: ...
