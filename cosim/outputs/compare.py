"""`layersplit report RUN RUN ...`: split policies side by side, one row per run.

Runs of one scenario and seed that differ only in ``split`` met the same channel (the same
mobility, fading and arrivals; the packets differ with the UE's compute time at each k), so
their quality can be compared request for request. The page says which other settings differ
when they do. Quality per run: the per-request log perplexity (NLL per scored token), its
median and its mean with a 95 % interval, and the pooled perplexity; a mean perplexity would be
dominated by the few requests whose packets were lost.
"""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cosim.config.checks import DERIVED, load_yaml
from cosim.outputs.page import PAGE, png
from cosim.outputs.report import load_requests, pooled_ppl
from cosim.outputs.service import figures_side_by_side

IGNORED = {"split", "name"}  # the fields that may differ between runs of one comparison
# (and "derived": what the settings resolved to, which differs only where a setting does)


def policy_label(split: dict) -> str:
    """``fixed k=8``, ``sinr_table``, ``agent (folder)``: what chose the splits of a run."""
    policy = split.get("policy", "fixed")
    if policy == "fixed":
        return f"fixed k={split.get('k')}"
    if policy == "agent":
        return f"agent ({Path(str(split.get('agent'))).name})"
    return str(policy)


def _config(run: Path) -> dict:
    return load_yaml(run / "config.yaml", "run config")


def differences(configs: list[dict]) -> list[str]:
    """Top-level settings, other than ``split`` and ``name``, that are not the same in every run."""
    keys = sorted(set().union(*configs) - IGNORED - {DERIVED})
    return [k for k in keys if any(c.get(k) != configs[0].get(k) for c in configs[1:])]


def policy_row(req: pd.DataFrame) -> dict:
    log_ppl = req["nll"] / req["scored_tokens"]
    return {"requests": len(req), "mean k": req["k"].mean(), "damaged share": (req["packets_lost"] > 0).mean(),
            "log ppl median": log_ppl.median(), "log ppl mean": log_ppl.mean(),
            "log ppl mean ci95": 1.96 * log_ppl.std() / np.sqrt(len(req)),  # NaN for a single request
            "pooled ppl": pooled_ppl(req, "nll"), "clean ppl": pooled_ppl(req, "nll_clean"),
            "mean latency ms": 1000 * req["latency_s"].mean()}


def _requests(runs: list[Path]) -> dict[str, pd.DataFrame]:
    """Each run's finished requests, keyed by ``policy_label [folder]``."""
    out = {}
    for run in runs:
        req = load_requests(run)
        if req.empty:
            raise ValueError(f"RUN: {run}/requests.parquet has no finished request to compare")
        out[f"{policy_label(_config(run).get('split', {}))} [{run.name}]"] = req
    return out


def comparison_table(runs: list[Path]) -> pd.DataFrame:
    """One row per run (index: ``policy_label`` and the folder name), columns of :func:`policy_row`."""
    return _table(_requests(runs))


def _table(requests: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.DataFrame.from_dict({label: policy_row(req) for label, req in requests.items()}, orient="index")


def _log_ppl_cdf(requests: dict[str, pd.DataFrame]):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for label, req in requests.items():
        v = np.sort((req["nll"] / req["scored_tokens"]).to_numpy())
        ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", label=label)
    ax.set_xlabel("log perplexity per request (nats per token)")
    ax.set_ylabel("share of requests")
    ax.legend(fontsize=8)
    return fig


def write_comparison(runs: list[str | Path], out: str | Path) -> Path:
    """Writes the comparison page of ``runs`` (two or more run folders) to ``out``."""
    runs = [Path(r) for r in runs]
    if len(runs) < 2:
        raise ValueError("RUN: give two or more run folders to compare")
    requests = _requests(runs)
    table = _table(requests)
    differ = differences([_config(r) for r in runs])
    same = ("Every run has the same scenario and seed apart from the split policy: they met the same channel."
            if not differ else "These runs differ in more than the split policy: "
            + ", ".join(html.escape(d) for d in differ) + "; they did not meet the same channel.")
    body = ["<h1>layersplit: split policies side by side</h1>", f"<p>{same}</p>",
            "<h2>Per policy (log perplexity per request: median, mean and its 95 % interval)</h2>",
            table.to_html(float_format=lambda v: f"{v:.4g}"),
            "<h2>Latency, targets and UE energy per policy (95 % intervals over requests)</h2>",
            figures_side_by_side(requests).to_html(),
            "<h2>Log perplexity per request</h2><img class='figure' alt='log perplexity CDF' "
            f"src='data:image/png;base64,{png(_log_ppl_cdf(requests))}'>"]
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(title="split policies", body="\n".join(body)))
    return path
