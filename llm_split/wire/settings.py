"""The wire settings every user of the codec shares, typed once.

A split session's ``model`` section, ``layersplit profile`` and the agent's evaluator all choose how
the UE puts its activations on the air with the same five keys; their allowed values, their
parsers (for the config engine, cosim.config.checks) and the one check that spans two of them live
here, so a setting is spelled, bounded and documented alike everywhere. The byte budget is not one
of them: a session's ``transfer.payload_bytes`` is the packet on the air, while the codec counts
tensor bytes (:class:`llm_split.wire.codec.Codec` ``tensor_bytes``).

No torch here: the scenario schemas that import this must stay light.
"""
from __future__ import annotations

from typing import Any

from cosim.config.checks import Bool, Choice, ConfigError, Int, ListOf

WIRE_DTYPES = ("float32", "float16", "bfloat16", "int8", "int4")
QUANTIZED = ("int8", "int4")  # a float32 scale per token, then the token's integers
FILL_MODES = ("zero", "mean")
MAX_CHANNEL = 65_535

# The parsers of the five keys, for a Section of whichever config holds them.
WIRE_KEYS = {
    "wire_dtype": Choice(WIRE_DTYPES),
    "fill": Choice(FILL_MODES),
    "protect": ListOf(Int(0, MAX_CHANNEL), 4096, into=tuple),
    "sink_row": Bool(),
    "interleave": Bool(),
}


def check_wire(path: str, cfg: Any) -> None:
    """The check across keys: interleaving spreads an integer type's per-token scale over every
    packet, so any loss would erase whole tokens; only float wire dtypes interleave."""
    if cfg.interleave and cfg.wire_dtype in QUANTIZED:
        at = f"{path}." if path else ""
        raise ConfigError(f"{at}interleave: true needs a float {at}wire_dtype (float32, float16, bfloat16), "
                          f"not {cfg.wire_dtype}")
