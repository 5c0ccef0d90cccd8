"""Where the compiled parts live: the bridge module and the ns-3 programs built with it."""

from __future__ import annotations

from pathlib import Path

_INSTALL_HINT = "build the package first: `make build` (or `pip install --no-build-isolation -e .`)"


def bridge_module():
    """The compiled bridge module, with a clear error when the package was not built."""
    try:
        from cosim import _bridge
    except ImportError as exc:  # the .so is missing or was built for another interpreter
        raise ImportError(f"cosim._bridge is not built: {exc}; {_INSTALL_HINT}") from exc
    return _bridge


def program_path(name: str) -> Path:
    """Path of an ns-3 program installed beside the bridge module (cosim/bin/NAME)."""
    path = Path(bridge_module().__file__).parent / "bin" / name
    if not path.exists():
        available = sorted(p.name for p in path.parent.glob("*")) if path.parent.exists() else []
        raise FileNotFoundError(f"ns-3 program '{name}' not found at {path} (built: {available or 'none'}); {_INSTALL_HINT}")
    return path
