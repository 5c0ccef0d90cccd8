"""The set-up every user of the split model starts from: the model cut into halves, its text windows
with their hidden states cached, the wire codec and the compute-cost model.

A split session (cosim.session.inference), ``layersplit profile`` (llm_split.profile), the agent's
real evaluator and its paper bank all need the same few objects; :func:`open_workbench` builds
them once, in one order, so a setting means the same thing everywhere (e.g. ``window`` tokens
after the BOS token, windows that do not overlap unless ``stride`` says so).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass
class Workbench:
    model: object           # the Hugging Face causal LM
    tokenizer: object
    split: object           # llm_split.split.SplitModel
    evaluator: object       # llm_split.perplexity.Evaluator over ``windows``
    load_wall_s: float      # seconds spent loading the model

    @property
    def windows(self) -> list:
        return self.evaluator.windows

    @property
    def n_layers(self) -> int:
        return self.split.n_layers

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def codec(self, wire_dtype: str, payload_bytes: int, protect: Sequence[int] = (), fill: str = "zero",
              interleave: bool = False):
        """The codec whose packets are ``payload_bytes`` each on the air (header and protected
        channels included) for this workbench's windows (llm_split.lossy.wire_codec)."""
        from llm_split.lossy import wire_codec

        tokens = int(self.windows[0].ids.numel())
        return wire_codec(self.hidden_size, wire_dtype, payload_bytes, protect, fill, tokens, interleave)

    def cost_model(self, ue_device: str = "phone", edge_device: str = "edge-gpu", cache_dir=None):
        """Time and energy per device of this model (llm_split.cost), devices by profile name or file."""
        from llm_split.cost import CostModel, resolve_profile

        return CostModel(self.model, resolve_profile(ue_device, cache_dir), resolve_profile(edge_device, cache_dir))


def open_workbench(model: str, *, corpus: str, window: int, max_tokens: int, stride: int | None = None,
                   dtype: str = "float32", device: str = "cpu", cache_dir=None, field: str = "model.device",
                   ks: Iterable[int] | None = None, full_windows: bool = False,
                   max_cache_mb: float = 1024.0) -> Workbench:
    """Loads ``model`` and cuts the first ``max_tokens`` tokens of ``corpus`` into windows of
    ``window`` tokens every ``stride`` (default: ``window``), BOS first.

    Args:
        field: the config key named when the device cannot be had (llm_split.model.load_model).
        ks: split points whose hidden states are cached (default: every one, 0..L).
        full_windows: keep only windows of exactly ``window`` tokens (a short last one is dropped).
        max_cache_mb: bound of the hidden-state cache (llm_split.perplexity.HiddenStateCache).
    """
    from llm_split.corpus import load_text, sliding_windows, tokenize
    from llm_split.model import load_model
    from llm_split.perplexity import Evaluator
    from llm_split.split import SplitModel

    t0 = time.perf_counter()
    lm, tok = load_model(model, dtype, cache_dir, device, field)
    load_wall_s = time.perf_counter() - t0
    split = SplitModel(lm)
    ks = range(split.n_layers + 1) if ks is None else list(ks)
    for k in ks:
        split.check_k(k)
    ids = tokenize(load_text(corpus), tok, max_tokens=max_tokens)
    windows = sliding_windows(ids, window, stride or window, tok.bos_token_id)
    if full_windows:
        windows = [w for w in windows if w.ids.numel() == window + 1]
    return Workbench(lm, tok, split, Evaluator(split, windows, ks, max_cache_mb), load_wall_s)
