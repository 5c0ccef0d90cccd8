"""Activations on the wire: serialise a hidden state, cut it into packets, rebuild with losses.

Wire format of one packet (little endian)::

    header (20 bytes): magic b"LS", dtype code u8, flags u8, packet index u32,
                       packet count u32, tokens u32, hidden size u32
    payload:           bytes [i * tensor_bytes, (i + 1) * tensor_bytes) of the tensor stream
    side block:        only with ``protect``: the protected channels of every token

Flags: bit 0 set when the packet carries a side block, bit 1 when the stream is interleaved.

Tensor stream: row-major (tokens x hidden). float32/float16/bfloat16: the values themselves.
int8: per token a float32 scale (max |x| / 127) followed by the token's int8 values, so a lost
packet never takes away the scale of a token whose values arrived in another packet unless
it carried those 4 bytes; the scale's max leaves out the ``protect`` channels, which travel in the
side block. int4: per token, a float16 scale (max |x| / 7) for each group of
:data:`INT4_GROUP` channels, then the values -7..7 stored as 1..15, two per byte (the even
channel in the low nibble; an odd hidden size pads the row with one zero nibble). Scales per group,
not per token: the residual stream's few huge channels would otherwise round every other channel
of their token to 0 (with one scale per token SmolLM2-135M's perplexity at k = 30 grew fifteenfold;
benchmarks/studies/wire_precision.py measures the grouped form).

``interleave`` (float dtypes): the stream holds the elements in the order of a block interleaver
of depth n = the packet count (flat element e goes to position ``rank of (e mod n, e div n)``),
so each packet carries about every n-th element of the tensor. A lost packet then erases a thin
scattered share of every token instead of one or two whole tokens (the seed paper's i.i.d.
element erasure); the packet sizes and the bytes on the air are unchanged.

An element is erased when any of its bytes (or, for int8, its token's scale) was in a lost
packet. ``protect`` channels (e.g. the few huge-magnitude residual channels) are repeated in
every packet, so they survive while at least one packet arrives.
"""
from __future__ import annotations

import functools
import math
import struct
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch

from llm_split.wire.fill import check_fill, fill_erased
from llm_split.wire.settings import QUANTIZED, WIRE_DTYPES
_CODES = {name: i for i, name in enumerate(WIRE_DTYPES)}
_HEADER = struct.Struct("<2sBBIIII")
INT4_GROUP = 32  # channels per int4 scale
HEADER_BYTES = _HEADER.size
_MAGIC = b"LS"


def _float_bytes(values: torch.Tensor, dtype: str) -> bytes:
    """float32 tensor -> raw bytes in ``dtype`` (float32, float16 or bfloat16)."""
    if dtype == "bfloat16":
        return values.to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
    return values.to(getattr(torch, dtype)).contiguous().numpy().tobytes()


def _bytes_float(raw: np.ndarray, dtype: str) -> torch.Tensor:
    """uint8 array of ``dtype`` values -> flat float32 tensor."""
    if dtype == "bfloat16":
        return torch.from_numpy(raw.copy().view(np.int16)).view(torch.bfloat16).to(torch.float32)
    return torch.from_numpy(raw.copy().view(getattr(np, dtype))).to(torch.float32)


def _pack_nibbles(q: np.ndarray) -> np.ndarray:
    """int8 rows of -7..7 -> uint8 rows of two values each (stored as 1..15; even column low)."""
    u = (q + 8).astype(np.uint8)
    if u.shape[1] % 2:
        u = np.concatenate([u, np.full((u.shape[0], 1), 8, np.uint8)], axis=1)
    return u[:, 0::2] | (u[:, 1::2] << 4)


def _unpack_nibbles(body: np.ndarray, hidden: int) -> np.ndarray:
    """The inverse of :func:`_pack_nibbles`: int8 rows of ``hidden`` values."""
    q = np.empty((body.shape[0], 2 * body.shape[1]), np.int8)
    q[:, 0::2] = (body & 0xF).astype(np.int8) - 8
    q[:, 1::2] = (body >> 4).astype(np.int8) - 8
    return q[:, :hidden]


@functools.lru_cache(maxsize=64)
def _interleaver(elements: int, depth: int) -> np.ndarray:
    """Block interleaver of ``depth`` rows: stream position -> flat element index. Cached (read
    only): every encode and decode of an activation shape needs the same permutation."""
    order = np.argsort(np.arange(elements) % depth, kind="stable")
    order.flags.writeable = False
    return order


