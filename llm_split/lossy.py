"""One lossy-inference step: encode, lose packets, rebuild with the fill, run the tail, score.

The co-simulation (cosim.session.inference: a request's packets met ns-3's radio) and the agent's real
evaluator (mbrl.evaluator: a recorded probe's lost set) both ask the same question: the
negative log-likelihood of window ``w`` split at ``k`` when the packets ``lost`` never arrived.
They answer it here, with one codec layout (:func:`wire_codec`: the packet's payload holds the
header, the protected channels' side block and the tensor bytes), so the two give the same
number for the same (window, lost set, k).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import torch

from llm_split.wire.codec import HEADER_BYTES, Codec
from llm_split.perplexity import Evaluator, nll_from_logits


def wire_codec(hidden_size: int, wire_dtype: str, payload_bytes: int, protect: Sequence[int], fill: str,
               tokens: int, interleave: bool = False) -> Codec:
    """The codec whose packets (header, protected-channel block and tensor bytes) are
    ``payload_bytes`` each on the air for activations of ``tokens`` rows.

    Raises ValueError naming ``payload_bytes`` when fewer than 16 tensor bytes would remain."""
    side = Codec(hidden_size, wire_dtype, 16, tuple(protect), fill).side_bytes(tokens)
    tensor_bytes = payload_bytes - HEADER_BYTES - side
    if tensor_bytes < 16:
        raise ValueError(f"payload_bytes: {payload_bytes} leaves {tensor_bytes} tensor bytes per packet after the "
                         f"{HEADER_BYTES}-byte header and {side} bytes of protected channels")
    return Codec(hidden_size, wire_dtype, tensor_bytes, tuple(protect), fill, interleave)


@dataclass(frozen=True)
class LossyResult:
    nll: float              # summed over the window's scored tokens, nats
    n_scored: int
    erased_fraction: float  # share of the tensor's elements erased (filled)
    next_token: int         # the tail's greedy next token


def _received(ev: Evaluator, codec: Codec, w: int, k: int, lost: Iterable[int], packets, sink_row: bool):
    if packets is None:
        packets = codec.encode(ev.cache.get(w, k))
    return codec.rebuild(packets, lost, ev.sink_row(k) if sink_row else None)


def _result(ev: Evaluator, w: int, logits: torch.Tensor, erased: torch.Tensor) -> LossyResult:
    window = ev.windows[w]
    return LossyResult(nll_from_logits(logits, window), window.n_scored, float(erased.float().mean()),
                       int(logits[-1].argmax()))


@torch.no_grad()
def lossy_step(ev: Evaluator, codec: Codec, w: int, k: int, lost: Iterable[int], packets: Sequence[bytes] | None = None,
               sink_row: bool = True, session=None) -> LossyResult:
    """Window ``w`` of ``ev`` split at ``k`` with packets ``lost`` erased.

    Args:
        ev: the evaluator holding the split model, the windows and their cached head states.
        codec: the wire layout (:func:`wire_codec`).
        packets: the UE's packets; default: encoded from the cached hidden state entering k.
        sink_row: the edge restores row 0 (BOS) from its own copy.
        session: a decoding session (llm_split.DecodeSession) whose tail KV cache the pass fills.
    """
    hidden, erased = _received(ev, codec, w, k, lost, packets, sink_row)
    logits = ev.split.tail(hidden.unsqueeze(0), k, session)[0]
    return _result(ev, w, logits, erased)


@torch.no_grad()
def lossy_batch(ev: Evaluator, codec: Codec, k: int, items: Sequence[tuple[int, Iterable[int]]],
                packets: Sequence[Sequence[bytes] | None] | None = None, sink_row: bool = True) -> list[LossyResult]:
    """:func:`lossy_step` for several (window, lost) items at one ``k`` in one batched tail pass
    (the same numbers up to the float rounding of batched matmuls; a batch of one is exact).
    ``packets``: each item's packets (default: encoded from the cache); windows of equal length."""
    packets = packets or [None] * len(items)
    rebuilt = [_received(ev, codec, w, k, lost, p, sink_row) for (w, lost), p in zip(items, packets)]
    logits = ev.split.tail(torch.stack([h for h, _ in rebuilt]), k)
    return [_result(ev, w, lg, e) for (w, _), lg, (_, e) in zip(items, logits, rebuilt)]
