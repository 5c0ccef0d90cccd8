"""The text the built-in ``lte_cell`` program reads (format: ns3_scenarios/common/scenario-config.h),
written from a checked LTE scenario (cosim.radio.lte.schema). One ``key value`` per line: every string
in it passed the schema's one-line checks, so no value can add a line."""

from __future__ import annotations

from typing import Iterable

from cosim.radio.cell import tail_lines
from cosim.radio.lte.bands import UL_OFFSET
from cosim.radio.lte.schema import HANDOVER_ALGORITHMS, PROPAGATION_MODELS, SCHEDULERS, Scenario, dl_frequency_hz


def _full_buffer_rate(rbs: int) -> float:
    # above the SISO peak rate (~0.75 Mb/s per RB), so the RLC queue never drains
    return 1.0e6 * rbs


def _fading_file(sc: Scenario) -> str:
    from cosim.radio.lte.fading import fading_trace_path

    f = sc.channel.fading
    samples = int(round(f.trace_length_s * 1000))
    return str(fading_trace_path(f.model, f.speed_kmh, dl_frequency_hz(sc.radio),
                                 sc.radio.bandwidth_rbs, samples, sc.seed))


def _cell_lines(r) -> list[str]:
    """Several cells: cell_count and each cell's antenna and power (none for one cell, whose
    enb_x/_y/_z and enb_tx_power_dbm say it all, so its config text stays as it was)."""
    if not r.cells:
        return []
    lines = [f"cell_count {len(r.cells)}"]
    for i, c in enumerate(r.cells):
        x, y, z = c.antenna()
        power = r.enb_tx_power_dbm if c.tx_power_dbm is None else c.tx_power_dbm
        lines += [f"cell_{i}_x {x!r}", f"cell_{i}_y {y!r}", f"cell_{i}_z {z!r}", f"cell_{i}_tx_power_dbm {power!r}"]
        if c.azimuth_deg is not None:  # a sector antenna; without, ns-3's isotropic one
            lines += [f"cell_{i}_azimuth_deg {c.azimuth_deg!r}", f"cell_{i}_beamwidth_deg {c.beamwidth_deg!r}",
                      f"cell_{i}_max_attenuation_db {c.max_attenuation_db!r}"]
    return lines


def _power_control_lines(pc) -> list[str]:
    """The uplink power control's settings that differ from ns-3's defaults (none for those, so a
    config without them reads as it always did)."""
    lines = [] if pc.enabled else ["uplink_power_control false"]
    return lines + [f"power_control_attr {k} {str(v).lower() if isinstance(v, bool) else repr(v)}"
                    for k, v in pc.changed().items()]


def _handover_lines(r) -> list[str]:
    """The RRC kind and the handover algorithm; none at ns-3's defaults (ideal RRC, no handover)."""
    lines = [] if r.rrc == "ideal" else [f"rrc {r.rrc}"]
    h = r.handover
    if h.algorithm != "none":
        lines.append(f"handover_algorithm {HANDOVER_ALGORITHMS[h.algorithm]}")
        for name, value in h.attributes().items():
            text = f"{value}ms" if name == "TimeToTrigger" else repr(value)  # an ns-3 Time
            lines.append(f"handover_attr {name} {text}")
    return lines


def to_program_config(sc: Scenario, transfers: Iterable[tuple] = ()) -> str:
    """The text the ``lte_cell`` program reads (format: ns3_scenarios/common/scenario-config.h).

    Generates (or reuses from the cache) the fading trace when fading is on.

    Args:
        transfers: optional scheduled test transfers (t_s, "ul"|"dl", ue, bytes, tag[, payload]).
    """
    r, ch = sc.radio, sc.channel
    n = sc.ue_count
    lines = [
        "# layersplit lte_cell config (written by cosim.radio.lte.program_config; do not edit)",
        f"name {sc.name}",
        f"duration_s {sc.duration_s!r}",
        f"seed {sc.seed}",
        f"run {sc.run}",
        f"bandwidth_rbs {r.bandwidth_rbs}",
        f"dl_earfcn {r.dl_earfcn}",
        f"ul_earfcn {r.dl_earfcn + UL_OFFSET}",
        f"enb_tx_power_dbm {r.enb_tx_power_dbm!r}",
        f"ue_tx_power_dbm {r.ue_tx_power_dbm!r}",
        f"enb_noise_figure_db {r.enb_noise_figure_db!r}",
        f"ue_noise_figure_db {r.ue_noise_figure_db!r}",
        f"scheduler {SCHEDULERS[r.scheduler]}",
        f"rlc_mode {r.rlc_mode}",
        f"rlc_max_tx_buffer_bytes {r.rlc_max_tx_buffer_bytes}",
        f"srs_periodicity {40 if n <= 36 else 80}",
        f"rlf_detection {'true' if r.rlf_detection else 'false'}",
        f"rlc_am_retx_always_fits {'true' if r.rlc_am_retx_always_fits else 'false'}",
        f"harq {'true' if r.harq else 'false'}",
        f"enb_x {r.enb_position[0]!r}",
        f"enb_y {r.enb_position[1]!r}",
        f"enb_z {r.enb_position[2]!r}",
    ]
    lines += _cell_lines(r)
    lines += _power_control_lines(r.power_control) + _handover_lines(r)
    loss, cond = PROPAGATION_MODELS[ch.propagation]
    lines.append(f"pathloss_model {loss}")
    lines.append(f"channel_condition {cond or 'none'}")
    if ch.propagation == "log_distance":
        lines.append(f"pathloss_attr Exponent {ch.log_distance.exponent!r}")
        lines.append(f"pathloss_attr ReferenceLoss {ch.log_distance.reference_loss_db!r}")
    elif ch.propagation == "okumura_hata":
        env = {"urban": "Urban", "suburban": "SubUrban", "open": "OpenAreas"}
        lines.append(f"pathloss_attr Environment {env[ch.okumura_hata.environment]}")
        lines.append(f"pathloss_attr CitySize {ch.okumura_hata.city_size.capitalize()}")
    elif ch.propagation == "cost231":
        lines.append(f"pathloss_attr BSAntennaHeight {r.enb_position[2]!r}")
        lines.append(f"pathloss_attr SSAntennaHeight {sc.ue_groups[0].height_m!r}")
    elif cond is not None:
        lines.append(f"pathloss_attr ShadowingEnabled {'true' if ch.shadowing else 'false'}")
    if ch.fading.model == "none":
        lines.append("fading none")
    else:
        lines += [
            "fading trace",
            f"fading_trace_file {_fading_file(sc)}",
            f"fading_trace_length_s {ch.fading.trace_length_s!r}",
            f"fading_samples {int(round(ch.fading.trace_length_s * 1000))}",
            f"fading_window_s {ch.fading.window_s!r}",
            f"fading_rb_num {r.bandwidth_rbs}",
        ]
    lines += tail_lines(sc, transfers, _full_buffer_rate(r.bandwidth_rbs))
    return "\n".join(lines) + "\n"

