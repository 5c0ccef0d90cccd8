"""Uplink power control (radio.power_control) and the records' transmit power (ul_tx_power_dbm):
the power control sets a near UE far below a far one, the UE's maximum power is
radio.ue_tx_power_dbm, and without power control every transmission is at that power."""

from __future__ import annotations

import pytest

from cosim.config.checks import ConfigError
from cosim.radio.lte.program_config import to_program_config
from cosim.radio.lte.schema import load_scenario

from testkit.cells import HARQ_FAIL, HARQ_OK, NO_VALUE, lte_scenario

NEAR_M, FAR_M, MAX_DBM = 50.0, 300.0, 20.0
UPLINK = {"kind": "cbr", "direction": "ul", "rate_bps": 200_000, "packet_bytes": 500, "start_s": 0.1}


def _two_ues(power_control: dict) -> dict:
    return lte_scenario(duration_s=1.0, positions=[(NEAR_M, 0), (FAR_M, 0)], traffic=UPLINK,
                        radio={"ue_tx_power_dbm": MAX_DBM, "power_control": power_control})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from testkit.cells import cell_runner

    run = cell_runner(tmp_path_factory.mktemp("power"))
    return {"default": run(_two_ues({}), "default"),
            "partial": run(_two_ues({"PoNominalPusch": -90, "Alpha": 0.8}), "partial"),
            "off": run(_two_ues({"enabled": False}), "off")}


def _powers(run):
    """Each UE's transmit power in its slots with a data-carrying TB (after the first one)."""
    s = run.slots
    sent = s[(s["harq"] == HARQ_OK) | (s["harq"] == HARQ_FAIL)]
    assert len(sent) and sent["ul_tx_power_dbm"].notna().all()
    granted = s.loc[s["ul_mcs"] != NO_VALUE, "t_ns"].min()
    assert s.loc[s["t_ns"] < granted, "ul_tx_power_dbm"].isna().all()  # NaN before the first transmission
    return sent.groupby("ue")["ul_tx_power_dbm"]


def test_power_control_sets_a_near_ue_far_below_a_far_one(runs):
    powers = _powers(runs["partial"]).mean()
    # alpha 0.8 compensates 80 % of the 23 dB path-loss difference (log distance, exponent 3)
    assert powers[0] < powers[1] - 10
    assert powers[1] <= MAX_DBM + 1e-3


def test_the_ues_maximum_power_is_ue_tx_power_dbm(runs):
    assert (_powers(runs["default"]).max() <= MAX_DBM + 1e-3).all()


def test_without_power_control_every_transmission_is_at_ue_tx_power_dbm(runs):
    powers = _powers(runs["off"])
    assert (powers.min() == MAX_DBM).all() and (powers.max() == MAX_DBM).all()


def test_power_control_settings_reach_the_program_under_ns3_names():
    text = to_program_config(load_scenario(_two_ues({"PoNominalPusch": -90, "Alpha": 0.8, "ClosedLoop": False})))
    assert "power_control_attr PoNominalPusch -90\n" in text and "power_control_attr Alpha 0.8\n" in text
    assert "power_control_attr ClosedLoop false\n" in text and "uplink_power_control" not in text
    assert "uplink_power_control false\n" in to_program_config(load_scenario(_two_ues({"enabled": False})))
    assert "power_control" not in to_program_config(load_scenario(lte_scenario()))


@pytest.mark.parametrize("setting, message", [
    ({"Alpha": 0.3}, "radio.power_control.Alpha: 0.3 is not one of"),
    ({"PoNominalPusch": -200}, "radio.power_control.PoNominalPusch: -200"),
    ({"Pcmax": 20}, "radio.power_control.Pcmax: unknown key"),
])
def test_bad_power_control_settings_are_refused_naming_the_key(setting, message):
    with pytest.raises(ConfigError) as e:
        load_scenario(_two_ues(setting))
    assert message in str(e.value) and "\n" not in str(e.value)
