// lte_cell: one LTE cell (eNB + edge host behind the PGW + N UEs) streaming per-slot records and
// packet events. Configured by a file written by cosim/radio/lte/schema.py (see scenario-config.h).
//
//   lte_cell --config=run.cfg --csv=out/        standalone: out/slots.csv, out/events.csv
//   lte_cell --config=run.cfg --csv=-           both kinds to stdout
//   lte_cell --config=run.cfg --no-records      streaming off (speed baseline)
//   lte_cell --dump-ul-tbs                      prints LteAmc::GetUlTbSizeFromMcs for every MCS/RBs
//   lte_cell --config=run.cfg --bridge=NAME     under the Python launcher (cosim.Simulation)
#include "cosim-helper.h"
#include "lte-cell-builder.h"
#include "common/record-sink.h"
#include "common/scenario-config.h"
#include "slot-collector.h"
#include "common/transfer-app.h"

#include <ns3/core-module.h>
#include <ns3/lte-amc.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>

using namespace ns3;
using namespace layersplit;

namespace {
void DumpUlTbs() {
  auto amc = CreateObject<LteAmc>();
  std::printf("mcs,rbs,tbs_bytes\n");
  for (int mcs = 0; mcs <= 28; ++mcs) {
    for (int rbs = 1; rbs <= 100; ++rbs) {
      std::printf("%d,%d,%d\n", mcs, rbs, amc->GetUlTbSizeFromMcs(mcs, rbs) / 8);
    }
  }
}
}  // namespace

int main(int argc, char* argv[]) {
  std::string configPath;
  std::string csvPrefix;
  std::string bridge;
  bool noRecords = false;
  bool dumpUlTbs = false;
  CommandLine cmd(__FILE__);
  cmd.AddValue("config", "scenario config file written by cosim/radio/lte/schema.py", configPath);
  cmd.AddValue("bridge", "shared-memory segment created by the Python launcher (cosim.Simulation)", bridge);
  cmd.AddValue("csv", "without --bridge: write records as CSV: PREFIX -> PREFIXslots.csv/PREFIXevents.csv, '-' = stdout",
               csvPrefix);
  cmd.AddValue("no-records", "build no slot records at all (speed baseline)", noRecords);
  cmd.AddValue("dump-ul-tbs", "print the uplink TB size table and exit", dumpUlTbs);
  cmd.Parse(argc, argv);

  if (dumpUlTbs) {
    DumpUlTbs();
    return 0;
  }
  try {
    if (configPath.empty()) {
      throw std::runtime_error("--config=PATH is required");
    }
    const ScenarioConfig cfg = ParseScenarioConfig(configPath);
    ApplyGlobalConfig(cfg);
    LteCell cell = BuildLteCell(cfg);

    // The same helper a user's own script uses (README: "Use your own ns-3 script").
    CosimHelper cosim;
    cosim.SetBridge(bridge, bridge.empty());  // standalone runs (CSV, speed baselines) run free
    cosim.SetCsv(csvPrefix);
    cosim.SetRecords(!noRecords);
    cosim.SetAttribute("Duration", TimeValue(Seconds(cfg.top.Num("duration_s"))));
    Ptr<TransferApp> transfers = cosim.GetTransfers();
    transfers->SetAttribute("LossTimeout", TimeValue(MilliSeconds(cfg.top.Num("loss_timeout_ms"))));
    transfers->SetAttribute("PayloadBytes", UintegerValue(static_cast<std::uint32_t>(cfg.top.Int("payload_bytes"))));
    cosim.Install(cell.enbDevice, cell.ueDevices, cell.edgeNode, cell.edgeAddress, cell.ueNodes, cell.ueAddresses);
    for (const TransferLine& tl : cfg.transfers) {
      if (tl.ue >= cell.ueNodes.size()) {
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
    return cosim.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lte_cell: error: %s\n", e.what());
    return 2;
  }
}
