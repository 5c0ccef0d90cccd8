"""`layersplit plot RUN`: PNG plots of a run's slot trace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt

from cosim.outputs.codes import NO_VALUE
from cosim.outputs.traces import cell_positions, enb_position, read_slots
from cosim.outputs.uplink import fresh_ul_sinr_db


def _per_ue(ax, slots, column, label, mask=None, every_ms=10):
    for ue, s in slots.groupby("ue"):
        if mask is not None:
            s = s[mask(s)]
        s = s[(s["t_ns"] // 1_000_000) % every_ms == 0]  # thin out: one point per every_ms
        ax.plot(s["t_ns"] / 1e9, s[column], lw=0.8, label=f"UE {ue}")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)


def track_segments(slots):
    """A UE's track cut where its serving cell changes: [(cell_id, x, y), ...] in time order, each
    segment ending where the next begins so that the drawn track has no gaps."""
    cell = slots["cell_id"].to_numpy()
    cuts = [0, *(np.flatnonzero(np.diff(cell) != 0) + 1), len(cell)]
    x, y = slots["x"].to_numpy(), slots["y"].to_numpy()
    return [(int(cell[a]), x[a:min(b + 1, len(x))], y[a:min(b + 1, len(y))]) for a, b in zip(cuts, cuts[1:])]


def plot_run(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Writes channel.png (SINR, CQI, MCS over time per UE) and trajectories.png."""
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir else run_dir
    out.mkdir(parents=True, exist_ok=True)
    slots = read_slots(run_dir)

    fig, axes = plt.subplots(4, 1, figsize=(10, 11), sharex=True)
    slots = slots.assign(ul_est=fresh_ul_sinr_db(slots))
    _per_ue(axes[0], slots, "ul_est", "UL SINR estimate (dB, SRS)")
    _per_ue(axes[1], slots, "dl_sinr_db", "DL SINR (dB)")
    _per_ue(axes[2], slots, "cqi", "wideband CQI", mask=lambda s: s["cqi"] != NO_VALUE)
    _per_ue(axes[3], slots, "ul_mcs", "UL MCS", mask=lambda s: s["ul_mcs"] != NO_VALUE, every_ms=1)
    axes[3].set_xlabel("simulated time (s)")
    if slots["ue"].nunique() <= 10:
        axes[0].legend(loc="upper right", ncol=5, fontsize=8)
    fig.suptitle(f"{run_dir.name}: channel per UE")
    fig.tight_layout()
    channel = out / "channel.png"
    fig.savefig(channel, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 7))
    sites = cell_positions(run_dir) or {0: enb_position(run_dir)}
    several = len(sites) > 1
    colour = {cell: f"C{i}" for i, cell in enumerate(sorted(sites))}
    for ue, s in slots.groupby("ue"):
        if several:  # each stretch of the track in its serving cell's colour (grey before connecting)
            for cell, x, y in track_segments(s):
                ax.plot(x, y, lw=1.5, color=colour.get(cell, "0.6"))
            ax.plot(s["x"].iloc[0], s["y"].iloc[0], "o", color="0.3", ms=4)
        else:
            line, = ax.plot(s["x"], s["y"], lw=1)
            ax.plot(s["x"].iloc[0], s["y"].iloc[0], "o", color=line.get_color(), ms=4)
    for i, (cell, (ex, ey, _)) in enumerate(sorted(sites.items())):
        ax.plot([ex], [ey], "^", color=colour[cell] if several else "k", ms=12,
                label="base station" if i == 0 else None)
        if several:
            ax.annotate(f"cell {cell}", (ex, ey), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"{run_dir.name}: UE trajectories (dots: start" + ("; colour: serving cell)" if several else ")"))
    fig.tight_layout()
    traj = out / "trajectories.png"
    fig.savefig(traj, dpi=110)
    plt.close(fig)
    return [channel, traj]
