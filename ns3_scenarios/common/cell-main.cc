#include "common/cell-main.h"

#include <ns3/core-module.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

namespace layersplit {

using namespace ns3;

void CellRun::Configure(CosimHelperBase& cosim) const {
  cosim.SetBridge(m_bridge, m_bridge.empty());  // standalone runs (CSV, speed baselines) run free
  cosim.SetCsv(m_csv);
  cosim.SetRecords(m_records);
  cosim.SetAttribute("Duration", TimeValue(Seconds(cfg.top.Num("duration_s"))));
  Ptr<TransferApp> transfers = cosim.GetTransfers();
  transfers->SetAttribute("LossTimeout", TimeValue(MilliSeconds(cfg.top.Num("loss_timeout_ms"))));
  transfers->SetAttribute("PayloadBytes", UintegerValue(static_cast<std::uint32_t>(cfg.top.Int("payload_bytes"))));
}

int CellRun::Run(CosimHelperBase& cosim, std::size_t ueCount) const {
  Ptr<TransferApp> transfers = cosim.GetTransfers();
  for (const TransferLine& tl : cfg.transfers) {
    if (tl.ue >= ueCount) {
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
}

namespace {

// ns-3's CommandLine reads a std::string value with operator>>, which stops at the first blank:
// --config="D/fs out/x.cfg" would open "D/fs". A path is data, so the text after '=' of the last
// --NAME= (or -NAME=, which CommandLine takes too) replaces what it parsed, whole.
void TakeWhole(int argc, char* argv[], const std::string& name, std::string& value) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg(argv[i]);
    for (const std::string prefix : {"--" + name + "=", "-" + name + "="}) {
      if (arg.compare(0, prefix.size(), prefix) == 0) {
        value = arg.substr(prefix.size());
        break;
      }
    }
  }
}

}  // namespace

int CellMain(int argc, char* argv[], const CellProgram& program) {
  std::string configPath;
  std::string csvPrefix;
  std::string bridge;
  bool noRecords = false;
  // std::vector<bool> has no element addresses for CommandLine::AddValue.
  std::unique_ptr<bool[]> toolAsked(new bool[program.tools.size()]());
  CommandLine cmd(program.file);
  cmd.AddValue("config", std::string("scenario config file written by ") + program.configWriter, configPath);
  cmd.AddValue("bridge", "shared-memory segment created by the Python launcher (cosim.Simulation)", bridge);
  cmd.AddValue("csv", "without --bridge: write records as CSV: PREFIX -> PREFIXslots.csv/PREFIXevents.csv, '-' = stdout",
               csvPrefix);
  cmd.AddValue("no-records", "build no slot records at all (speed baseline)", noRecords);
  for (std::size_t i = 0; i < program.tools.size(); ++i) {
    cmd.AddValue(program.tools[i].option, program.tools[i].help, toolAsked[i]);
  }
  cmd.Parse(argc, argv);
  TakeWhole(argc, argv, "config", configPath);
  TakeWhole(argc, argv, "csv", csvPrefix);

  for (std::size_t i = 0; i < program.tools.size(); ++i) {
    if (toolAsked[i]) {
      program.tools[i].run();
      return 0;
    }
  }
  try {
    if (configPath.empty()) {
      throw std::runtime_error("--config=PATH is required");
    }
    const ScenarioConfig cfg = ParseScenarioConfig(configPath);
    program.applyGlobalConfig(cfg);
    return program.runCell(CellRun(cfg, bridge, csvPrefix, !noRecords));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program.name, e.what());
    return 2;
  }
}

}  // namespace layersplit
