"""`layersplit report RUN`: a self-contained HTML report (PNG figures inlined) of a split run.

Figures: latency CDF per split point, latency breakdown per split point, perplexity against the
uplink SINR the request met, and a timeline of one UE (SINR, split, latency); then the table of
per-split means. The page marks itself ``data-figures-loaded`` once every figure has decoded,
which is what the browser test checks.
"""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cosim.outputs.page import PAGE, png
from cosim.outputs.service import figures_side_by_side
from cosim.outputs.traces import REQUESTS_FILE, has_trace, read_requests, read_slots
from cosim.outputs.uplink import fresh_ul_sinr_db, mean_db

PARTS = ["ue_wait_s", "ue_compute_s", "uplink_s", "queue_s", "edge_compute_s", "downlink_s"]


def load_requests(run_dir: Path) -> pd.DataFrame:
    """The run's requests (a killed run's journal too: cosim.outputs.traces.read_requests)."""
    if not has_trace(run_dir, REQUESTS_FILE):
        raise FileNotFoundError(f"RUN: {run_dir} has no requests.parquet; run a split scenario "
                                f"(e.g. examples/split_lte.yaml) with `layersplit run`")
    return read_requests(run_dir)


def with_sinr(requests: pd.DataFrame, slots: pd.DataFrame) -> pd.DataFrame:
    """Adds ``ul_sinr_db``: the UE's mean uplink SINR estimate (cosim.outputs.uplink) over the slots its
    uplink transfer spanned."""
    out = requests.copy()
    sinr = []
    for r in requests.itertuples():
        t0 = r.t_arrival_s + r.ue_wait_s + r.ue_compute_s
        s = slots[(slots["ue"] == r.ue) & (slots["t_ns"] >= t0 * 1e9 - 1e6) & (slots["t_ns"] <= (t0 + r.uplink_s) * 1e9)]
        sinr.append(mean_db(fresh_ul_sinr_db(s)))
    out["ul_sinr_db"] = sinr
    return out


def split_table(requests: pd.DataFrame) -> pd.DataFrame:
    """Per split point: request count, means of latency parts, losses and quality, and the
    per-request log perplexity's median and mean with the half-width of its 95 % interval (a mean
    perplexity is dominated by a few badly damaged requests; the log is not)."""
    req = requests.assign(log_ppl=requests["nll"] / requests["scored_tokens"])
    g = req.groupby("k")
    table = g[["latency_s", *PARTS, "packets_lost", "erased_fraction", "ppl", "ppl_clean"]].mean()
    table.insert(0, "requests", g.size())
    table["log_ppl_median"] = g["log_ppl"].median()
    table["log_ppl_mean"] = g["log_ppl"].mean()
    table["log_ppl_ci95"] = 1.96 * g["log_ppl"].std() / np.sqrt(g.size())  # NaN for a single request
    return table


def pooled_ppl(req: pd.DataFrame, column: str) -> float:
    """exp(total NLL / total scored tokens): one perplexity for a set of requests."""
    return float(np.exp(req[column].sum() / req["scored_tokens"].sum()))


def _latency_cdf(req):
    fig, ax = plt.subplots(figsize=(6, 4))
    for k, r in req.groupby("k"):
        lat = np.sort(r["latency_s"].to_numpy() * 1000)
        ax.step(lat, np.arange(1, len(lat) + 1) / len(lat), where="post", label=f"k = {k}")
    ax.set_xlabel("end-to-end latency (ms)")
    ax.set_ylabel("fraction of requests")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def _breakdown(req):
    means = req.groupby("k")[PARTS].mean() * 1000
    fig, ax = plt.subplots(figsize=(6, 4))
    bottom = np.zeros(len(means))
    for part in PARTS:
        ax.bar(means.index.astype(str), means[part], bottom=bottom, label=part.removesuffix("_s"))
        bottom += means[part].to_numpy()
    ax.set_xlabel("split point k")
    ax.set_ylabel("mean latency (ms)")
    ax.legend(fontsize=8)
    return fig


def _ppl_vs_sinr(req):
    fig, ax = plt.subplots(figsize=(6, 4))
    for k, r in req.groupby("k"):
        ax.scatter(r["ul_sinr_db"], r["ppl"], s=12, label=f"k = {k}")
    ax.scatter(req["ul_sinr_db"], req["ppl_clean"], s=6, c="k", marker="x", label="clean")
    ax.set_yscale("log")
    ax.set_xlabel("mean uplink SINR during the transfer (dB)")
    ax.set_ylabel("perplexity of the request")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _timeline(req, slots, ue):
    s = slots[(slots["ue"] == ue) & ((slots["t_ns"] // 1_000_000) % 10 == 0)]
    r = req[req["ue"] == ue]
    fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
    axes[0].plot(s["t_ns"] / 1e9, fresh_ul_sinr_db(s), lw=0.8)
    axes[0].set_ylabel("UL SINR estimate (dB)")
    axes[1].step(r["t_arrival_s"], r["k"], where="post", marker="o", ms=3)
    axes[1].set_ylabel("split k")
    axes[2].plot(r["t_arrival_s"], r["latency_s"] * 1000, "o-", ms=3)
    axes[2].set_ylabel("latency (ms)")
    axes[2].set_xlabel("simulated time (s)")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(f"UE {ue}")
    return fig


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Writes report.html (default: into the run folder) and returns its path."""
    run_dir = Path(run_dir)
    req = load_requests(run_dir)
    if req.empty:
        raise ValueError(f"RUN: {run_dir}/requests.parquet has no finished request to report")
    slots = read_slots(run_dir)
    req = with_sinr(req, slots)
    ue = int(req["ue"].value_counts().idxmax())
    figures = [
        ("Latency CDF per split point", _latency_cdf(req)),
        ("Latency breakdown per split point", _breakdown(req)),
        ("Perplexity against uplink SINR", _ppl_vs_sinr(req)),
        (f"Timeline of UE {ue}", _timeline(req, slots, ue)),
    ]
    table = split_table(req)
    body = [f"<h1>layersplit report: {html.escape(run_dir.name)}</h1>",
            f"<p>{len(req)} requests from {req['ue'].nunique()} UEs; mean latency "
            f"{req['latency_s'].mean() * 1000:.1f} ms; perplexity over all requests {pooled_ppl(req, 'nll'):.1f} "
            f"(clean {pooled_ppl(req, 'nll_clean'):.1f}), median per request {req['ppl'].median():.1f}.</p>"]
    for title, fig in figures:
        body.append(f"<h2>{html.escape(title)}</h2><img class='figure' alt='{html.escape(title)}' "
                    f"src='data:image/png;base64,{png(fig)}'>")
    body.append("<h2>Latency, targets and UE energy (95 % intervals over requests)</h2>"
                + figures_side_by_side({"all requests": req}).to_html())
    body.append("<h2>Per split point (means; log perplexity per request: median, mean, 95 % interval)</h2>"
                + table.to_html(float_format=lambda v: f"{v:.4g}"))
    page = PAGE.format(title=html.escape(run_dir.name), body="\n".join(body))
    path = Path(out) if out else run_dir / "report.html"
    path.write_text(page)
    return path
