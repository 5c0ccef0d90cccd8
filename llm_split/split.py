"""Run a causal LM in two halves: ``head`` (UE, embeddings + layers [0, k)) and ``tail`` (edge).

How it stays generic: instead of re-implementing each family's masks, rotary tables, learned
positions, sliding windows and logit soft-capping, both halves call the model's own ``forward``
with the decoder-layer list temporarily replaced:

* head: layers [0, k) are the real ones, the module at position k (layer k, or the final norm
  when k = L) is a stub that raises with its input, so nothing past the split is computed.
* tail: layers [0, k) are pass-through stubs, the module at position k is wrapped so that it
  swaps its input for the received hidden state, the rest run as usual.

The model therefore builds masks and position embeddings exactly as in a full forward pass
(same positions, same layer indices), and head + tail reproduces the full model. The swap is
not thread-safe: use one :class:`SplitModel` per thread.

With a :class:`DecodeSession` each side keeps its own KV cache for token-by-token decoding. The
tail's stubs append a 1-wide dummy entry to their cache slots, so that every slot reports the
same sequence length and the model sizes its masks right.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from .locate import ModelParts, locate


class _Stopped(Exception):
    def __init__(self, hidden: torch.Tensor):
        super().__init__("head stopped at the split")
        self.hidden = hidden


def _hidden_arg(args, kwargs) -> torch.Tensor:
    return args[0] if args else kwargs["hidden_states"]


def _find_cache(args, kwargs):
    from transformers.cache_utils import Cache

    for value in list(args) + list(kwargs.values()):
        if isinstance(value, Cache):
            return value
    return None


def _copy_plain_attrs(src: nn.Module, dst: nn.Module) -> None:
    # Model loops read attributes such as ``attention_type`` off the layer object.
    for name, value in vars(src).items():
        if not name.startswith("_") and isinstance(value, (str, int, float, bool)):
            setattr(dst, name, value)


class _StopHere(nn.Module):
    def forward(self, *args, **kwargs):
        raise _Stopped(_hidden_arg(args, kwargs))


class _PassThrough(nn.Module):
    """Stands in for a UE-side layer on the edge: returns its input, keeps the cache length."""

    def __init__(self, layer: nn.Module, index: int):
        super().__init__()
        _copy_plain_attrs(layer, self)
        self.index = index

    def forward(self, *args, **kwargs):
        hidden = _hidden_arg(args, kwargs)
        cache = _find_cache(args, kwargs)
        if cache is not None:
            dummy = hidden.new_zeros(hidden.shape[0], 1, hidden.shape[1], 1)
            cache.update(dummy, dummy, self.index)
        return hidden


class _Inject(nn.Module):
    """Runs ``inner`` on the received hidden state instead of the one the stubs passed along."""

    def __init__(self, inner: nn.Module, hidden: torch.Tensor):
        super().__init__()
        self.inner = inner
        self.received = hidden
        _copy_plain_attrs(inner, self)

    def forward(self, *args, **kwargs):
        if args:
            return self.inner(self.received, *args[1:], **kwargs)
        return self.inner(**{**kwargs, "hidden_states": self.received})


@dataclass
class DecodeSession:
    """Decoding state of one sequence split at layer ``k``: one KV cache per side.

    Attributes:
        k: split point, fixed for the session.
        head_cache / tail_cache: transformers ``DynamicCache`` objects of the UE and the edge.
        head_pos / tail_pos: number of tokens each side has processed so far.
    """

    k: int
    head_cache: object
    tail_cache: object
    head_pos: int = 0
    tail_pos: int = 0


class SplitModel:
    """A causal LM that can be run as ``head(ids, k)`` on the UE and ``tail(hidden, k)`` at the edge.

    Args:
        model: a transformers ``*ForCausalLM`` (Llama, Mistral, Qwen2, Gemma, GPT-2, GPT-NeoX, ...)
            in eval mode. k ranges over 0..L: k = 0 sends the embeddings, k = L runs every layer
            on the UE and leaves the norm and the head to the edge.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.parts: ModelParts = locate(model)
        self.n_layers = len(self.parts.layers)
        self.hidden_size = int(model.config.hidden_size)

    @property
    def device(self) -> torch.device:
        """Where the weights live; inputs are moved there (the codec works on the CPU)."""
        return next(self.model.parameters()).device

    def check_k(self, k: int) -> None:
        """ValueError unless ``k`` is a split point in 0..L."""
        if not isinstance(k, int) or not 0 <= k <= self.n_layers:
            raise ValueError(f"k: {k!r} is not an integer in 0..{self.n_layers}")

    @contextmanager
    def _swapped(self, stage: list[nn.Module]):
        """Temporarily replace [layers..., norm] of the base model by ``stage`` (length L + 1)."""
        p = self.parts
        setattr(p.base, p.layers_attr, nn.ModuleList(stage[:-1]))
        setattr(p.base, p.norm_attr, stage[-1])
        try:
            yield
        finally:
            setattr(p.base, p.layers_attr, p.layers)
            setattr(p.base, p.norm_attr, p.norm)

    def _stage(self) -> list[nn.Module]:
        return list(self.parts.layers) + [self.parts.norm]

    def _forward(self, ids: torch.Tensor, start: int, cache) -> object:
        positions = torch.arange(start, start + ids.shape[1], device=ids.device).unsqueeze(0)
        return self.model(
            input_ids=ids, position_ids=positions.expand(ids.shape[0], -1),
            cache=cache, use_cache=cache is not None,
        )

    def session(self, k: int) -> DecodeSession:
        """New decoding session split at ``k`` with empty caches on both sides."""
        from transformers import DynamicCache

        self.check_k(k)
        cfg = self.model.config
        return DecodeSession(k, DynamicCache(config=cfg), DynamicCache(config=cfg))

    def _session_cache(self, session: DecodeSession | None, k: int, side: str):
        if session is None:
            return None, 0
        if session.k != k:
            raise ValueError(f"k: {k} differs from the session's split point {session.k}")
        return getattr(session, f"{side}_cache"), getattr(session, f"{side}_pos")

    @torch.no_grad()
    def head(self, ids: torch.Tensor, k: int, session: DecodeSession | None = None) -> torch.Tensor:
        """UE half: embeddings and layers [0, k) on token ids.

        Args:
            ids: token ids, shape (batch, tokens), dtype long. In a session: only the new tokens.
            k: split point in 0..L.
            session: decoding state from :meth:`session`, or None for a single prefill.
        Returns:
            the residual stream entering layer k, shape (batch, tokens, hidden), model dtype.
        """
        self.check_k(k)
        ids = ids.to(self.device)
        cache, start = self._session_cache(session, k, "head")
        stage = self._stage()
        stage[k] = _StopHere()
        try:
            with self._swapped(stage):
                self._forward(ids, start, cache)
        except _Stopped as stop:
            if session is not None:
                session.head_pos += ids.shape[1]
            return stop.hidden
        raise RuntimeError("the split stub was never reached; the model skips its layer list")

    @torch.no_grad()
    def tail(self, hidden: torch.Tensor, k: int, session: DecodeSession | None = None) -> torch.Tensor:
        """Edge half: layers [k, L), the final norm and the output head.

        Args:
            hidden: the residual stream entering layer k, shape (batch, tokens, hidden).
            k: split point in 0..L (the same as the head's).
            session: decoding state, or None for a single prefill.
        Returns:
            logits, shape (batch, tokens, vocab), float.
        """
        self.check_k(k)
        if hidden.dim() != 3 or hidden.shape[-1] != self.hidden_size:
            raise ValueError(
                f"hidden: shape {tuple(hidden.shape)} is not (batch, tokens, {self.hidden_size})"
            )
        cache, start = self._session_cache(session, k, "tail")
        layers = self._stage()
        stage = [_PassThrough(layers[j], j) for j in range(k)]
        hidden = hidden.to(device=self.device, dtype=self.model.dtype)
        stage += [_Inject(layers[k], hidden)] + layers[k + 1:]
        # Token ids only drive the embedding lookup, whose output the injection replaces.
        dummy = torch.zeros(hidden.shape[:2], dtype=torch.long, device=hidden.device)
        with self._swapped(stage):
            out = self._forward(dummy, start, cache)
        if session is not None:
            session.tail_pos += hidden.shape[1]
        return out.logits

    @torch.no_grad()
    def full(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of the unsplit model, shape (batch, tokens, vocab)."""
        return self._forward(ids.to(self.device), 0, None).logits

    @torch.no_grad()
    def head_states(self, ids: torch.Tensor, ks) -> dict[int, torch.Tensor]:
        """Residual stream entering each layer in ``ks`` from one head pass (k = L: the norm's input).

        Args:
            ids: token ids, shape (batch, tokens).
            ks: split points in 0..L.
        Returns:
            {k: tensor (batch, tokens, hidden)}, each a fresh tensor in the model dtype.
        """
        ks = sorted(set(ks))
        for k in ks:
            self.check_k(k)
        stage = self._stage()
        got: dict[int, torch.Tensor] = {}
        hooks = [stage[k].register_forward_pre_hook(
            lambda mod, args, kwargs, k=k: got.__setitem__(k, _hidden_arg(args, kwargs)),
            with_kwargs=True) for k in ks[:-1]]
        try:
            got[ks[-1]] = self.head(ids, ks[-1])
        finally:
            for h in hooks:
                h.remove()
        return got
