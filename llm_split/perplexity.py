"""Perplexity of a split model under channel damage, without redoing the head.

The head's output depends only on the window and k, never on the damage, so
:class:`HiddenStateCache` keeps the residual stream entering each requested layer for each
window, computed by one head pass per window. Memory per window is
``len(ks) * tokens * hidden * bytes_per_element`` (SmolLM2, 31 ks, 257 tokens, float32: 18 MB);
the cache evicts the least recently used windows beyond ``max_mb``, so an evaluation sweep
should loop over windows outside and (k, damage) inside, as :meth:`Evaluator.sweep` does.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Iterable, Sequence

import torch
import torch.nn.functional as F

from llm_split.corpus import Window
from llm_split.damage.models import Damage
from llm_split.split import SplitModel
from llm_split.damage.strata import decisive_units, strata


class HiddenStateCache:
    """Hidden states entering layers ``ks`` for evaluation windows, bounded to ``max_mb``.

    Args:
        split: the split model.
        windows: evaluation windows.
        ks: split points to keep (0..L); default all.
        max_mb: memory bound in MiB (>= one window's states); least recently used windows go.
    """

    def __init__(self, split: SplitModel, windows: Sequence[Window], ks: Iterable[int] | None = None,
                 max_mb: float = 1024.0):
        self.split, self.windows = split, list(windows)
        self.ks = sorted(set(range(split.n_layers + 1) if ks is None else ks))
        for k in self.ks:
            split.check_k(k)
        if max_mb <= 0:
            raise ValueError(f"max_mb: {max_mb!r} must be > 0")
        self.max_bytes = max_mb * 2**20
        self._store: OrderedDict[int, dict[int, torch.Tensor]] = OrderedDict()
        self.bytes = 0
        self.peak_bytes = 0
        self.head_passes = 0

    def get(self, w: int, k: int) -> torch.Tensor:
        """Residual stream (tokens, hidden) entering layer ``k`` for window ``w``."""
        if k not in self.ks:
            raise ValueError(f"k: {k!r} is not one of the cached split points {self.ks}")
        if w not in self._store:
            states = self.split.head_states(self.windows[w].ids.unsqueeze(0), self.ks)
            states = {j: s[0] for j, s in states.items()}
            size = sum(s.numel() * s.element_size() for s in states.values())
            while self._store and self.bytes + size > self.max_bytes:
                _, old = self._store.popitem(last=False)
                self.bytes -= sum(s.numel() * s.element_size() for s in old.values())
            self._store[w] = states
            self.bytes += size
            self.peak_bytes = max(self.peak_bytes, self.bytes)
            self.head_passes += 1
        self._store.move_to_end(w)
        return self._store[w][k]


def nll_from_logits(logits: torch.Tensor, window: Window) -> float:
    """Summed negative log-likelihood (nats) of the window's scored tokens, logits (tokens, vocab)."""
    n = window.n_scored
    pred = logits[-n - 1:-1].to(torch.float32)
    return float(F.cross_entropy(pred, window.ids[-n:].to(pred.device), reduction="sum"))


class Evaluator:
    """Quality of a split model on fixed windows, for any (k, damage).

    Args:
        split: the split model.
        windows: evaluation windows (see :func:`llm_split.corpus.sliding_windows`).
        ks: split points that will be evaluated (cached); default all 0..L.
        max_cache_mb: bound of the hidden-state cache in MiB.
    """

    def __init__(self, split: SplitModel, windows: Sequence[Window], ks: Iterable[int] | None = None,
                 max_cache_mb: float = 1024.0):
        self.split, self.windows = split, list(windows)
        self.cache = HiddenStateCache(split, self.windows, ks, max_cache_mb)
        self._sink: dict[int, torch.Tensor] = {}

    @property
    def n_scored(self) -> int:
        """Total scored tokens over all windows."""
        return sum(w.n_scored for w in self.windows)

    def sink_row(self, k: int) -> torch.Tensor:
        """Row 0 (the BOS token) entering layer ``k``: constant, so the edge can hold a copy."""
        if k not in self._sink:
            self._sink[k] = self.split.head(self.windows[0].ids[:1].unsqueeze(0), k)[0, 0]
        return self._sink[k]

    def generator(self, seed: int, w: int) -> torch.Generator:
        """Damage randomness for window ``w``: depends on (seed, w) only, not on evaluation order."""
        return torch.Generator().manual_seed(int(seed) * 1_000_003 + int(w))

    def tail_nll(self, w: int, k: int, hidden: torch.Tensor) -> float:
        """NLL (nats, summed over scored tokens) of window ``w`` from a received hidden (tokens, hidden)."""
        logits = self.split.tail(hidden.unsqueeze(0), k)[0]
        return nll_from_logits(logits, self.windows[w])

    def compare(self, w: int, k: int, hidden: torch.Tensor) -> dict:
        """Quality of one request (window ``w``) from a received hidden state vs the clean split.

        Returns {"nll", "clean_nll"} (nats per scored token), {"ppl", "clean_ppl"} and
        "n_scored"; the co-simulation calls it with the tensor rebuilt from ns-3's packet fates.
        """
        n = self.windows[w].n_scored
        nll = self.tail_nll(w, k, hidden) / n
        clean = self.tail_nll(w, k, self.cache.get(w, k)) / n
        return {"nll": nll, "clean_nll": clean, "ppl": math.exp(nll), "clean_ppl": math.exp(clean),
                "n_scored": n}

    def window_nll(self, w: int, k: int, damage: Damage = Damage(), seed: int = 0, decisive: int = 0,
                   decisive_factor: float = 100.0) -> float:
        """NLL (nats, summed) of window ``w`` split at ``k`` with ``damage`` seeded by (seed, w).

        ``decisive`` > 0: the exact expectation over up to that many decisive units (elements
        ``decisive_factor`` x the median magnitude or more, or their packets; llm_split.damage.strata),
        the rest drawn from the seed; 0: one plain draw."""
        clean = self.cache.get(w, k).cpu()  # damage draws from a CPU generator; the tail moves it back
        sink = self.sink_row(k).cpu() if damage.sink else None
        units = decisive_units(clean, damage, decisive, decisive_factor)
        return sum(weight * self.tail_nll(w, k, damage.apply(clean, self.generator(seed, w), sink, forced))
                   for forced, weight in strata(units, damage.p))

    def perplexity(self, k: int, damage: Damage = Damage(), seed: int = 0,
                   windows: Iterable[int] | None = None) -> float:
        """exp(mean NLL per scored token) over ``windows`` (default all)."""
        idx = range(len(self.windows)) if windows is None else list(windows)
        nll = sum(self.window_nll(w, k, damage, seed) for w in idx)
        return math.exp(nll / sum(self.windows[w].n_scored for w in idx))

    def sweep(self, cells: Sequence[tuple[int, Damage]], seed: int = 0, progress=None, decisive: int = 0,
              decisive_factor: float = 100.0) -> list[float]:
        """Perplexity of every (k, damage) cell, windows outside so the cache holds one at a time.

        Args:
            cells: (k, damage) pairs.
            seed: damage seed (same seed, same damage, same perplexity).
            progress: optional callable(n) called after each window's evaluation.
            decisive, decisive_factor: as for :meth:`window_nll`.
        """
        nll = [0.0] * len(cells)
        for w in range(len(self.windows)):
            for i, (k, damage) in enumerate(cells):
                nll[i] += self.window_nll(w, k, damage, seed, decisive, decisive_factor)
                if progress is not None:
                    progress(1)
        return [math.exp(v / self.n_scored) for v in nll]

    def full_perplexity(self) -> float:
        """Perplexity of the unsplit model (a check that splitting changes nothing)."""
        nll = sum(nll_from_logits(self.split.full(w.ids.unsqueeze(0))[0], w) for w in self.windows)
        return math.exp(nll / self.n_scored)
