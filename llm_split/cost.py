"""Compute-cost model of a split LLM: FLOPs and bytes per layer, time and energy per device.

Counting (per sequence, batch 1):

* a decoder layer with W weight parameters processing n new tokens: ``2 * W * n`` FLOPs for its
  matrix products plus attention ``4 * heads * head_dim * n * c_avg`` where c_avg is the mean
  number of keys each query sees (prefill of T tokens: (T + 1) / 2; one decoded token after a
  context c: c + 1);
* bytes moved: the layer's weights once per pass, the KV cache it reads and writes
  (``2 * kv_heads * head_dim * bytes`` per key position), and the activations in and out;
* embeddings: a table lookup (bytes only); the output head: ``2 * hidden * vocab * n`` FLOPs
  (tied to the embeddings or not, it is read once per pass).

A device runs a layer in ``max(flops / flop_rate, bytes / byte_rate)`` seconds (roofline) and
spends ``power_w`` watts while busy. A batch of passes (:meth:`CostModel.edge_batch_seconds`) adds
each layer's FLOPs and per-sequence bytes over the passes that run it and reads its weights once,
so batching pays where a layer is memory-bound (short prompts, decoding). The UE runs the embeddings and layers [0, k), the edge runs
layers [k, L), the norm and the head.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from .locate import locate


@dataclass(frozen=True)
class DeviceProfile:
    """Sustained (not peak) compute rates of one device.

    Attributes:
        name: label.
        flop_rate: effective FLOP/s on these layer shapes (> 0).
        byte_rate: effective memory bandwidth, bytes/s (> 0).
        power_w: average power while computing, watts (>= 0).
        source: where the numbers come from.
    """

    name: str
    flop_rate: float
    byte_rate: float
    power_w: float
    source: str = ""

    def __post_init__(self):
        for key in ("flop_rate", "byte_rate"):
            if not getattr(self, key) > 0:
                raise ValueError(f"{key}: {getattr(self, key)!r} must be > 0 (device {self.name!r})")
        if self.power_w < 0:
            raise ValueError(f"power_w: {self.power_w!r} must be >= 0 (device {self.name!r})")


# Nominal profiles: peak figures from vendor data sheets times a sustained-efficiency factor
# (30% of peak FLOP/s, 60% of peak bandwidth), typical of single-batch transformer inference.
PROFILES = {
    "phone": DeviceProfile(
        "phone", 0.3 * 2.0e12, 0.6 * 68e9, 5.0,
        "phone-class SoC GPU (Snapdragon 8 Gen 2 / Adreno 740 class): ~2 TFLOP/s fp16 peak, "
        "LPDDR5X 68 GB/s, ~5 W while inferring"),
    "edge-gpu": DeviceProfile(
        "edge-gpu", 0.3 * 121e12, 0.6 * 300e9, 72.0,
        "NVIDIA L4 edge GPU: 121 TFLOP/s fp16 dense tensor peak, 300 GB/s GDDR6, 72 W board power"),
}


@dataclass(frozen=True)
class StageCost:
    """Work of one stage (embeddings, one decoder layer or the norm + head)."""

    flops: float
    bytes: float
    shared_bytes: float = 0.0  # of ``bytes``, the weights: read once by a batch of passes


def _attn_shape(cfg) -> tuple[int, int, int]:
    heads = int(cfg.num_attention_heads)
    kv = int(getattr(cfg, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(cfg, "head_dim", None) or cfg.hidden_size // heads)
    return heads, kv, head_dim


class CostModel:
    """FLOPs, bytes, time and energy of any split point of one model.

    Args:
        model: the transformers causal LM (only its shapes and parameter counts are used).
        ue / edge: device profiles (see :data:`PROFILES` and :func:`measure_profile`).
        bytes_per_param: bytes per weight and activation element on the devices (fp16: 2).
    """

    def __init__(self, model, ue: DeviceProfile = PROFILES["phone"],
                 edge: DeviceProfile = PROFILES["edge-gpu"], bytes_per_param: int = 2):
        parts = locate(model)
        cfg = model.config
        self.ue_device, self.edge_device, self.b = ue, edge, bytes_per_param
        self.n_layers, self.hidden = len(parts.layers), int(cfg.hidden_size)
        self.heads, self.kv_heads, self.head_dim = _attn_shape(cfg)
        self.layer_params = [sum(p.numel() for p in layer.parameters()) for layer in parts.layers]
        self.vocab = int(parts.lm_head.weight.shape[0])
        self.norm_params = sum(p.numel() for p in parts.norm.parameters())

    def stages(self, tokens: int, context: int = 0) -> list[StageCost]:
        """Costs of [embeddings, layer 0, ..., layer L-1, norm + head] for ``tokens`` new tokens.

        Args:
            tokens: new tokens in this pass (prefill: the prompt; decoding: 1), >= 1.
            context: tokens already in the KV cache, >= 0.
        """
        if tokens < 1 or context < 0:
            raise ValueError(f"tokens: {tokens!r} must be >= 1 and context: {context!r} >= 0")
        act = tokens * self.hidden * self.b
        out = [StageCost(0.0, 2 * act)]
        keys_seen = context + (tokens + 1) / 2
        kv_bytes = 2 * self.kv_heads * self.head_dim * self.b * (context + tokens)
        for w in self.layer_params:
            attn = 4 * self.heads * self.head_dim * tokens * keys_seen
            out.append(StageCost(2.0 * w * tokens + attn, w * self.b + kv_bytes + 2 * act, w * self.b))
        head_w = self.vocab * self.hidden + self.norm_params
        out.append(StageCost(2.0 * head_w * tokens, head_w * self.b + act + tokens * self.vocab * 4, head_w * self.b))
        return out

    def check_k(self, k: int) -> None:
        """ValueError unless ``k`` is a split point in 0..L."""
        if not 0 <= k <= self.n_layers:
            raise ValueError(f"k: {k!r} is not in 0..{self.n_layers}")

    def ue_flop_share(self, k: int, tokens: int = 256, context: int = 0) -> float:
        """Fraction (0..1) of the model's FLOPs that run on the UE when split at ``k``."""
        self.check_k(k)
        flops = [s.flops for s in self.stages(tokens, context)]
        return sum(flops[:k + 1]) / sum(flops)

    @staticmethod
    def _time(stages: list[StageCost], dev: DeviceProfile) -> float:
        return sum(max(s.flops / dev.flop_rate, s.bytes / dev.byte_rate) for s in stages)

    def ue_cost(self, k: int, tokens: int, context: int = 0, head: bool = False) -> tuple[float, float]:
        """(seconds, joules) of the UE's half: embeddings and layers [0, k); with ``head`` (k = L
        only: the whole model on the UE) the norm and the head too."""
        self.check_k(k)
        if head and k != len(self.layer_params):
            raise ValueError(f"head: the UE runs the head only at k = {len(self.layer_params)}, not k = {k}")
        t = self._time(self.stages(tokens, context)[:k + 1 + head], self.ue_device)
        return t, t * self.ue_device.power_w

    def edge_cost(self, k: int, tokens: int, context: int = 0, embed: bool = False) -> tuple[float, float]:
        """(seconds, joules) of the edge's half: layers [k, L), the norm and the head; with
        ``embed`` (k = 0 only: the UE sent token ids) the embeddings too."""
        t = self._time(self._edge_stages(k, tokens, context, embed), self.edge_device)
        return t, t * self.edge_device.power_w

    def _edge_stages(self, k: int, tokens: int, context: int, embed: bool) -> list[StageCost]:
        self.check_k(k)
        if embed and k != 0:
            raise ValueError(f"embed: the edge embeds the tokens only at k = 0, not k = {k}")
        return self.stages(tokens, context)[k + 1 - embed:]

    def edge_batch_seconds(self, passes: list[tuple[int, int, int, bool]]) -> float:
        """Seconds of the edge running several tails as one batch, each pass (k, tokens, context,
        embed) as in :meth:`edge_cost`: per stage, the FLOPs and per-sequence bytes of the passes
        that run it add up and its weights are read once. One pass takes edge_cost's time."""
        flops: dict[int, float] = {}
        moved: dict[int, float] = {}
        total = len(self.layer_params) + 2  # stages: embeddings, layers, norm + head
        for k, tokens, context, embed in passes:
            stages = self._edge_stages(k, tokens, context, embed)
            for j, s in enumerate(stages, start=total - len(stages)):
                flops[j] = flops.get(j, 0.0) + s.flops
                moved[j] = moved.get(j, s.shared_bytes) + s.bytes - s.shared_bytes
        dev = self.edge_device
        return sum(max(flops[j] / dev.flop_rate, moved[j] / dev.byte_rate) for j in flops)


