#include "nr-cosim-helper.h"

#include "common/cosim-clock.h"

#include <ns3/boolean.h>
#include <ns3/double.h>
#include <ns3/mobility-model.h>
#include <ns3/nr-gnb-phy.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/uinteger.h>

#include <chrono>
#include <cstdio>

namespace layersplit {

using namespace ns3;

NS_OBJECT_ENSURE_REGISTERED(NrCosimHelper);

TypeId NrCosimHelper::GetTypeId() {
  static TypeId tid = TypeId("layersplit::NrCosimHelper")
                          .SetParent<Object>()
                          .AddConstructor<NrCosimHelper>()
                          .AddAttribute("Duration", "Simulated time to run (--duration, s)", TimeValue(Seconds(10)),
                                        MakeTimeAccessor(&NrCosimHelper::m_duration), MakeTimeChecker(Seconds(0)));
  return tid;
}

NrCosimHelper::NrCosimHelper()
    : m_collector(CreateObject<NrSlotCollector>()), m_transfers(CreateObject<TransferApp>()) {
}

void NrCosimHelper::AddCommandLine(CommandLine& cmd) {
  cmd.AddValue("bridge", "co-simulation: shared-memory segment (given by `layersplit run`)", m_bridge);
  cmd.AddValue("no-bridge", "co-simulation: run alone, without Python", m_noBridge);
  cmd.AddValue("duration", "co-simulation: simulated time, s",
               MakeBoundCallback(+[](NrCosimHelper* self, const std::string& v) {
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

void NrCosimHelper::Install(Ptr<NrGnbNetDevice> gnb, const std::vector<Ptr<NrUeNetDevice>>& ues, Ptr<Node> edge,
                          Ipv4Address edgeAddress, const std::vector<Ptr<Node>>& ueNodes,
                          const std::vector<Ipv4Address>& ueAddresses) {
  if (!gnb || ues.empty() || !edge || ueNodes.size() != ues.size() || ueAddresses.size() != ues.size())
    throw std::invalid_argument("NrCosimHelper::Install: needs the gNB device, >= 1 UE device, the edge node, and "
                                "one node and one address per UE device");
  if (m_records) m_collector->Install(gnb, ues);
  m_transfers->Setup(edge, edgeAddress, ueNodes, ueAddresses);
  m_ueCount = ues.size();
  m_gnb = gnb;
  m_slot = gnb->GetPhy(0)->GetSlotPeriod();
  m_installed = true;
}

int NrCosimHelper::Run() {
  if (m_bridge.empty() && !m_noBridge) {
    std::fprintf(stderr,
                 "NrCosimHelper: no bridge named. Run this program through `layersplit run` with a YAML file "
                 "whose program: section names it (it passes --bridge=NAME), or pass --no-bridge to run it alone.\n");
    return 2;
  }
  if (!m_installed) {
    std::fprintf(stderr, "NrCosimHelper::Run: call NrCosimHelper::Install(gnb, ues, edgeNode, edgeAddress, ueNodes, "
                         "ueAddresses) after building the cell and before Run().\n");
    return 2;
  }
  // Read at Run, not Install: a script may place its gNB after installing the devices.
  Geometry geometry;
  geometry.ues = static_cast<std::uint32_t>(m_ueCount);
  if (Ptr<MobilityModel> m = m_gnb->GetNode()->GetObject<MobilityModel>()) {
    const Vector p = m->GetPosition();
    geometry.cell_x = p.x, geometry.cell_y = p.y, geometry.cell_z = p.z;
  }
  return RunWithBridge(m_noBridge ? std::string() : m_bridge, [this](SimEndpoint* ep) { Simulate(ep); }, &geometry);
}

void NrCosimHelper::Simulate(SimEndpoint* ep) {
  std::unique_ptr<RecordSink> sink;
  if (ep) {
    sink = std::make_unique<BridgeRecordSink>(ep);
  } else if (!m_csv.empty()) {
    sink = std::make_unique<CsvRecordSink>(m_csv);
  } else {
    sink = std::make_unique<NullRecordSink>();
  }
  m_collector->SetSink(sink.get());
  m_transfers->SetSink(sink.get());
  CosimClock clock(ep, m_slot, m_duration);  // one NR slot
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
