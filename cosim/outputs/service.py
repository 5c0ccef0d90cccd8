"""What a split run's requests got: latency percentiles, the time to the first token, the gap
between tokens, the share meeting the latency targets and the UE's energy per request and per
token, each with a 95 % percentile-bootstrap interval over requests.

Shared by ``layersplit trace summary``, the run report and the comparison page. Requests are
resampled whole (2,000 draws, seed 0), so a ratio such as joules per token keeps each request's
energy with its tokens; the same requests give the same intervals.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

REPS = 2000
LEVEL = 0.95


def _bootstrap(columns: dict[str, np.ndarray], statistic: Callable[[dict], float]) -> tuple[float, float, float]:
    """statistic of the requests, and its interval over requests drawn with replacement."""
    n = len(next(iter(columns.values())))
    point = statistic(columns)
    if n < 2:
        return point, np.nan, np.nan
    rng = np.random.default_rng(0)
    draws = rng.integers(n, size=(REPS, n))
    boots = np.array([statistic({k: v[i] for k, v in columns.items()}) for i in draws])
    lo, hi = np.percentile(boots, [50 * (1 - LEVEL), 50 * (1 + LEVEL)])
    return point, float(lo), float(hi)


def _percentiles(req: pd.DataFrame, column: str, label: str, unit: str, qs=(50, 95, 99)) -> list[tuple]:
    v = req[column].to_numpy(np.float64) if column in req else np.array([])
    v = v[np.isfinite(v)]
    if not len(v):
        return []
    return [(f"{label} p{q}", unit, *_bootstrap({"v": v}, lambda c, q=q: float(np.percentile(c["v"], q))))
            for q in qs]


def service_figures(req: pd.DataFrame) -> pd.DataFrame:
    """One row per figure (index), columns ``unit``, ``value``, ``lo``, ``hi``. Figures a run cannot
    give are left out: the gap between tokens without decoding, the target share without targets,
    the energy of a run stopped before its radio account (and the columns of runs made before them)."""
    rows = [("requests", "", float(len(req)), np.nan, np.nan)]
    rows += _percentiles(req, "latency_s", "latency", "s")
    rows += _percentiles(req, "ttft_s", "time to first token", "s")
    rows += _percentiles(req, "itl_s", "inter-token latency", "s", (50, 95))
    met = req["met_target"].to_numpy(np.float64) if "met_target" in req else np.array([])
    if np.isfinite(met).any():
        rows.append(("met latency target", "share", *_bootstrap({"m": met[np.isfinite(met)]},
                                                               lambda c: float(c["m"].mean()))))
    if len(req) and "ue_radio_j" in req and req["ue_radio_j"].notna().all():
        energy = (req["ue_compute_j"] + req["ue_radio_j"]).to_numpy(np.float64)
        cols = {"e": energy, "c": req["ue_compute_j"].to_numpy(np.float64),
                "r": req["ue_radio_j"].to_numpy(np.float64), "t": (req["new_tokens"] + 1).to_numpy(np.float64)}
        rows += [("UE energy per request", "J", *_bootstrap(cols, lambda c: float(c["e"].mean()))),
                 ("  of it compute", "J", *_bootstrap(cols, lambda c: float(c["c"].mean()))),
                 ("  of it radio", "J", *_bootstrap(cols, lambda c: float(c["r"].mean()))),
                 ("UE energy per token", "J", *_bootstrap(cols, lambda c: float(c["e"].sum() / c["t"].sum())))]
    return pd.DataFrame(rows, columns=["figure", "unit", "value", "lo", "hi"]).set_index("figure")


def _text(r) -> str:
    return f"{r['value']:.4g}" + (f" [{r['lo']:.4g}, {r['hi']:.4g}]" if np.isfinite(r["lo"]) else "")


def format_figures(table: pd.DataFrame) -> str:
    """The figures as aligned text lines: ``figure  value [lo, hi] unit``."""
    width = max(map(len, table.index))
    return "\n".join(f"{name:<{width}}  {_text(r)} {r['unit']}".rstrip() for name, r in table.iterrows())


def figures_side_by_side(requests: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """:func:`service_figures` of several sets of requests as text cells ``value [lo, hi]``: one
    column per set, one row per figure (blank where a set lacks it)."""
    cols = {}
    for label, req in requests.items():
        t = service_figures(req)
        cols[label] = {f"{name} ({r['unit']})" if r["unit"] else name: _text(r) for name, r in t.iterrows()}
    return pd.DataFrame(cols).fillna("")
