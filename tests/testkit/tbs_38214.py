"""Transport block size, worked out independently of ns-3:

- ``tbs_38214``: TS 38.214 clause 5.1.3.2 (PUSCH/PDSCH, one layer, one DMRS symbol of type 1
  with two CDM groups without data, no overhead), MCS table 1 (Table 5.1.3.1-1) or 2 (5.1.3.1-2).
- ``tbs_5g_lena``: what 5G-LENA's NrAmc::CalculateTbSize computes instead (NR-v4.0): the payload
  floor(11 * RB-symbols * Qm * R / 8) bytes (one of the 12 subcarriers per RB counted as
  reference signal), less a 3-byte CRC per TB and per code block, with R rounded to two
  decimals. It is a simplification of 5.1.3.2, not 5.1.3.2 itself.
"""

from __future__ import annotations

import math

# Table 5.1.3.1-1: (Qm, R x 1024) for MCS 0..28
MCS_TABLE_1 = [(2, 120), (2, 157), (2, 193), (2, 251), (2, 308), (2, 379), (2, 449), (2, 526), (2, 602),
               (2, 679), (4, 340), (4, 378), (4, 434), (4, 490), (4, 553), (4, 616), (4, 658), (6, 438),
               (6, 466), (6, 517), (6, 567), (6, 616), (6, 666), (6, 719), (6, 772), (6, 822), (6, 873),
               (6, 910), (6, 948)]
# Table 5.1.3.1-2: MCS 0..27
MCS_TABLE_2 = [(2, 120), (2, 193), (2, 308), (2, 449), (2, 602), (4, 378), (4, 434), (4, 490), (4, 553),
               (4, 616), (4, 658), (6, 466), (6, 517), (6, 567), (6, 616), (6, 666), (6, 719), (6, 772),
               (6, 822), (6, 873), (8, 682.5), (8, 711), (8, 754), (8, 797), (8, 841), (8, 885),
               (8, 916.5), (8, 948)]
# Table 5.1.3.2-1: TBS for N_info <= 3824
TBS_TABLE = [24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160, 168, 176, 184,
             192, 208, 224, 240, 256, 272, 288, 304, 320, 336, 352, 368, 384, 408, 432, 456, 480, 504, 528,
             552, 576, 608, 640, 672, 704, 736, 768, 808, 848, 888, 928, 984, 1032, 1064, 1128, 1160, 1192,
             1224, 1256, 1288, 1320, 1352, 1416, 1480, 1544, 1608, 1672, 1736, 1800, 1864, 1928, 2024, 2088,
             2152, 2216, 2280, 2408, 2472, 2536, 2600, 2664, 2728, 2792, 2856, 2976, 3104, 3240, 3368, 3496,
             3624, 3752, 3824]


def tbs_38214(mcs: int, rbs: int, symbols: int, table: int = 1, dmrs_re_per_prb: int = 12) -> int:
    """TBS in bits, TS 38.214 5.1.3.2, one layer."""
    qm, r1024 = (MCS_TABLE_1 if table == 1 else MCS_TABLE_2)[mcs]
    r = r1024 / 1024
    n_re = min(156, 12 * symbols - dmrs_re_per_prb) * rbs
    n_info = n_re * r * qm
    if n_info <= 3824:
        n = max(3, math.floor(math.log2(n_info)) - 6)
        n_info_q = max(24, 2**n * math.floor(n_info / 2**n))
        return next(t for t in TBS_TABLE if t >= n_info_q)
    n = math.floor(math.log2(n_info - 24)) - 5
    n_info_q = max(3840, 2**n * round((n_info - 24) / 2**n))
    if r <= 0.25:
        c = math.ceil((n_info_q + 24) / 3816)
    elif n_info_q > 8424:
        c = math.ceil((n_info_q + 24) / 8424)
    else:
        c = 1
    return 8 * c * math.ceil((n_info_q + 24) / (8 * c)) - 24


def tbs_5g_lena(mcs: int, rb_symbols: int, table: int = 1) -> int:
    """TBS in bytes as 5G-LENA's NrAmc computes it for its EESM error models (one layer)."""
    qm, r1024 = (MCS_TABLE_1 if table == 1 else MCS_TABLE_2)[mcs]
    r = round(r1024 / 1024, 2)
    payload = math.floor(11 * rb_symbols * qm * r / 8)
    tbs = payload - 3 if payload >= 3 else payload
    bits = payload * 8  # base graph choice (38.212 7.2.2) on the payload, as NrEesmErrorModel does
    second = bits <= 292 or r <= 0.25 or (bits <= 3824 and r <= 0.67)
    cb = 384 * (10 if second else 22) // 8
    if tbs > cb:
        tbs = payload - (tbs // cb) * 3  # NrAmc: C = ceil(tb / cb) on integers, i.e. floor
    return tbs
