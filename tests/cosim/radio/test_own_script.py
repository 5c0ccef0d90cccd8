"""A user's own ns-3 script, built against the installed package alone (find_package(layersplit)),
joined to the co-simulation by CosimHelper."""

from __future__ import annotations

import json
import shutil
import sys
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cosim import SLOT_DTYPE, BridgeError, Simulation
from cosim.run.cell_run import run_scenario_file
from cosim.cli import main
from cosim.outputs.summary import ue_summary
from cosim.outputs.traces import enb_position, read_slots

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "own_script"

FORGETFUL = """
#include <ns3/core-module.h>
int main(int argc, char* argv[]) {
  ns3::CommandLine cmd(__FILE__);
  cmd.Parse(argc, argv);  // no CosimHelper: --bridge is an unknown option
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
}
"""


def _cmake_dir() -> str:
    out = subprocess.run([sys.executable, "-m", "cosim.cli", "config", "--cmake-dir"], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """The example scripts and a script that forgets the helper, built outside the source tree."""
    src = tmp_path_factory.mktemp("src")
    for script in EXAMPLE.glob("*.cc"):
        shutil.copy(script, src)
    (src / "forgetful.cc").write_text(FORGETFUL)
    cmake = (EXAMPLE / "CMakeLists.txt").read_text()
    cmake += "\nadd_executable(forgetful forgetful.cc)\ntarget_link_libraries(forgetful PRIVATE ns3::core)\n"
    (src / "CMakeLists.txt").write_text(cmake)
    build = tmp_path_factory.mktemp("build")
    subprocess.run(["cmake", "-S", src, "-B", build, f"-Dlayersplit_DIR={_cmake_dir()}"], check=True,
                   capture_output=True)
    subprocess.run(["cmake", "--build", build, "-j2"], check=True, capture_output=True)
    return {"script": build / "cell_with_interferer", "handover": build / "two_cell_handover",
            "forgetful": build / "forgetful"}


def _program_yaml(tmp_path, exe, args, name="own", **program):
    static = yaml.safe_load((REPO / "examples" / "lte_static.yaml").read_text())
    cfg = {"name": name, "duration_s": 2.0, "seed": 3,
           "program": {"path": str(exe), "args": args, **program},
           "transfer": static["transfer"], "probes": static["probes"]}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_script_runs_as_a_scenario_with_the_standard_schema(programs, tmp_path):
    path = _program_yaml(tmp_path, programs["script"], ["--interferer=true"])
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    slots = pd.read_parquet(tmp_path / "run" / "slots.parquet")
    packets = pd.read_parquet(tmp_path / "run" / "packets.parquet")
    assert list(slots.columns) == list(SLOT_DTYPE.names)
    assert len(slots) == 2 * 2000 and set(slots["ue"]) == {0, 1}
    assert len(packets) > 0 and {"tag", "packet", "t_send_ns", "t_recv_ns", "lost", "delay_ms"} <= set(packets.columns)
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["program"]["args"] == ["--interferer=true"]


def test_builtin_cell_and_the_same_cell_as_a_script_give_identical_traces(programs, tmp_path):
    script = run_scenario_file(_program_yaml(tmp_path, programs["script"], ["--interferer=false"]),
                               out=tmp_path / "script", progress=False)
    builtin = run_scenario_file(REPO / "examples" / "lte_static.yaml", out=tmp_path / "builtin", progress=False,
                                overrides={"duration_s": 2.0, "seed": 3})
    for name in ("slots.parquet", "packets.parquet"):
        a, b = pd.read_parquet(script / name), pd.read_parquet(builtin / name)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b)


@pytest.fixture(scope="module")
def interferer_means(programs, tmp_path_factory):
    """Per-UE means of the SINRs and the CQI with the interfering cell on ("true") and off ("false")."""
    tmp = tmp_path_factory.mktemp("interferer")
    means = {}
    for on in ("true", "false"):
        run = run_scenario_file(_program_yaml(tmp, programs["script"], [f"--interferer={on}"], f"i{on}"),
                                out=tmp / on, progress=False)
        means[on] = pd.read_parquet(run / "slots.parquet").groupby("ue")[["ul_sinr_db", "dl_sinr_db", "cqi"]].mean()
    return means


def test_interferer_lowers_the_far_ues_uplink_sinr(interferer_means):
    ul = {on: m["ul_sinr_db"] for on, m in interferer_means.items()}
    assert ul["true"][1] < ul["false"][1] - 1.0


def test_interferer_lowers_the_downlink_sinr_and_cqi(interferer_means):
    # The serving cell sends no downlink data here (uplink probes only), so ns-3's own
    # ReportCurrentCellRsrpSinr would show the plain SNR; dl_sinr_db is the control-region SINR,
    # which sees the neighbour's control region in every TTI. UE 1 is 4x closer to the
    # interferer than to its eNB (path-loss exponent 3: about -18 dB), UE 0 is 60 m from its eNB.
    dl = {on: m["dl_sinr_db"] for on, m in interferer_means.items()}
    cqi = {on: m["cqi"] for on, m in interferer_means.items()}
    assert dl["true"][1] < dl["false"][1] - 15
    assert dl["true"][0] < dl["false"][0] - 2
    assert cqi["true"][1] < cqi["false"][1]


def test_script_without_the_helper_is_told_what_to_add(programs):
    with pytest.raises(BridgeError, match="CosimHelper.*AddCommandLine"):
        Simulation(programs["forgetful"], [])


