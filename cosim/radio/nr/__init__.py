"""The 5G NR cell (5G-LENA): schema and program config."""

from cosim.radio.nr.program_config import to_program_config
from cosim.radio.nr.schema import NrScenario, load_scenario, resolved_dict
from cosim.radio.registry import Radio, program_with_config

# The NR cell's cost was not measured apart from LTE's: LTE's 25 us per UE per millisecond stands in
# (per 1 ms, whatever the numerology), so the estimate only tells minutes from days.
RADIO = Radio("nr", NrScenario, lambda raw, extra: load_scenario(raw, None, extra),
              program_with_config("nr_cell", to_program_config), resolved_dict,
              wall_s_per_ue_slot=25e-6, slot_s=lambda sc: 1e-3, timing=lambda sc: {
                  "numerology": sc.radio.numerology, "slot_ms": sc.radio.slot_ms,
                  "subcarrier_khz": 15 * 2**sc.radio.numerology, "bandwidth_rbs": sc.radio.bandwidth_rbs})
