"""The most UEs an OFDMA NR cell can start carrying uplink data for (issue 29).

5G-LENA's OFDMA schedulers (NrMacSchedulerOfdma::AssignULRBG) hand the uplink band out one
resource-block group (1 RB: NrGnbMac::NumRbPerRbg) at a time to the UEs with uplink data in the
same beam, each group spanning all the slot's uplink data symbols, so N such UEs get R/N RBs each,
rounded down or up. CreateUlDci then drops every grant whose TB, at the UE's uplink MCS, is under
12 bytes (MAC, RLC headers and a short BSR). A UE that has not sent yet is at the starting uplink
MCS 0 (NrMacSchedulerNs3::StartingMcsUl), and its MCS only rises after it sends: when every UE's
share is too small at MCS 0, no UE is ever granted and the uplink carries nothing for the rest of
the run (a 40 MHz cell at numerology 1: 111 RBs, 3 RBs x 13 symbols at MCS 0 is 9 bytes, 4 RBs
is 14; up to 36 UEs some get 4 RBs and the cell starts, from 37 none does).

The ideal direct-path beamforming methods give every UE the same (empty) beam id, so all UEs share
one beam; cell_scan gives each UE a beam of its own and splits the symbols instead, which this
module does not model (a run there is checked afterwards: cosim.run.selfcheck).
"""

from __future__ import annotations

import math

from cosim.config.checks import ConfigError

SHARED_BEAM = {"direct_path", "quasi_omni_direct_path", "direct_path_quasi_omni"}
MCS0_CODE_RATE = {"nr1": 0.12, "nr2": 0.12, "lte": 0.08}  # 5G-LENA's McsEcrTable1/2, NrLteMiErrorModel
MCS0_BITS_PER_SYMBOL = 2  # QPSK in every table
USEFUL_SUBCARRIERS = 11   # 12 per RB less NrAmc's NumRefScPerRb (1)
CRC_BYTES = 3             # NrAmc::m_crcLen
MIN_UL_TB_BYTES = 12      # below this CreateUlDci makes no grant
SYMBOLS = 14
CTRL_SYMBOLS = 1          # NrMacSchedulerNs3 UlCtrlSymbols and DlCtrlSymbols defaults


def tb_bytes_at_mcs0(mcs_table: str, rb_symbols: int) -> int:
    """5G-LENA's TB size (NrAmc::CalculateTbSize) at MCS 0 over rb_symbols RBs x symbols."""
    bits = USEFUL_SUBCARRIERS * rb_symbols * MCS0_BITS_PER_SYMBOL * MCS0_CODE_RATE[mcs_table]
    return max(0, math.floor(bits / 8) - CRC_BYTES)


def max_ul_data_symbols(tdd_pattern: str) -> int:
    """Uplink data symbols of the roomiest uplink slot: a UL slot keeps one for uplink control, an
    F slot one more for downlink control (a slot without an SRS; one with loses one more)."""
    slots = tdd_pattern.strip("|").split("|")
    return SYMBOLS - CTRL_SYMBOLS - (0 if "UL" in slots else CTRL_SYMBOLS)


def min_rbs_for_a_grant(mcs_table: str, tdd_pattern: str, rbs: int) -> int | None:
    """The fewest RBs (RB groups) whose TB at MCS 0 is a grant CreateUlDci keeps; None: not even the band."""
    symbols = max_ul_data_symbols(tdd_pattern)
    return next((m for m in range(1, rbs + 1) if tb_bytes_at_mcs0(mcs_table, m * symbols) >= MIN_UL_TB_BYTES), None)


def ofdma_ue_limit(radio) -> int | None:
    """The most UEs with uplink data the cell can start granting, or None where no limit is known
    (a TDMA scheduler gives one UE all the RBs of its symbols; cell_scan beams are not modelled)."""
    if not radio.scheduler.startswith("ofdma_") or radio.beamforming not in SHARED_BEAM:
        return None
    m = min_rbs_for_a_grant(radio.mcs_table, radio.tdd_pattern, radio.bandwidth_rbs)
    if m is None or m == 1:
        return None if m == 1 else 0
    # N UEs get ceil(R / N) RBs at most: some UE reaches m exactly when R / N > m - 1.
    return math.ceil(radio.bandwidth_rbs / (m - 1)) - 1


def check_ofdma_uplink(ue_count: int, radio) -> None:
    """Refuses (ConfigError) more UEs than an OFDMA cell can start granting uplink data to."""
    limit = ofdma_ue_limit(radio)
    if limit is None or ue_count <= limit:
        return
    m = min_rbs_for_a_grant(radio.mcs_table, radio.tdd_pattern, radio.bandwidth_rbs)
    share = math.ceil(radio.bandwidth_rbs / ue_count)
    symbols = max_ul_data_symbols(radio.tdd_pattern)
    raise ConfigError(
        f"ue_groups: {ue_count} UEs is more than the uplink of this cell can start with: radio.scheduler "
        f"{radio.scheduler!r} shares the {radio.bandwidth_rbs} RBs among every UE with uplink data "
        f"(5G-LENA NrMacSchedulerOfdma), so each gets at most {share} RBs, a "
        f"{tb_bytes_at_mcs0(radio.mcs_table, share * symbols)}-byte TB at the starting MCS 0; "
        f"5G-LENA grants none under {MIN_UL_TB_BYTES} bytes ({m} RBs here), so when they all have data at once no UE is "
        f"ever granted and the uplink carries nothing. "
        f"Use at most {limit} UEs, a tdma_* scheduler, or a wider radio.bandwidth_mhz")
