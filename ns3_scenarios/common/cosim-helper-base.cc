#include "common/cosim-helper-base.h"

#include "common/cosim-clock.h"

#include <ns3/mobility-model.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/uinteger.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace layersplit {

using namespace ns3;

NS_OBJECT_ENSURE_REGISTERED(CosimHelperBase);

TypeId CosimHelperBase::GetTypeId() {
  static TypeId tid = TypeId("layersplit::CosimHelperBase")
                          .SetParent<Object>()
                          .AddAttribute("Duration", "Simulated time to run (--duration, s)", TimeValue(Seconds(10)),
                                        MakeTimeAccessor(&CosimHelperBase::m_duration), MakeTimeChecker(Seconds(0)));
  return tid;
}

CosimHelperBase::CosimHelperBase() : m_transfers(CreateObject<TransferApp>()) {}

void CosimHelperBase::AddCommandLine(CommandLine& cmd) {
  cmd.AddValue("bridge", "co-simulation: shared-memory segment (given by `layersplit run`)", m_bridge);
  cmd.AddValue("no-bridge", "co-simulation: run alone, without Python", m_noBridge);
  cmd.AddValue("duration", "co-simulation: simulated time, s",
               MakeBoundCallback(+[](CosimHelperBase* self, const std::string& v) {
                 self->m_duration = Seconds(std::stod(v));
                 return true;
               }, this));
  cmd.AddValue("seed", "co-simulation: ns-3 RngSeedManager seed (>= 1)", MakeCallback(+[](const std::string& v) {
                 RngSeedManager::SetSeed(std::stoul(v));
                 return true;
               }));
  cmd.AddValue("run", "co-simulation: ns-3 RngSeedManager run number", MakeCallback(+[](const std::string& v) {
                 RngSeedManager::SetRun(std::stoull(v));
                 return true;
               }));
  cmd.AddValue("payload-bytes", "co-simulation: UDP payload per transfer packet, bytes",
               MakeBoundCallback(+[](TransferApp* t, const std::string& v) {
                 t->SetAttribute("PayloadBytes", UintegerValue(std::stoul(v)));
                 return true;
               }, PeekPointer(m_transfers)));
  cmd.AddValue("loss-timeout-ms", "co-simulation: a packet not received within this is lost, ms",
               MakeBoundCallback(+[](TransferApp* t, const std::string& v) {
                 t->SetAttribute("LossTimeout", TimeValue(MilliSeconds(std::stod(v))));
                 return true;
               }, PeekPointer(m_transfers)));
}

void CosimHelperBase::InstallCommon(const std::string& helper, const std::vector<CellSite>& cells, std::size_t ueCount,
                                    Time slot, Ptr<Node> edge, Ipv4Address edgeAddress,
                                    const std::vector<Ptr<Node>>& ueNodes, const std::vector<Ipv4Address>& ueAddresses) {
  m_helper = helper;
  bool cellsOk = !cells.empty();
  for (const CellSite& c : cells) {
    cellsOk = cellsOk && c.node;
  }
  if (!cellsOk || ueCount == 0 || !edge || ueNodes.size() != ueCount || ueAddresses.size() != ueCount)
    throw std::invalid_argument(helper + "::Install: needs the base station's device, >= 1 UE device, the edge "
                                "node, and one node and one address per UE device");
  m_transfers->Setup(edge, edgeAddress, ueNodes, ueAddresses);
  if (cells.size() > kMaxGeometryCells)
    throw std::invalid_argument(helper + "::Install: " + std::to_string(cells.size()) + " base stations, at most " +
                                std::to_string(kMaxGeometryCells));
  for (std::size_t i = 0; i < cells.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (cells[i].cellId == cells[j].cellId)
        throw std::invalid_argument(helper + "::Install: cell id " + std::to_string(cells[i].cellId) +
                                    " given twice: pass each base station's device once");
    }
  }
  m_cells = cells;
  m_ueCount = ueCount;
  m_slot = slot;
  m_installed = true;
}

