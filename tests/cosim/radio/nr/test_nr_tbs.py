"""Uplink TB sizes in the records, against the TB size worked out independently (testkit/tbs_38214.py).

5G-LENA does not implement TS 38.214 5.1.3.2: its NrAmc takes 11 of 12 subcarriers per RB and
symbol, the code rate rounded to two decimals and a 3-byte CRC, with no quantisation to the
38.214 TBS grid. So the records must equal that model exactly for every (MCS, RBs, symbols) seen,
and, for 12-symbol allocations (where 11 x 12 equals 38.214's 12 x 12 less one DMRS symbol),
stay within 4 % + 3 bytes of 38.214 (the CRC, the rounding of R and the quantisation). Shorter
allocations get more: 11 x n against 12 x (n - 1) resource elements per RB."""

from __future__ import annotations

from testkit.cells import HARQ_FAIL, HARQ_OK, nr_scenario
from testkit.tbs_38214 import tbs_38214, tbs_5g_lena


def _allocations(run):
    s = run.slots[run.slots.harq.isin([HARQ_OK, HARQ_FAIL])]
    return s[["ul_mcs", "ul_rbs", "ul_symbols", "ul_tbs_bytes"]].drop_duplicates().astype(int).values.tolist()


def test_ul_tbs_matches_the_tb_size_model(run_nr):
    # UEs from near to far: several MCSs; TDMA gives each UE every RB for some symbols, OFDMA
    # shares the RBs of the slot's symbols.
    sc = nr_scenario(0.4, positions=((15, 0), (150, 0), (350, 0), (700, 0)),
                     traffic={"kind": "full_buffer", "start_s": 0.05},
                     radio={"scheduler": "tdma_rr", "mcs_table": "nr1", "bandwidth_mhz": 20},
                     channel={"condition": "los", "fading": False, "shadowing": False})
    cases = _allocations(run_nr(sc, "tdma")) + _allocations(run_nr(sc, "ofdma", **{"radio.scheduler": "ofdma_rr"}))
    assert len({c[0] for c in cases}) >= 3, cases  # several MCSs
    assert len({(c[1], c[2]) for c in cases}) >= 2, cases  # several allocation shapes
    for mcs, rbs, symbols, tbs in cases:
        assert tbs == tbs_5g_lena(mcs, rbs * symbols), (mcs, rbs, symbols, tbs)
    full = [c for c in cases if c[2] == 12]
    assert full, cases
    # 38.214's TBS leaves the 24-bit CRC out, 5G-LENA subtracts it from the payload: 3 bytes,
    # plus up to 2.5 % from the rounded code rate and the 38.214 quantisation
    for mcs, rbs, _, tbs in full:
        ref = tbs_38214(mcs, rbs, 12) / 8
        print(f"MCS {mcs:2d}, {rbs:3d} RBs x 12 symbols: records {tbs} B, TS 38.214 5.1.3.2 {ref:.0f} B")
        assert abs(tbs - ref) <= 0.04 * ref + 3, (mcs, rbs, tbs, ref)
