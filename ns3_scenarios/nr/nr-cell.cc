// nr_cell: one 5G NR cell on 5G-LENA (gNB + edge host behind the core + N UEs) streaming per-slot
// records and packet events, the same schema and transfers as lte_cell. Configured by a file
// written by cosim/radio/nr/program_config.py (format: ns3_scenarios/common/scenario-config.h).
//
//   nr_cell --config=run.cfg --csv=out/        standalone: out/slots.csv, out/events.csv
//   nr_cell --config=run.cfg --no-records      streaming off (speed baseline)
//   nr_cell --config=run.cfg --bridge=NAME     under the Python launcher (cosim.Simulation)
#include "common/scenario-config.h"
#include "nr-cell-builder.h"
#include "nr-cosim-helper.h"

#include <ns3/core-module.h>

#include <cstdio>
#include <exception>

using namespace ns3;
using namespace layersplit;

namespace {

void ScheduleConfigTransfers(const ScenarioConfig& cfg, Ptr<TransferApp> transfers, std::size_t ues) {
  for (const TransferLine& tl : cfg.transfers) {
    if (tl.ue >= ues) {
      throw std::runtime_error("config: transfer to UE " + std::to_string(tl.ue) + " out of range");
    }
    Simulator::Schedule(Seconds(tl.t_s), [transfers, tl]() {
      if (tl.uplink) {
        transfers->SendUplink(tl.ue, tl.bytes, tl.tag, tl.payload_bytes);
      } else {
        transfers->SendDownlink(tl.ue, tl.bytes, tl.tag, tl.payload_bytes);
      }
    });
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string configPath;
  std::string csvPrefix;
  std::string bridge;
  bool noRecords = false;
  CommandLine cmd(__FILE__);
  cmd.AddValue("config", "scenario config file written by cosim/radio/nr/program_config.py", configPath);
  cmd.AddValue("bridge", "shared-memory segment created by the Python launcher (cosim.Simulation)", bridge);
  cmd.AddValue("csv", "without --bridge: write records as CSV: PREFIX -> PREFIXslots.csv/PREFIXevents.csv, '-' = stdout",
               csvPrefix);
  cmd.AddValue("no-records", "build no slot records at all (speed baseline)", noRecords);
  cmd.Parse(argc, argv);
  try {
    if (configPath.empty()) {
      throw std::runtime_error("--config=PATH is required");
    }
    const ScenarioConfig cfg = ParseScenarioConfig(configPath);
    ApplyNrGlobalConfig(cfg);
    NrCell cell = BuildNrCell(cfg);

    // The same helper a user's own NR script uses (README: "Use your own ns-3 script").
    NrCosimHelper cosim;
    cosim.SetBridge(bridge, bridge.empty());  // standalone runs (CSV, speed baselines) run free
    cosim.SetCsv(csvPrefix);
    cosim.SetRecords(!noRecords);
    cosim.SetAttribute("Duration", TimeValue(Seconds(cfg.top.Num("duration_s"))));
    cosim.GetCollector()->SetAttribute("CqiErrorModel", TypeIdValue(TypeId::LookupByName(cfg.top.Str("error_model"))));
    Ptr<TransferApp> transfers = cosim.GetTransfers();
    transfers->SetAttribute("LossTimeout", TimeValue(MilliSeconds(cfg.top.Num("loss_timeout_ms"))));
    transfers->SetAttribute("PayloadBytes", UintegerValue(static_cast<std::uint32_t>(cfg.top.Int("payload_bytes"))));
    cosim.Install(cell.gnbDevice, cell.ueDevices, cell.edgeNode, cell.edgeAddress, cell.ueNodes, cell.ueAddresses);
    ScheduleConfigTransfers(cfg, transfers, cell.ueNodes.size());
    return cosim.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nr_cell: error: %s\n", e.what());
    return 2;
  }
}
