"""LTE band arithmetic (TS 36.101 5.7.3): downlink EARFCN <-> carrier frequency for the bands
ns-3 knows. The uplink EARFCN of a band is the downlink one + 18000."""

from __future__ import annotations

from cosim.config.checks import ConfigError

# band -> (F_DL_low MHz, N_offs_DL, last downlink EARFCN)
BANDS = {
    1: (2110.0, 0, 599),
    3: (1805.0, 1200, 1949),
    5: (869.0, 2400, 2649),
    7: (2620.0, 2750, 3449),
    8: (925.0, 3450, 3799),
    20: (791.0, 6150, 6449),
}
UL_OFFSET = 18000


def band_of(earfcn: int) -> int | None:
    for band, (_, lo, hi) in BANDS.items():
        if lo <= earfcn <= hi:
            return band
    return None


def check_earfcn(path: str, earfcn: int) -> int:
    if band_of(earfcn) is None:
        bands = "; ".join(f"band {b}: {lo}..{hi}" for b, (_, lo, hi) in BANDS.items())
        raise ConfigError(f"{path}: {earfcn} is not in a supported band ({bands})")
    return earfcn


def earfcn_from_mhz(path: str, mhz: float) -> int:
    for f_low, n_offs, last in BANDS.values():
        earfcn = n_offs + round((mhz - f_low) * 10)
        if n_offs <= earfcn <= last:
            return earfcn
    allowed = "; ".join(f"{f_low:g}-{f_low + (last - n_offs) / 10:g}" for f_low, n_offs, last in BANDS.values())
    raise ConfigError(f"{path}: {mhz!r} MHz is in no supported band (MHz ranges: {allowed})")


def dl_frequency_hz(dl_earfcn: int) -> float:
    f_low, n_offs, _ = BANDS[band_of(dl_earfcn)]
    return (f_low + 0.1 * (dl_earfcn - n_offs)) * 1e6
