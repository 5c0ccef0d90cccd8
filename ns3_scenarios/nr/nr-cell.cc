// nr_cell: one 5G NR cell on 5G-LENA (gNB + edge host behind the core + N UEs) streaming per-slot
// records and packet events, the same schema and transfers as lte_cell. Configured by a file
// written by cosim/nr_program_config.py (format: ns3_scenarios/lte/scenario-config.h).
//
//   nr_cell --config=run.cfg --csv=out/        standalone: out/slots.csv, out/events.csv
//   nr_cell --config=run.cfg --no-records      streaming off (speed baseline)
//   nr_cell --config=run.cfg --bridge=NAME     under the Python launcher (cosim.Simulation)
#include "common/cosim-clock.h"
#include "lte/record-sink.h"
#include "lte/scenario-config.h"
#include "lte/transfer-app.h"
#include "nr-cell-builder.h"
#include "nr-slot-collector.h"

#include <ns3/core-module.h>
#include <ns3/mobility-model.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>

using namespace ns3;
using namespace layersplit;

namespace {

struct Options {
  std::string csv;
  bool records = true;
  Time duration;
};

std::unique_ptr<RecordSink> MakeSink(SimEndpoint* ep, const std::string& csv) {
  if (ep) return std::make_unique<BridgeRecordSink>(ep);
  if (!csv.empty()) return std::make_unique<CsvRecordSink>(csv);
  return std::make_unique<NullRecordSink>();
}

// The run itself: the clock ticks once per NR slot, flushing that slot's records and executing
// Python's commands at each grant.
void Simulate(SimEndpoint* ep, const Options& o, NrSlotCollector& collector, TransferApp& transfers,
              std::size_t ues) {
  std::unique_ptr<RecordSink> sink = MakeSink(ep, o.csv);
  collector.SetSink(sink.get());
  transfers.SetSink(sink.get());
  CosimClock clock(ep, collector.GetSlot(), o.duration);
  const bool records = o.records;
  clock.SetSlotHook([&collector, records](Time slotStart) {
    if (records) collector.Flush(slotStart);
  });
  clock.SetCommandHook([&transfers](const Command& c) { transfers.Execute(c); });
  clock.SetEndHook([&transfers](Time) { transfers.Finish(); });
  transfers.SetDoneCallback([&clock](std::uint64_t) { clock.TransferDone(); });  // event-driven grants
  const auto wall0 = std::chrono::steady_clock::now();
  clock.Start();
  Simulator::Run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::fprintf(stderr, "cosim: %zu UEs, %.3f simulated s in %.3f wall s (%.3f sim-s per wall-s), %llu slot records, %llu events\n",
               ues, o.duration.GetSeconds(), wall, o.duration.GetSeconds() / wall,
               static_cast<unsigned long long>(collector.GetRecordCount()),
               static_cast<unsigned long long>(transfers.GetEventCount()));
  collector.SetSink(nullptr);
  transfers.SetSink(nullptr);
  transfers.SetDoneCallback(nullptr);  // the clock is gone
}

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
  std::string bridge;
  Options o;
  bool noRecords = false;
  CommandLine cmd(__FILE__);
  cmd.AddValue("config", "scenario config file written by cosim/nr_program_config.py", configPath);
  cmd.AddValue("bridge", "shared-memory segment created by the Python launcher (cosim.Simulation)", bridge);
  cmd.AddValue("csv", "without --bridge: write records as CSV: PREFIX -> PREFIXslots.csv/PREFIXevents.csv, '-' = stdout",
               o.csv);
  cmd.AddValue("no-records", "build no slot records at all (speed baseline)", noRecords);
  cmd.Parse(argc, argv);
  o.records = !noRecords;
  try {
    if (configPath.empty()) {
      throw std::runtime_error("--config=PATH is required");
    }
    const ScenarioConfig cfg = ParseScenarioConfig(configPath);
    ApplyNrGlobalConfig(cfg);
    NrCell cell = BuildNrCell(cfg);
    o.duration = Seconds(cfg.top.Num("duration_s"));

    auto collector = CreateObject<NrSlotCollector>();
    collector->SetCqiErrorModel(cfg.top.Str("error_model"));
    collector->Install(cell.gnbDevice, cell.ueDevices);
    auto transfers = CreateObject<TransferApp>();
    transfers->SetAttribute("LossTimeout", TimeValue(MilliSeconds(cfg.top.Num("loss_timeout_ms"))));
    transfers->SetAttribute("PayloadBytes", UintegerValue(static_cast<std::uint32_t>(cfg.top.Int("payload_bytes"))));
    transfers->Setup(cell.edgeNode, cell.edgeAddress, cell.ueNodes, cell.ueAddresses);
    ScheduleConfigTransfers(cfg, transfers, cell.ueNodes.size());

    Geometry geometry;
    geometry.ues = static_cast<std::uint32_t>(cell.ueNodes.size());
    const Vector p = cell.gnbNode->GetObject<MobilityModel>()->GetPosition();
    geometry.cell_x = p.x, geometry.cell_y = p.y, geometry.cell_z = p.z;
    return RunWithBridge(bridge, [&](SimEndpoint* ep) { Simulate(ep, o, *collector, *transfers, cell.ueNodes.size()); },
                         &geometry);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nr_cell: error: %s\n", e.what());
    return 2;
  }
}
