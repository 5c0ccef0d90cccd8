// nr_cell: one 5G NR cell on 5G-LENA (gNB + edge host behind the core + N UEs) streaming per-slot
// records and packet events, the same schema and transfers as lte_cell. Configured by a file
// written by cosim/radio/nr/program_config.py (format: ns3_scenarios/common/scenario-config.h); the
// command line is CellMain's (common/cell-main.h).
#include "common/cell-main.h"
#include "nr-cell-builder.h"
#include "nr-cosim-helper.h"

#include <ns3/type-id.h>

using namespace ns3;
using namespace layersplit;

namespace {
int RunNrCell(const CellRun& run) {
  NrCell cell = BuildNrCell(run.cfg);
  // The same helper a user's own NR script uses (docs/own-scripts.md).
  NrCosimHelper cosim;
  run.Configure(cosim);
  cosim.GetCollector()->SetAttribute("CqiErrorModel", TypeIdValue(TypeId::LookupByName(run.cfg.top.Str("error_model"))));
  cosim.Install(cell.gnbDevice, cell.ueDevices, cell.edgeNode, cell.edgeAddress, cell.ueNodes, cell.ueAddresses);
  return run.Run(cosim, cell.ueNodes.size());
}
}  // namespace

int main(int argc, char* argv[]) {
  return CellMain(argc, argv,
                  {.name = "nr_cell", .file = __FILE__, .configWriter = "cosim/radio/nr/program_config.py",
                   .applyGlobalConfig = ApplyNrGlobalConfig, .runCell = RunNrCell});
}