@dataclass(frozen=True)
class Codec:
    """Packetiser for (tokens x hidden) activations.

    Args:
        hidden_size: channels per token (e.g. 576 for SmolLM2-135M).
        dtype: wire format, one of :data:`WIRE_DTYPES`.
        tensor_bytes: tensor bytes per packet, >= 16 (the header and side block come on top;
            ``payload_bytes`` elsewhere is the whole packet on the air, see llm_split.lossy.wire_codec).
        protect: channel indices repeated in every packet (side block; float16 for int8).
        fill: what erased elements become, see :mod:`llm_split.wire.fill`.
        interleave: spread the elements over the packets (see the module doc); float dtypes only.
    """

    hidden_size: int
    dtype: str = "float16"
    tensor_bytes: int = 1024
    protect: tuple[int, ...] = field(default=())
    fill: str = "zero"
    interleave: bool = False

    def __post_init__(self):
        if self.dtype not in WIRE_DTYPES:
            raise ValueError(f"dtype: {self.dtype!r} is not one of {WIRE_DTYPES}")
        if not isinstance(self.tensor_bytes, int) or self.tensor_bytes < 16:
            raise ValueError(f"tensor_bytes: {self.tensor_bytes!r} must be an integer >= 16")
        if not isinstance(self.hidden_size, int) or self.hidden_size < 1:
            raise ValueError(f"hidden_size: {self.hidden_size!r} must be a positive integer")
        bad = [c for c in self.protect if not 0 <= c < self.hidden_size]
        if bad:
            raise ValueError(f"protect: channels {bad} are outside 0..{self.hidden_size - 1}")
        check_fill(self.fill)
        if not isinstance(self.interleave, bool):
            raise ValueError(f"interleave: {self.interleave!r} must be true or false")
        if self.interleave and self.dtype in QUANTIZED:
            # int8 rows carry a per-token scale; spreading it over every packet would let any
            # loss erase whole tokens.
            raise ValueError(f"interleave: needs a float wire dtype (float32, float16, bfloat16), not {self.dtype}")
        object.__setattr__(self, "protect", tuple(int(c) for c in self.protect))

    @property
    def payload_bytes(self) -> int:
        """Deprecated: the old name of :attr:`tensor_bytes` (``payload_bytes`` now always means the
        whole packet on the air, as a session's ``transfer.payload_bytes``)."""
        warnings.warn("Codec.payload_bytes is deprecated: use Codec.tensor_bytes", DeprecationWarning, stacklevel=2)
        return self.tensor_bytes

    # sizes -----------------------------------------------------------------
    @property
    def elem_bytes(self) -> int:
        """Bytes per element in the stream of a float or int8 dtype (int8: 1, the scale is extra)."""
        return {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}[self.dtype]

    @property
    def row_bytes(self) -> int:
        """Bytes of one token's row in the stream (integer types: the scale included)."""
        if self.dtype == "int4":
            return 2 * self._groups + (self.hidden_size + 1) // 2
        return self.hidden_size * self.elem_bytes + (4 if self.dtype == "int8" else 0)

    def stream_bytes(self, tokens: int) -> int:
        """Length of the serialised tensor stream for ``tokens`` rows, without headers."""
        return tokens * self.row_bytes

    def element_spans(self, row: int, col: int) -> list[tuple[int, int]]:
        """Byte ranges [lo, hi) of the row-major stream whose loss erases element (row, col): its
        bytes and, for the integer types, its row's scale."""
        base = row * self.row_bytes
        if self.dtype not in QUANTIZED:
            return [(base + col * self.elem_bytes, base + (col + 1) * self.elem_bytes)]
        if self.dtype == "int8":
            return [(base + 4 + col, base + 5 + col), (base, base + 4)]
        g = col // INT4_GROUP
        at = base + 2 * self._groups + col // 2
        return [(at, at + 1), (base + 2 * g, base + 2 * g + 2)]

    @property
    def _groups(self) -> int:
        return -(-self.hidden_size // INT4_GROUP)

    def side_bytes(self, tokens: int) -> int:
        """Bytes of the protected-channel block repeated in every packet."""
        return tokens * len(self.protect) * (2 if self.dtype in QUANTIZED else self.elem_bytes)

    def n_packets(self, tokens: int) -> int:
        """Number of packets for ``tokens`` rows (at least 1)."""
        return max(1, math.ceil(self.stream_bytes(tokens) / self.tensor_bytes))

    def packet_sizes(self, tokens: int) -> list[int]:
        """Size in bytes of each packet for ``tokens`` rows (what the radio link must carry)."""
        n, total = self.n_packets(tokens), self.stream_bytes(tokens)
        extra = HEADER_BYTES + self.side_bytes(tokens)
        return [extra + min(self.tensor_bytes, total - i * self.tensor_bytes) for i in range(n)]

    def wire_bytes(self, tokens: int) -> int:
        """Total bytes sent for ``tokens`` rows: payloads, headers and side blocks."""
        n = self.n_packets(tokens)
        return self.stream_bytes(tokens) + n * (HEADER_BYTES + self.side_bytes(tokens))

    def _order(self, tokens: int) -> np.ndarray | None:
        """Stream position -> flat element index (None: row-major, no interleaving)."""
        return _interleaver(tokens * self.hidden_size, self.n_packets(tokens)) if self.interleave else None

    # serialisation ---------------------------------------------------------
    def _to_stream(self, hidden: torch.Tensor) -> bytes:
        h = hidden.detach().to(torch.float32).cpu()
        if self.dtype not in QUANTIZED:
            order = self._order(h.shape[0])
            return _float_bytes(h if order is None else torch.from_numpy(h.reshape(-1).numpy()[order]), self.dtype)
        # the protected channels travel exactly in the side block: they must not set a scale
        ranged = h.abs()
        ranged[:, list(self.protect)] = 0
        if self.dtype == "int8":
            scale = (ranged.amax(1, keepdim=True) / 127).clamp(min=1e-30)
            q = torch.round(h / scale).clamp(-127, 127).to(torch.int8).numpy()
            return np.concatenate([scale.numpy().view(np.uint8), q.view(np.uint8)], axis=1).tobytes()
        pad = self._groups * INT4_GROUP - self.hidden_size
        groups = torch.nn.functional.pad(ranged, (0, pad)).reshape(len(h), self._groups, INT4_GROUP)
        scale = (groups.amax(2) / 7).clamp(min=1e-4).to(torch.float16)  # float16's range holds any residual
        per_channel = scale.to(torch.float32).repeat_interleave(INT4_GROUP, 1)[:, :self.hidden_size]
        q = torch.round(h / per_channel).clamp(-7, 7).to(torch.int8).numpy()
        return np.concatenate([scale.numpy().view(np.uint8), _pack_nibbles(q)], axis=1).tobytes()

    @property
    def _side_dtype(self) -> str:
        return "float16" if self.dtype in QUANTIZED else self.dtype

    def _side(self, hidden: torch.Tensor) -> bytes:
        if not self.protect:
            return b""
        cols = hidden.detach().to(torch.float32).cpu()[:, list(self.protect)]
        return _float_bytes(cols, self._side_dtype)

    def encode(self, hidden: torch.Tensor) -> list[bytes]:
        """Cut a (tokens, hidden) tensor into packets; returns the list of packet bytes."""
        if hidden.dim() != 2 or hidden.shape[1] != self.hidden_size:
            raise ValueError(f"hidden: shape {tuple(hidden.shape)} is not (tokens, {self.hidden_size})")
        tokens = hidden.shape[0]
        stream, side = self._to_stream(hidden), self._side(hidden)
        n, p = self.n_packets(tokens), self.tensor_bytes
        return [
            _HEADER.pack(_MAGIC, _CODES[self.dtype], self._flags(side), i, n, tokens, self.hidden_size)
            + stream[i * p:(i + 1) * p] + side
            for i in range(n)
        ]

    def _flags(self, side: bytes) -> int:
        return (1 if side else 0) | (2 if self.interleave else 0)

    # rebuilding ------------------------------------------------------------
    def _unshuffle(self, flat: np.ndarray, tokens: int) -> np.ndarray:
        """Stream-ordered elements -> row-major (tokens, hidden)."""
        order = self._order(tokens)
        if order is not None:
            out = np.empty_like(flat)
            out[order] = flat
            flat = out
        return flat.reshape(tokens, self.hidden_size)

    def _values(self, stream: np.ndarray, tokens: int) -> torch.Tensor:
        if self.dtype not in QUANTIZED:
            return torch.from_numpy(self._unshuffle(_bytes_float(stream, self.dtype).numpy(), tokens))
        rows = stream.reshape(tokens, self.row_bytes)
        if self.dtype == "int8":
            scale = torch.from_numpy(rows[:, :4].copy().view(np.float32))
            return torch.from_numpy(rows[:, 4:].copy().view(np.int8)).to(torch.float32) * scale
        g = 2 * self._groups
        scale = torch.from_numpy(rows[:, :g].copy().view(np.float16)).to(torch.float32)
        per_channel = scale.repeat_interleave(INT4_GROUP, 1)[:, :self.hidden_size]
        return torch.from_numpy(_unpack_nibbles(rows[:, g:], self.hidden_size)).to(torch.float32) * per_channel

    def _erased(self, byte_ok: np.ndarray, tokens: int) -> torch.Tensor:
        if self.dtype in QUANTIZED:
            rows = byte_ok.reshape(tokens, self.row_bytes)
            if self.dtype == "int8":
                ok = rows[:, 4:] & rows[:, :4].all(1, keepdims=True)
            else:
                g = 2 * self._groups
                scale_ok = rows[:, :g].reshape(tokens, self._groups, 2).all(2)
                ok = (np.repeat(rows[:, g:], 2, axis=1)[:, :self.hidden_size]
                      & np.repeat(scale_ok, INT4_GROUP, axis=1)[:, :self.hidden_size])
        else:
            ok = self._unshuffle(byte_ok.reshape(tokens * self.hidden_size, self.elem_bytes).all(1), tokens)
        return torch.from_numpy(~ok.reshape(tokens, self.hidden_size))

    def decode(
        self,
        received: Mapping[int, bytes],
        tokens: int,
        sink_row: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rebuild the tensor from the packets that arrived.

        Args:
            received: {packet index: packet bytes} of the packets that arrived (any subset).
            tokens: rows of the original tensor (the edge knows the request's length).
            sink_row: exact row 0, if the edge knows it (see :mod:`llm_split.wire.fill`).
        Returns:
            (hidden float32 (tokens, hidden) with erased elements filled, erased bool mask).
        """
        n, p = self.n_packets(tokens), self.tensor_bytes
        total = self.stream_bytes(tokens)
        stream = np.zeros(total, dtype=np.uint8)
        byte_ok = np.zeros(total, dtype=bool)
        side = None
        for i, pkt in received.items():
            magic, code, flags, idx, count, t, hs = _HEADER.unpack_from(pkt)
            if magic != _MAGIC or idx != i or count != n or t != tokens or hs != self.hidden_size \
                    or code != _CODES[self.dtype] or bool(flags & 2) != self.interleave:
                raise ValueError(f"received[{i}]: header {(magic, code, flags, idx, count, t, hs)} does not match "
                                 f"this codec ({self.dtype}, interleave {self.interleave}, {n} packets, {tokens} tokens)")
            lo, hi = i * p, min((i + 1) * p, total)
            stream[lo:hi] = np.frombuffer(pkt, np.uint8, hi - lo, HEADER_BYTES)
            byte_ok[lo:hi] = True
            if flags & 1 and side is None:
                side = pkt[HEADER_BYTES + hi - lo:]
        values, erased = self._values(stream, tokens), self._erased(byte_ok, tokens)
        if side is not None:
            cols = _bytes_float(np.frombuffer(side, np.uint8), self._side_dtype)
            values[:, list(self.protect)] = cols.to(torch.float32).reshape(tokens, -1)
            erased[:, list(self.protect)] = False
        return fill_erased(values, erased, self.fill, sink_row), erased

    def rebuild(
        self,
        packets: Sequence[bytes],
        lost: Iterable[int],
        sink_row: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rebuild from all encoded ``packets`` minus the ``lost`` indices (e.g. from ns-3 fates).

        Returns (hidden float32 (tokens, hidden), erased bool mask); see :meth:`decode`.
        """
        lost = set(int(i) for i in lost)
        bad = [i for i in lost if not 0 <= i < len(packets)]
        if bad:
            raise ValueError(f"lost: packet indices {sorted(bad)} are outside 0..{len(packets) - 1}")
        tokens = _HEADER.unpack_from(packets[0])[5]
        received = {i: pkt for i, pkt in enumerate(packets) if i not in lost}
        return self.decode(received, tokens, sink_row)
