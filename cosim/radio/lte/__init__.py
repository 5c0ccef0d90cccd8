"""The LTE cell (ns-3's own LTE module): schema, bands, fading traces, program config."""

from cosim.radio.lte.program_config import to_program_config
from cosim.radio.lte.schema import Scenario, load_scenario, resolved_dict
from cosim.radio.registry import Radio, program_with_config


def _load(raw: dict, extra_sections) -> Scenario:
    radio = raw.get("radio")
    if isinstance(radio, dict):
        radio.pop("technology", None)  # the default radio: its schema has no such key
    return load_scenario(raw, None, extra_sections)


# 25 us of wall time per UE per 1 ms TTI, streaming: 1.19 sim-s per wall-s at 32 UEs on the AMD EPYC of
# docs/benchmarks.md's earlier figures (1.01, 31 us, on the Intel Xeon of its generated table); the
# estimate only refuses runs far past its limits, so either serves
RADIO = Radio("lte", Scenario, _load, program_with_config("lte_cell", to_program_config), resolved_dict,
              wall_s_per_ue_slot=25e-6, slot_s=lambda sc: 1e-3,
              timing=lambda sc: {"slot_ms": 1.0, "subcarrier_khz": 15, "bandwidth_rbs": sc.radio.bandwidth_rbs})
