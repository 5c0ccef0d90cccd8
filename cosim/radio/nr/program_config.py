"""The text the built-in ``nr_cell`` program reads (format: ns3_scenarios/common/scenario-config.h),
written from a checked NR scenario (cosim.radio.nr.schema). The UE lines are the LTE cell's."""

from __future__ import annotations

from typing import Iterable

from cosim.radio.cell import tail_lines
from cosim.radio.nr.schema import BEAMFORMING, CHANNEL_SCENARIOS, CONDITIONS, ERROR_MODELS, SCHEDULERS, NrScenario


def _bool(b: bool) -> str:
    return "true" if b else "false"


def to_program_config(sc: NrScenario, transfers: Iterable[tuple] = ()) -> str:
    """Args: transfers: optional scheduled test transfers (t_s, "ul"|"dl", ue, bytes, tag[, payload])."""
    r, ch = sc.radio, sc.channel
    lines = [
        "# layersplit nr_cell config (written by cosim.radio.nr.program_config; do not edit)",
        f"name {sc.name}",
        f"duration_s {sc.duration_s!r}",
        f"seed {sc.seed}",
        f"run {sc.run}",
        f"numerology {r.numerology}",
        f"frequency_hz {r.frequency_ghz * 1e9!r}",
        f"bandwidth_hz {r.bandwidth_mhz * 1e6!r}",
        f"tdd_pattern {r.tdd_pattern}|",
        f"scheduler {SCHEDULERS[r.scheduler]}",
        f"error_model {ERROR_MODELS[(r.mcs_table, r.harq_combining)]}",
        f"harq {_bool(r.harq)}",
        f"rlc_mode {r.rlc_mode}",
        f"rlc_max_tx_buffer_bytes {r.rlc_max_tx_buffer_bytes}",
        f"gnb_tx_power_dbm {r.gnb_tx_power_dbm!r}",
        f"ue_tx_power_dbm {r.ue_tx_power_dbm!r}",
        f"gnb_noise_figure_db {r.gnb_noise_figure_db!r}",
        f"ue_noise_figure_db {r.ue_noise_figure_db!r}",
        f"gnb_x {r.gnb_position[0]!r}",
        f"gnb_y {r.gnb_position[1]!r}",
        f"gnb_z {r.gnb_position[2]!r}",
        f"gnb_antenna_rows {r.gnb_antenna[0]}",
        f"gnb_antenna_cols {r.gnb_antenna[1]}",
        f"ue_antenna_rows {r.ue_antenna[0]}",
        f"ue_antenna_cols {r.ue_antenna[1]}",
        f"antenna_element {r.antenna_element}",
        f"beamforming {BEAMFORMING[r.beamforming]}",
        f"channel_scenario {CHANNEL_SCENARIOS[ch.scenario]}",
        f"channel_condition {CONDITIONS[ch.condition]}",
        f"shadowing {_bool(ch.shadowing)}",
        f"fading {_bool(ch.fading)}",
        f"channel_update_ms {ch.update_period_ms!r}",
    ]
    # 8 bit/s/Hz is above NR's SISO peak at any numerology, so the RLC queue never drains
    lines += tail_lines(sc, transfers, 8.0 * r.bandwidth_mhz * 1e6)
    return "\n".join(lines) + "\n"