def measure_profile(model, tokens: int = 128, repeats: int = 3, power_w: float = 15.0) -> DeviceProfile:
    """Profile of this machine from timing the model's own decoder layers and a memory copy, on
    the model's device (a GPU's work is waited for inside each timing).

    Args:
        model: the causal LM to time (float32 or bfloat16; on the CPU or a GPU).
        tokens: tokens per timed pass (prefill-like, compute bound).
        repeats: timed repetitions; the fastest counts.
        power_w: assumed power while busy (not readable portably).
    """
    from .split import SplitModel

    split = SplitModel(model)
    device = split.device
    ids = torch.randint(0, int(model.config.vocab_size), (1, tokens))
    hidden = split.head(ids, 0)
    cost = CostModel(model, bytes_per_param=hidden.element_size())
    layers_flops = sum(s.flops for s in cost.stages(tokens)[1:-1])
    best = _fastest(lambda: split.head(ids, split.n_layers), repeats + 1, device)  # + 1: a GPU's first pass warms up
    buf = torch.ones(64 * 2**20, dtype=torch.uint8, device=device)
    dst = torch.zeros_like(buf)  # touched once so page faults stay out of the timing
    copy = _fastest(lambda: dst.copy_(buf), repeats, device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    return DeviceProfile("measured", layers_flops / best, 2 * buf.numel() / copy, power_w,
                         f"measured on this machine ({where}, {tokens}-token pass of all layers in "
                         f"{str(model.dtype).removeprefix('torch.')}); power assumed {power_w} W")


def _fastest(fn, repeats: int, device: torch.device) -> float:
    """Fastest wall time of ``fn()`` over ``repeats`` calls, waiting for a GPU's queued work."""
    wait = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    best = float("inf")
    for _ in range(repeats):
        wait()
        start = time.perf_counter()
        fn()
        wait()
        best = min(best, time.perf_counter() - start)
    return best


def save_profile(profile: DeviceProfile, path: str | Path) -> None:
    """Write a profile as JSON."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(asdict(profile), indent=2))


def load_profile(path: str | Path) -> DeviceProfile:
    """Read a profile written by :func:`save_profile`."""
    return DeviceProfile(**json.loads(Path(path).read_text()))


def resolve_profile(name: str, cache_dir: str | Path | None = None) -> DeviceProfile:
    """A device profile by name: one of :data:`PROFILES`, ``"measured"`` (what ``layersplit profile
    --measure`` saved under the cache), or the path of a JSON file written by :func:`save_profile`."""
    from .model import default_cache_dir

    if name in PROFILES:
        return PROFILES[name]
    if name == "measured":
        path = Path(cache_dir or default_cache_dir()) / "profiles" / "measured.json"
        if not path.is_file():
            raise ValueError(f"device: 'measured' needs {path}; run `layersplit profile --measure` first")
        return load_profile(path)
    path = Path(name).expanduser()
    if path.is_file():
        return load_profile(path)
    raise ValueError(f"device: {name!r} is not one of {sorted(PROFILES) + ['measured']} nor a profile JSON file")
