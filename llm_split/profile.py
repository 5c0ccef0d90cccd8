"""Split-point analysis: for every k, UE share of compute, bytes on the wire and perplexity under
element and packet erasure; written as ``profile.csv`` and ``profile.png`` (heat map).

``profile.csv`` has one row per (k, p, mode) with columns:

=================  =====================================================================
k                  split point, 0..L (layers [0, k) on the UE)
p                  element (mode ``element``) or packet (mode ``packet``) loss probability
mode               ``element`` or ``packet`` (p = 0 rows are the clean split)
ppl                perplexity over all evaluation windows (mean over the mask seeds of the
                   log perplexity, then exp); with ``decisive`` > 0 each seed's figure is the
                   exact expectation over each window's decisive elements (llm_split.damage.strata)
ppl_lo, ppl_hi     its 95 % confidence interval over the mask seeds (llm_split.uncertainty)
seeds              mask seeds used: ``seeds`` at least, then one more at a time while the
                   interval is wider than +-``ci_target`` (relative), up to ``max_seeds``
ci_ok              the interval is within +-``ci_target`` (False: max_seeds was not enough)
clean_ppl          perplexity of the unsplit model on the same windows
ue_flop_share      fraction of the prefill FLOPs run on the UE, 0..1
bytes_per_token    tensor bytes per token on the wire in ``wire_dtype`` (no headers)
wire_bytes         bytes of all packets of one window (headers and side blocks included)
ue_time_s          UE prefill time of one window on the UE device profile, seconds
ue_energy_j        UE prefill energy of one window, joules
edge_time_s        edge prefill time of one window on the edge device profile, seconds
=================  =====================================================================
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from cosim.config.checks import Choice, ConfigError, Fn, Int, ListOf, Num, Optional, Section, Str
from llm_split.cost import resolve_profile
from llm_split.damage.models import Damage
from llm_split.damage.registry import get as get_damage_model
from llm_split.damage.registry import names as damage_models
from llm_split.model import DEVICES, DTYPES
from llm_split.wire.codec import Codec
from llm_split.wire.settings import WIRE_KEYS, check_wire

PROFILE_MODES = ("element", "packet")  # the default; any damage model whose strength is p (by_p) can be profiled
DEFAULT_PS = (0.0, 0.01, 0.05, 0.1, 0.2, 0.3)
MAX_DECISIVE = 6
MAX_LAYER = 1024  # checked against the model's layers once it is loaded


@dataclass
class ProfileConfig:
    """Settings of a split-point analysis; every field is checked when built, by the config engine
    that checks scenarios (:data:`SCHEMA`; a ConfigError, a ValueError, names the field)."""

    model: str = "smollm2-135m"
    corpus: str = "lee"
    window: int = 256
    stride: int = 256
    max_tokens: int = 1024
    ks: tuple[int, ...] | None = None  # None: every k in 0..L
    ps: tuple[float, ...] = DEFAULT_PS
    modes: tuple[str, ...] = PROFILE_MODES
    dtype: str = "float32"
    device: str = "cpu"  # auto | cpu | cuda (bfloat16 on a GPU)
    seed: int = 0
    seeds: int = 3
    max_seeds: int = 12
    ci_target: float = 0.10
    decisive: int = 1
    decisive_factor: float = 100.0
    out: str = "profile_out"
    cache_dir: str | None = None
    wire_dtype: str = "float16"
    tensor_bytes: int = 1024  # per packet, header and side block on top (a session counts the whole packet)
    fill: str = "zero"
    sink_row: bool = False
    protect: tuple[int, ...] = field(default=())
    interleave: bool = False  # packet mode: spread elements over the packets (llm_split.wire.codec)
    ue_device: str = "phone"
    edge_device: str = "edge-gpu"
    max_cache_mb: float = 1024.0

    def __post_init__(self):
        for name, parse in SCHEMA.fields.items():
            setattr(self, name, parse(name, getattr(self, name)))
        SCHEMA.check("", self)


def _modes(path: str, v) -> tuple[str, ...]:
    allowed = tuple(m for m in damage_models() if get_damage_model(m).by_p)
    modes = ListOf(Choice(allowed), len(allowed), into=tuple)(path, v)
    if not modes:
        raise ConfigError(f"{path}: [] must be a non-empty subset of {', '.join(allowed)}")
    return modes


def _ps(path: str, v) -> tuple[float, ...]:
    ps = ListOf(Num(0, 1), 1000, into=tuple)(path, v)
    if not ps:
        raise ConfigError(f"{path}: [] must hold at least one probability in [0, 1]")
    return ps


def _check(path: str, cfg: ProfileConfig) -> None:
    if cfg.max_seeds < cfg.seeds:
        raise ConfigError(f"max_seeds: {cfg.max_seeds!r} must be >= seeds ({cfg.seeds})")
    check_wire(path, cfg)


# The profile's keys, as `layersplit profile` takes them (--max-tokens for max_tokens); also listed
# on the reference page of every key (cosim.config.reference).
SCHEMA = Section(ProfileConfig, {
    "model": Str(), "corpus": Str(),
    "window": Int(1, 32_768, unit="tokens"), "stride": Int(1, 32_768, unit="tokens"),
    "max_tokens": Int(2, 100_000_000, unit="tokens"),
    "ks": Optional(ListOf(Int(0, MAX_LAYER), MAX_LAYER + 1, into=tuple)),
    "ps": Fn(_ps, "list of numbers", "probabilities, 0 <= x <= 1, at least one"),
    "modes": Fn(_modes, "list of names", "damage models whose strength is p (element, packet, ...), at least one"),
    "dtype": Choice(tuple(DTYPES)), "device": Choice(DEVICES),
    "seed": Int(0, 2**32 - 1), "seeds": Int(1, 1000), "max_seeds": Int(1, 1000),
    "ci_target": Num(0, 10, lo_open=True),
    "decisive": Int(0, MAX_DECISIVE), "decisive_factor": Num(1, 1e6, lo_open=True),
    "out": Str(), "cache_dir": Optional(Str()),
    "tensor_bytes": Int(16, 1 << 20),
    **WIRE_KEYS,
    "ue_device": Str(), "edge_device": Str(),
    "max_cache_mb": Num(0, 1e6, lo_open=True),
}, check=_check)


def _cells(cfg: ProfileConfig, ks, codec: Codec) -> list[tuple[int, Damage]]:
    cells = []
    for k in ks:
        for p in sorted(set(cfg.ps)):
            for mode in cfg.modes:
                d = Damage("none") if p == 0 else Damage(mode, p, codec=codec, fill=cfg.fill, sink=cfg.sink_row)
                if (k, d) not in cells:
                    cells.append((k, d))
    return cells


def run_profile(cfg: ProfileConfig, progress: bool = True):
    """Run the analysis and return a pandas DataFrame with the columns of ``profile.csv``."""
    import pandas as pd
    from tqdm import tqdm

    from llm_split.cost import CostModel
    from llm_split.workbench import open_workbench

    devices = resolve_profile(cfg.ue_device, cfg.cache_dir), resolve_profile(cfg.edge_device, cfg.cache_dir)
    wb = open_workbench(cfg.model, corpus=cfg.corpus, window=cfg.window, stride=cfg.stride, max_tokens=cfg.max_tokens,
                        dtype=cfg.dtype, device=cfg.device, cache_dir=cfg.cache_dir, field="--device", ks=cfg.ks,
                        max_cache_mb=cfg.max_cache_mb)
    ev, windows = wb.evaluator, wb.windows
    ks = list(range(wb.n_layers + 1)) if cfg.ks is None else list(cfg.ks)
    codec = Codec(wb.hidden_size, cfg.wire_dtype, cfg.tensor_bytes, cfg.protect, cfg.fill, cfg.interleave)
    cells = _cells(cfg, ks, codec)
    bar = tqdm(total=len(cells) * len(windows) * cfg.seeds + len(windows),
               desc="profile", disable=not progress, unit="pass")
    clean = ev.full_perplexity()
    bar.update(len(windows))
    ppl_of = dict(zip(cells, _seeded_intervals(ev, cells, cfg, bar)))
    bar.close()
    cost = CostModel(wb.model, *devices)
    tokens = len(windows[0].ids)
    rows = []
    for k in ks:
        ue_t, ue_e = cost.ue_cost(k, tokens)
        base = dict(clean_ppl=clean, ue_flop_share=cost.ue_flop_share(k, tokens),
                    bytes_per_token=codec.stream_bytes(1), wire_bytes=codec.wire_bytes(tokens),
                    ue_time_s=ue_t, ue_energy_j=ue_e, edge_time_s=cost.edge_cost(k, tokens)[0])
        for p in sorted(set(cfg.ps)):
            for mode in cfg.modes:
                d = Damage("none") if p == 0 else Damage(mode, p, codec=codec, fill=cfg.fill, sink=cfg.sink_row)
                ci = ppl_of[(k, d)]
                rows.append(dict(k=k, p=p, mode=mode, ppl=ci.value, ppl_lo=ci.lo, ppl_hi=ci.hi, seeds=ci.n,
                                 ci_ok=ci.rel_half <= cfg.ci_target, **base))
    return pd.DataFrame(rows)


def _seeded_intervals(ev, cells, cfg: ProfileConfig, bar) -> list:
    """Per cell, the perplexity and its interval over mask seeds (module doc: ``seeds`` for every
    damaged cell, more for the cells still wider than ``ci_target``). A cell's seeds depend only
    on its own results, so the same seed gives the same figure whatever else is profiled."""
    from llm_split.uncertainty import ppl_interval

    fixed = [d.mode == "none" for _, d in cells]  # no random damage: one pass is the exact figure
    logs: list[list[float]] = [[] for _ in cells]
    todo = list(range(len(cells)))
    for s in range(cfg.max_seeds):
        if s >= 1:
            todo = [i for i in todo if not fixed[i]]
        if s >= cfg.seeds:
            todo = [i for i in todo if ppl_interval(logs[i]).rel_half > cfg.ci_target]
            bar.total += len(todo) * len(ev.windows)
        if not todo:
            break
        for i, ppl in zip(todo, ev.sweep([cells[i] for i in todo], cfg.seed + s, bar.update, cfg.decisive,
                                         cfg.decisive_factor)):
            logs[i].append(math.log(ppl))
    return [ppl_interval(v, f) for v, f in zip(logs, fixed)]


def plot_heatmap(df, path: str | Path) -> None:
    """One panel per damage mode: log10 perplexity over (p, k)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    modes = list(dict.fromkeys(df["mode"]))
    fig, axes = plt.subplots(1, len(modes), figsize=(6 * len(modes), 3.5), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        grid = df[df["mode"] == mode].pivot(index="p", columns="k", values="ppl")
        im = ax.imshow(np.log10(grid.values), aspect="auto", origin="lower", cmap="magma_r")
        ax.set_xticks(range(len(grid.columns)), [str(k) for k in grid.columns], fontsize=7)
        ax.set_yticks(range(len(grid.index)), [f"{p:g}" for p in grid.index])
        ax.set_xlabel("split point k")
        ax.set_ylabel("loss probability p")
        ax.set_title(f"{mode} erasure: log10 perplexity")
        fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_profile(cfg: ProfileConfig, progress: bool = True):
    """Run :func:`run_profile` and write ``profile.csv`` and ``profile.png`` under ``cfg.out``."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    df = run_profile(cfg, progress)
    df.to_csv(out / "profile.csv", index=False)
    plot_heatmap(df, out / "profile.png")
    return df
