"""Fast-fading traces for ns-3's ``TraceFadingLossModel`` (LTE), generated and cached here.

The ns3 wheel ships no fading traces, so this module makes them.

Model
-----
Tapped delay line with the 3GPP TS 36.104 Annex B.2 profiles (EPA, EVA, ETU): tap delays
``tau_l`` and average powers ``p_l`` (normalised to sum 1). Every tap is an independent
Rayleigh process with the classical (Jakes) Doppler spectrum, maximum Doppler
``f_d = v * f_c / c``, drawn with the Zheng-Xiao sum-of-sinusoids generator (M = 16 sinusoids,
random angle offset and phases, unit power). The channel of resource block k (centre frequency
offset ``f_k = (k - (N-1)/2) * 180 kHz``) at time t is

    H(t, f_k) = sum_l sqrt(p_l) * a_l(t) * exp(-j 2 pi f_k tau_l)

and the trace value is ``10 log10 |H|^2`` in dB (mean 0 dB gain), sampled every 1 ms.

File format (what ns-3's TraceFadingLossModel::LoadTrace reads)
----------------------------------------------------------------
Plain text, whitespace separated numbers: ``RbNum`` rows (one per RB, in order), each of
``SamplesNum`` values in dB (row i, column j = fading of RB i at sample j). ns-3 adds the value
(dB) to the received PSD of that RB. Attributes to set on the model: TraceFilename, TraceLength
(= samples x 1 ms), SamplesNum, RbNum (= the cell's bandwidth in RBs), WindowSize. ns-3 uses one
trace for all links: every (eNB, UE) pair and direction reads it from its own random offset,
re-drawn every WindowSize (default 0.5 s).

Cache
-----
``${LAYERSPLIT_CACHE:-~/.cache/layersplit}/fading/<model>_v<speed>_f<fc>_rb<N>_n<samples>_s<seed>.fad``;
written atomically, so concurrent runs can share it. Same parameters and seed: same bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = ["PROFILES", "fading_trace_path", "generate_fading_trace", "cache_dir"]

# 3GPP TS 36.104 Annex B.2: (delays in ns, relative powers in dB)
PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "epa": ((0, 30, 70, 90, 110, 190, 410), (0.0, -1.0, -2.0, -3.0, -8.0, -17.2, -20.8)),
    "eva": (
        (0, 30, 150, 310, 370, 710, 1090, 1730, 2510),
        (0.0, -1.5, -1.4, -3.6, -0.6, -9.1, -7.0, -12.0, -16.9),
    ),
    "etu": (
        (0, 50, 120, 200, 230, 500, 1600, 2300, 5000),
        (-1.0, -1.0, -1.0, 0.0, 0.0, 0.0, -3.0, -5.0, -7.0),
    ),
}
_RB_HZ = 180e3
_SAMPLE_S = 1e-3
_SINUSOIDS = 16
_FORMAT_VERSION = 1


def cache_dir() -> Path:
    """The fading cache folder (created on demand)."""
    root = os.environ.get("LAYERSPLIT_CACHE") or os.path.join(Path.home(), ".cache", "layersplit")
    return Path(root) / "fading"


def generate_fading_trace(
    model: str, speed_kmh: float, carrier_hz: float, rbs: int, samples: int, seed: int
) -> np.ndarray:
    """Fading in dB, shape (rbs, samples), 1 ms apart.

    Args:
        model: "epa", "eva" or "etu".
        speed_kmh: UE speed (>= 0) giving the maximum Doppler shift at ``carrier_hz``.
        carrier_hz: carrier frequency, Hz.
        rbs: number of resource blocks (rows).
        samples: number of 1 ms samples (columns).
        seed: seed of the random phases (numpy Generator).
    """
    if model not in PROFILES:
        raise ValueError(f"fading model {model!r} is not one of {', '.join(PROFILES)}")
    delays_ns, powers_db = PROFILES[model]
    tau = np.asarray(delays_ns) * 1e-9
    p = 10.0 ** (np.asarray(powers_db) / 10.0)
    p /= p.sum()
    fd = speed_kmh / 3.6 * carrier_hz / 299_792_458.0
    # Seed from the parameters too, so two models with one seed are not the same draw.
    key = f"{model}|{speed_kmh}|{carrier_hz}|{rbs}|{samples}|{seed}".encode()
    rng = np.random.default_rng([seed, int.from_bytes(hashlib.sha256(key).digest()[:8], "little")])
    n_taps, m = len(tau), _SINUSOIDS
    t = np.arange(samples) * _SAMPLE_S
    theta = rng.uniform(-np.pi, np.pi, size=(n_taps, 1))
    phi = rng.uniform(-np.pi, np.pi, size=(n_taps, m))
    psi = rng.uniform(-np.pi, np.pi, size=(n_taps, m))
    alpha = (2 * np.pi * np.arange(1, m + 1)[None, :] - np.pi + theta) / (4 * m)  # (L, M)
    w = 2 * np.pi * fd * t[None, None, :]  # (1, 1, T)
    re = np.cos(w * np.cos(alpha)[:, :, None] + phi[:, :, None]).sum(axis=1)
    im = np.cos(w * np.sin(alpha)[:, :, None] + psi[:, :, None]).sum(axis=1)
    taps = (re + 1j * im) / np.sqrt(m)  # (L, T), E|a|^2 = 1
    f_k = (np.arange(rbs) - (rbs - 1) / 2.0) * _RB_HZ
    steer = np.sqrt(p)[None, :] * np.exp(-2j * np.pi * f_k[:, None] * tau[None, :])  # (N, L)
    h = steer @ taps  # (N, T)
    return 10.0 * np.log10(np.maximum(np.abs(h) ** 2, 1e-12))


def fading_trace_path(
    model: str, speed_kmh: float, carrier_hz: float, rbs: int, samples: int, seed: int
) -> Path:
    """Path of the cached trace for these parameters, generating it first if needed."""
    name = (
        f"{model}_v{speed_kmh:g}_f{carrier_hz / 1e6:g}MHz_rb{rbs}_n{samples}_s{seed}"
        f"_fmt{_FORMAT_VERSION}.fad"
    )
    path = cache_dir() / name
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    data = generate_fading_trace(model, speed_kmh, carrier_hz, rbs, samples, seed)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="ascii") as f:
        for row in data:
            f.write(" ".join(f"{v:.3f}" for v in row))
            f.write("\n")
    os.replace(tmp, path)
    return path