int CosimHelperBase::Run() {
  if (m_bridge.empty() && !m_noBridge) {
    std::fprintf(stderr,
                 "%s: no bridge named. Run this program through `layersplit run` with a YAML file whose program: "
                 "section names it (it passes --bridge=NAME), or pass --no-bridge to run it alone.\n",
                 m_helper.c_str());
    return 2;
  }
  if (!m_installed) {
    std::fprintf(stderr, "%s::Run: call %s::Install(cellDevice, ues, edgeNode, edgeAddress, ueNodes, ueAddresses) "
                         "after building the cell and before Run().\n", m_helper.c_str(), m_helper.c_str());
    return 2;
  }
  // Read at Run, not Install: a script may place its base station after installing the devices.
  Geometry geometry;
  geometry.ues = static_cast<std::uint32_t>(m_ueCount);
  for (const CellSite& c : m_cells) {
    Geometry::Cell g;
    g.id = c.cellId;
    if (Ptr<MobilityModel> m = c.node->GetObject<MobilityModel>()) {
      const Vector p = m->GetPosition();
      g.x = p.x, g.y = p.y, g.z = p.z;
    }
    geometry.cells.push_back(g);
  }
  geometry.cell_x = geometry.cells[0].x, geometry.cell_y = geometry.cells[0].y, geometry.cell_z = geometry.cells[0].z;
  return RunWithBridge(m_noBridge ? std::string() : m_bridge, [this](SimEndpoint* ep) { Simulate(ep); }, &geometry);
}

void CosimHelperBase::Simulate(SimEndpoint* ep) {
  std::unique_ptr<RecordSink> sink;
  if (ep) {
    sink = std::make_unique<BridgeRecordSink>(ep);
  } else if (!m_csv.empty()) {
    sink = std::make_unique<CsvRecordSink>(m_csv);
  } else {
    sink = std::make_unique<NullRecordSink>();
  }
  m_collector->SetSink(sink.get());
  // One line per connection in the program's log (ns3.log): which cell serves which UE as which
  // RNTI, the bookkeeping behind every record's cell_id.
  m_collector->TraceConnectWithoutContext(
      "ServingCell", Callback<void, std::uint16_t, std::uint64_t, std::uint16_t, std::uint16_t>(
                         [](std::uint16_t ue, std::uint64_t imsi, std::uint16_t cell, std::uint16_t rnti) {
                           std::fprintf(stderr, "cosim: t=%.3f s UE %u (IMSI %llu) served by cell %u as RNTI %u\n",
                                        Simulator::Now().GetSeconds(), ue, static_cast<unsigned long long>(imsi),
                                        cell, rnti);
                         }));
  m_transfers->SetSink(sink.get());
  CosimClock clock(ep, m_slot, m_duration);
  clock.SetSlotHook([this](Time slotStart) {
    if (m_records) m_collector->Flush(slotStart);
  });
  clock.SetCommandHook([this](const Command& c) { m_transfers->Execute(c); });
  clock.SetEndHook([this](Time) { m_transfers->Finish(); });
  m_transfers->SetDoneCallback([&clock](std::uint64_t) { clock.TransferDone(); });
  const auto wall0 = std::chrono::steady_clock::now();
  clock.Start();
  Simulator::Run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::fprintf(stderr, "cosim: %zu UEs, %.3f simulated s in %.3f wall s (%.3f sim-s per wall-s), %llu slot records, %llu events\n",
               m_ueCount, m_duration.GetSeconds(), wall, m_duration.GetSeconds() / wall,
               static_cast<unsigned long long>(m_collector->GetRecordCount()),
               static_cast<unsigned long long>(m_transfers->GetEventCount()));
  m_collector->SetSink(nullptr);
  m_transfers->SetSink(nullptr);
  m_transfers->SetDoneCallback(nullptr);  // the clock is gone
}

}  // namespace layersplit
