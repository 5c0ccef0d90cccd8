// lte_cell: one LTE cell (eNB + edge host behind the PGW + N UEs) streaming per-slot records and
// packet events. Configured by a file written by cosim/radio/lte/program_config.py (see scenario-config.h); the
// command line is CellMain's (common/cell-main.h), plus
//   lte_cell --dump-ul-tbs                      prints LteAmc::GetUlTbSizeFromMcs for every MCS/RBs
#include "common/cell-main.h"
#include "cosim-helper.h"
#include "lte-cell-builder.h"

#include <ns3/lte-amc.h>

#include <cstdio>

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

int RunLteCell(const CellRun& run) {
  LteCell cell = BuildLteCell(run.cfg);
  // The same helper a user's own script uses (docs/own-scripts.md).
  CosimHelper cosim;
  run.Configure(cosim);
  cosim.Install(cell.enbDevices, cell.ueDevices, cell.edgeNode, cell.edgeAddress, cell.ueNodes, cell.ueAddresses);
  return run.Run(cosim, cell.ueNodes.size());
}
}  // namespace

int main(int argc, char* argv[]) {
  return CellMain(argc, argv,
                  {.name = "lte_cell", .file = __FILE__, .configWriter = "cosim/radio/lte/program_config.py",
                   .applyGlobalConfig = ApplyGlobalConfig, .runCell = RunLteCell,
                   .tools = {{"dump-ul-tbs", "print the uplink TB size table and exit", DumpUlTbs}}});
}
