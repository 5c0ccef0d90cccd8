"""Token ids on the wire: what the UE sends when it runs no layer (a true k = 0 split).

Wire format of one packet (little endian)::

    header (12 bytes): magic b"LI", version u8 (1), flags u8 (0), packet index u16,
                       packet count u16, first token u32
    payload:           the ids of tokens [first, first + n) as u32, n = (len - 12) / 4

The edge embeds the ids that arrived. A token whose packet was lost has no id at the edge: its
embedding row is erased and filled like a lost activation element (llm_split.wire.fill), so a
lost id packet damages the prompt as a lost k = 0 activation packet would, at a tiny fraction of
the bytes. :meth:`IdCodec.rebuild` has the activation codec's signature (llm_split.wire.codec), so
the lossy-inference step (llm_split.lossy) takes either.
"""

from __future__ import annotations

import math
import struct
from typing import Callable, Iterable, Sequence

import numpy as np
import torch

from llm_split.wire.fill import check_fill, fill_erased

_HEADER = struct.Struct("<2sBBHHI")
HEADER_BYTES = _HEADER.size
ID_BYTES = 4
_MAGIC, _VERSION = b"LI", 1


class IdCodec:
    """Packetiser for a prompt's token ids, and the edge's embedding of what arrived.

    Args:
        embed: token ids (1, n) -> their embedding rows (1, n, hidden), the edge's copy of the table.
        payload_bytes: bytes per packet on the air (header included), >= 16.
        fill: what the rows of missing tokens become (llm_split.wire.fill).
    """

    def __init__(self, embed: Callable[[torch.Tensor], torch.Tensor], payload_bytes: int, fill: str = "zero"):
        if not isinstance(payload_bytes, int) or payload_bytes < HEADER_BYTES + ID_BYTES:
            raise ValueError(f"payload_bytes: {payload_bytes!r} must be an integer >= {HEADER_BYTES + ID_BYTES}")
        check_fill(fill)
        self.embed, self.fill = embed, fill
        self.ids_per_packet = (payload_bytes - HEADER_BYTES) // ID_BYTES

    def n_packets(self, tokens: int) -> int:
        return max(1, math.ceil(tokens / self.ids_per_packet))

    def wire_bytes(self, tokens: int) -> int:
        """Total bytes sent for ``tokens`` ids, headers included."""
        return tokens * ID_BYTES + self.n_packets(tokens) * HEADER_BYTES

    def encode(self, ids: torch.Tensor) -> list[bytes]:
        """A 1-D tensor of token ids -> packets."""
        ids = np.asarray(ids.reshape(-1).cpu(), dtype="<u4")
        n, per = self.n_packets(len(ids)), self.ids_per_packet
        return [_HEADER.pack(_MAGIC, _VERSION, 0, i, n, i * per) + ids[i * per:(i + 1) * per].tobytes()
                for i in range(n)]

    def received_ids(self, packets: Sequence[bytes], lost: Iterable[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(ids, missing): every token's id (0 where missing) and a bool mask of the missing ones."""
        lost = {int(i) for i in lost}
        if any(not 0 <= i < len(packets) for i in lost):
            raise ValueError(f"lost: packet indices {sorted(lost)} are outside 0..{len(packets) - 1}")
        tokens = sum(len(p) - HEADER_BYTES for p in packets) // ID_BYTES
        ids, missing = np.zeros(tokens, dtype=np.int64), np.ones(tokens, dtype=bool)
        for i, p in enumerate(packets):
            magic, _, _, _, _, first = _HEADER.unpack_from(p)
            if magic != _MAGIC:
                raise ValueError(f"packet {i}: not a token-id packet (magic {magic!r})")
            if i not in lost:
                got = np.frombuffer(p, dtype="<u4", offset=HEADER_BYTES)
                ids[first:first + len(got)], missing[first:first + len(got)] = got, False
        return torch.from_numpy(ids), torch.from_numpy(missing)

    def rebuild(self, packets: Sequence[bytes], lost: Iterable[int],
                sink_row: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The edge's embedding of the ids that arrived: (hidden float32 (tokens, hidden), erased
        bool mask of the same shape: the rows of missing tokens)."""
        ids, missing = self.received_ids(packets, lost)
        hidden = self.embed(ids.unsqueeze(0))[0].to(torch.float32)
        erased = missing.unsqueeze(1).expand_as(hidden)
        return fill_erased(hidden, erased, self.fill, sink_row), erased