def test_script_run_without_a_bridge_says_how_to_run_it(programs):
    proc = subprocess.run([programs["script"]], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no bridge named" in proc.stderr and "layersplit run" in proc.stderr and "--no-bridge" in proc.stderr


def test_program_path_must_exist(tmp_path, capsys):
    path = _program_yaml(tmp_path, tmp_path / "missing", [])
    assert main(["run", str(path), "--no-progress"]) == 1
    assert "program.path" in capsys.readouterr().err


def test_the_script_says_where_its_cell_is_and_how_many_ues_it_has(programs, tmp_path):
    # No YAML key names the eNB position or the UE count: both come from the program.
    path = _program_yaml(tmp_path, programs["script"], ["--interferer=false", "--cell-x=500", "--cell-y=200"])
    run = run_scenario_file(path, out=tmp_path / "run", progress=False)
    assert enb_position(run) == (500.0, 200.0, 25.0)
    summary = ue_summary(run)
    assert list(summary.index) == [0, 1]
    assert summary["distance_m_end"].round(1).tolist() == [60.0, 400.0]


def test_a_ue_count_that_contradicts_the_script_is_refused(programs, tmp_path, capsys):
    path = _program_yaml(tmp_path, programs["script"], ["--interferer=false"], ues=3)
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "program.ues: 3" in err and "installed 2 UEs" in err


def test_a_lossy_link_shows_block_errors_at_the_rate_its_records_count(programs, tmp_path):
    # The neighbour's UE, 200 m from the serving eNB, floods its uplink: UE 1 (400 m) meets that
    # interference in its data blocks but not in the SRS the scheduler picks its MCS from.
    args = ["--interferer=true", "--interferer-uplink=true", "--interferer-distance=300"]
    run = run_scenario_file(_program_yaml(tmp_path, programs["script"], args), out=tmp_path / "run", progress=False)
    s = read_slots(run)
    far = s[(s["ue"] == 1) & s["harq"].isin([1, 2])]
    fails = int((far["harq"] == 2).sum())
    assert len(far) >= 100 and fails >= 0.3 * len(far)
    assert (far["harq_retx"] > 0).any()  # HARQ is on: failed blocks are sent again
    assert ue_summary(run).loc[1, "harq_fail_rate"] == pytest.approx(fails / len(far))
    near = s[(s["ue"] == 0) & s["harq"].isin([1, 2])]
    assert (near["harq"] == 2).mean() < 0.05


def test_a_script_with_two_cells_records_each_ue_at_its_own_cell(programs, tmp_path):
    """The neighbour's UE, recorded too, is RNTI 1 in cell 2 as UE 0 is in cell 1: its records name
    cell 2 and carry cell 2's estimate, and recording it leaves the serving cell's UEs' records as
    they were (no probes: the neighbour's UE sends nothing the serving cell would hear)."""
    runs = {}
    for record in ("true", "false"):
        cfg = {"name": f"n{record}", "duration_s": 1.0, "seed": 3,
               "program": {"path": str(programs["script"]),
                           "args": ["--interferer=true", f"--record-neighbour={record}"]}}
        path = tmp_path / f"n{record}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        runs[record] = run_scenario_file(path, out=tmp_path / f"n{record}", progress=False)
    both, alone = read_slots(runs["true"]), read_slots(runs["false"])
    assert set(both["ue"]) == {0, 1, 2}
    served = both[both["cell_id"] != 0].groupby("ue")["cell_id"].unique()
    assert [list(v) for v in served] == [[1], [1], [2]]
    log = (runs["true"] / "ns3.log").read_text()
    assert "UE 0 (IMSI 1) served by cell 1 as RNTI 1" in log and "UE 2 (IMSI 3) served by cell 2 as RNTI 1" in log
    est = both[both["ul_est_age_ms"] < 250].groupby("ue")["ul_est_sinr_db"].mean()
    assert len(est) == 3 and abs(est[2] - est[0]) > 1  # its own cell's estimate, not UE 0's
    mine = both[both["ue"] < 2].drop(columns="seq").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone.drop(columns="seq").reset_index(drop=True))
    geometry = json.loads((runs["true"] / "geometry.json").read_text())
    assert [c["cell_id"] for c in geometry["cells"]] == [1, 2] and geometry["cells"][1]["position"][0] == 500.0


def test_own_two_cell_script_records_the_handover_and_both_cells(programs, tmp_path):
    from cosim.outputs.traces import read_handovers

    path = _program_yaml(tmp_path, programs["handover"], ["--distance=400", "--speed=30"], name="ho")
    cfg = yaml.safe_load(path.read_text())
    cfg["duration_s"] = 8.0
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    slots, handovers = read_slots(tmp_path / "run"), read_handovers(tmp_path / "run")
    assert list(handovers["event"]) == ["start", "end"]
    assert (handovers["source_cell"] == 1).all() and (handovers["target_cell"] == 2).all()
    start = handovers["t_ns"].iloc[0]
    connected = slots[slots["cell_id"] != 0]
    assert set(connected.loc[connected["t_ns"] + 1_000_000 <= start, "cell_id"]) == {1}
    assert set(connected.loc[connected["t_ns"] > start, "cell_id"]) == {2}
    geometry = json.loads((tmp_path / "run" / "geometry.json").read_text())
    assert [c["position"] for c in geometry["cells"]] == [[0.0, 0.0, 25.0], [400.0, 0.0, 25.0]]
