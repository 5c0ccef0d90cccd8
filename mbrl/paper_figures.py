"""Figures of the paper's experiment (mbrl.paper): perplexity against k per p, reward against
training steps and against real evaluations per method, and the evaluation-cost ratio."""
from __future__ import annotations

from pathlib import Path

import numpy as np

_COLORS = {"mbrl_ppo": "tab:red", "ppo": "tab:blue", "a2c": "tab:green", "dqn": "tab:purple"}
_LABELS = {"mbrl_ppo": "PPO on the surrogate (MBRL)", "ppo": "PPO, real evaluations",
           "a2c": "A2C, real evaluations", "dqn": "DQN, real evaluations"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_ppl_vs_k(bank, path: str | Path) -> None:
    """Bank perplexity (mean log over masks, then exp; 95 % interval band) against k, a line per p."""
    from llm_split.uncertainty import ppl_interval

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, p in enumerate(bank.ps):
        if p == 0:
            continue
        cis = [ppl_interval(np.log(bank.ppl[i, j]).tolist()) for j in range(len(bank.ks))]
        line, = ax.plot(bank.ks, [c.value for c in cis], marker="o", ms=3, label=f"p = {p:g}")
        ax.fill_between(bank.ks, [c.lo for c in cis], [min(c.hi, 1e6) for c in cis], color=line.get_color(), alpha=0.15)
    ax.axhline(bank.clean, color="k", ls="--", lw=1, label=f"clean {bank.clean:.1f}")
    ax.set_yscale("log")
    ax.set_xlabel("split point k (layers on the UE)")
    ax.set_ylabel("perplexity")
    ax.set_title(f"i.i.d. element erasure after layer k ({bank.ppl.shape[2]} masks per point, 95 % band)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_curves(metrics: dict, path: str | Path, x: str) -> None:
    """Held-out mean true reward per step against ``x`` (``steps`` or ``real_evals``) per method,
    with the optimum, best fixed split and random policy as lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, r in metrics["methods"].items():
        c = r["curve"]
        xs = [max(p[x], 1) for p in c] if x == "paid" else [p[x] for p in c]
        ax.plot(xs, [p["mean_reward"] for p in c], marker="." if x == "steps" else "o", ms=4,
                color=_COLORS.get(name), label=_LABELS.get(name, name))
    refs = metrics["references"]
    for key, style, label in (("optimum", "-", "optimum"),
                              ("best_fixed", "--", f"best fixed k = {refs['best_fixed_k']} (chosen on training data)"),
                              ("random", ":", "random")):
        ax.axhline(refs[key], color="gray", ls=style, lw=1, label=label)
    if x == "paid":
        ax.set_xscale("log")
        ax.set_xlabel("real evaluations charged (MBRL: its surrogate's fit; p = 0 free for all)")
    else:
        ax.set_xlabel("training steps")
    ax.set_ylabel("deployed policy: mean reward per step, scoring data")
    rewards = [p["mean_reward"] for r in metrics["methods"].values() for p in r["curve"]]
    lo = min([refs["random"], *rewards])
    ax.set_ylim(lo - 0.1 * abs(lo), refs["optimum"] + 0.1 * (refs["optimum"] - lo + 1e-9))
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_cost_ratio(metrics: dict, path: str | Path) -> None:
    """Real evaluations and wall seconds per method (log scale); estimated bars hatched."""
    plt = _plt()
    names = list(metrics["methods"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, key, label in ((axes[0], "paid", "real evaluations paid"), (axes[1], "wall_s", "wall seconds")):
        vals = [max(metrics["methods"][n][key], 1e-3) for n in names]
        for i, (n, v) in enumerate(zip(names, vals)):
            est = key == "wall_s" and not metrics["methods"][n]["wall_measured"]
            ax.bar(i, v, color=_COLORS.get(n), hatch="//" if est else None, edgecolor="k")
            ax.text(i, v, f"{v:,.0f}" + (" (est.)" if est else ""), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(names)), names)
        ax.set_yscale("log")
        ax.set_ylabel(label)
    ratio = metrics.get("cost_ratio", {})
    mf = [r["wall_s"] for n, r in ratio.items() if n != "paper"]
    title = "hatched: estimated (bank draws x measured seconds per evaluation)"
    if mf:
        title += f"\nwall ratio model-free / MBRL: {min(mf):,.0f}-{max(mf):,.0f}x (paper: 24 days / 7.7 min = " \
                 f"{ratio['paper']['wall_s']:,.0f}x)"
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


__all__ = ["plot_ppl_vs_k", "plot_curves", "plot_cost_ratio"]
