"""Learning-curve plot and comparison table of a training run."""
from __future__ import annotations

import math
from pathlib import Path


def plot_curves(metrics: dict, path: Path) -> None:
    """PNG: held-out share of the random-to-skyline gap vs real evaluations (log x) and steps, per learner."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for learner in metrics["learners"].values():
        pts = learner["curve"]
        if pts:
            ax1.plot([max(p["real_evals"], 1) for p in pts], [p["frac_skyline"] for p in pts], "o-", label=learner["label"])
            ax2.plot([p["steps"] for p in pts], [p["frac_skyline"] for p in pts], "o-", label=learner["label"])
    for ax in (ax1, ax2):
        ax.axhline(0.95, ls="--", c="grey", lw=1)
        best = metrics["comparison"][metrics["best_fixed"]]["frac_skyline"]
        ax.axhline(best, ls=":", c="k", lw=1, label=f"best fixed ({metrics['best_fixed']})")
        ax.set_ylabel("held-out (R - R_random) / (R_skyline - R_random)")
        ax.grid(alpha=0.3)
    ax1.set_xscale("log")
    ax1.set_xlabel("real evaluations (distinct, equal charging)")
    ax2.set_xlabel("PPO environment steps")
    ax1.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def comparison_markdown(metrics: dict) -> str:
    """Table: method, mean reward, shares of the skyline and oracle gaps, PPL, UE share, latency, real evals."""
    if "learners" not in metrics:
        raise ValueError("RUN: its metrics.json predates equal charging and the skyline (issue 14); "
                         "train it again with `layersplit train CONFIG`")
    evals = {ln["policy"]: ln["real_evals"] for ln in metrics["learners"].values()}
    evals["greedy_surrogate"] = metrics["learners"]["mbrl"]["real_evals"]
    lines = ["| method | mean reward (95 % CI) | frac of skyline gap | frac of oracle gap | mean PPL | median PPL | "
             "UE share | latency ms | real evals |", "|---|---|---|---|---|---|---|---|---|"]
    rows = sorted(metrics["comparison"].items(), key=lambda kv: -kv[1]["mean_reward"])
    shown = ("fixed_k0", "fixed_k15", "fixed_k30", metrics["best_fixed"])
    for name, r in rows:
        if name.startswith("fixed_k") and name not in shown:
            continue
        frac = " | ".join("" if math.isnan(r[f]) else f"{r[f]:.3f}" for f in ("frac_skyline", "frac_oracle"))
        lines.append(f"| {name} | {r['mean_reward']:.3f} +- {r['reward_ci95']:.3f} | {frac} | {r['mean_ppl']:.4g} | "
                     f"{r['median_ppl']:.4g} | {r['ue_share']:.3f} | {r['latency_ms']:.1f} | {evals.get(name, '')} |")
    s = metrics["surrogate"]
    lines += ["", f"Surrogate on held-out (state, k): MAE of Q {s['mae_q']:.3f} (clean states {s['mae_q_clean_states']:.3f}, "
              f"damaged {s['mae_q_damaged_states'] or float('nan'):.3f}), best-k agreement {s['best_k_agreement']:.3f}, "
              f"from {s['real_evals']} real evaluations.",
              "Fixed k rows: k = 0, 15, 30 and the best fixed k; all are in metrics.json.",
              f"Real evaluations: {metrics.get('accounting', '')}.",
              "Mean reward +- the half-width of its 95 % confidence interval over the held-out decisions (every "
              "method on the same decisions: a difference between two methods needs a paired test, not these)."]
    return "\n".join(lines) + "\n"
