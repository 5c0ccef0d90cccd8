// The smallest co-simulation: an ns-3 event per 1 ms slot writes one record per UE and honours
// Python's grants. Uplink/downlink commands are answered with an echo event. It exists to prove
// and measure the bridge with real ns-3 libraries; the LTE cell lives in ns3_scenarios/lte/.
#include "common/cosim-clock.h"

#include "ns3/core-module.h"

using namespace ns3;

int main(int argc, char* argv[]) {
  std::string bridge;
  uint32_t ues = 1;
  double durationMs = 1000;
  uint32_t seed = 1;
  CommandLine cmd(__FILE__);
  cmd.AddValue("bridge", "shared-memory segment created by the Python launcher (empty: run without Python)", bridge);
  cmd.AddValue("ues", "number of UEs, one record each per slot", ues);
  cmd.AddValue("duration-ms", "simulated time, ms", durationMs);
  cmd.AddValue("seed", "random seed of the fake channel values", seed);
  cmd.Parse(argc, argv);
  RngSeedManager::SetRun(seed);  // independent substreams per seed; any value is valid

  return layersplit::RunWithBridge(bridge, [&](layersplit::SimEndpoint* ep) {
    auto sinr = CreateObject<NormalRandomVariable>();
    sinr->SetAttribute("Mean", DoubleValue(10.0));
    sinr->SetAttribute("Variance", DoubleValue(4.0));
    layersplit::CosimClock clock(ep, MilliSeconds(1), MilliSeconds(durationMs));
    clock.SetSlotHook([&](Time slotStart) {
      for (uint32_t u = 0; u < ues; ++u) {
        layersplit::SlotRecord r{};
        r.t_ns = slotStart.GetNanoSeconds();
        r.ue = static_cast<uint16_t>(u);
        r.ul_sinr_db = static_cast<float>(sinr->GetValue());
        r.dl_sinr_db = r.ul_sinr_db;
        r.cqi = layersplit::kNoValue;
        r.ul_mcs = layersplit::kNoValue;
        if (ep) ep->PushSlot(r);
      }
    });
    clock.SetCommandHook([&](const layersplit::Command& c) {
      layersplit::EventRecord e{};
      e.t_send_ns = e.t_recv_ns = Simulator::Now().GetNanoSeconds();
      e.tag = c.tag;
      e.bytes = c.bytes;
      e.ue = c.ue;
      e.direction = c.kind == layersplit::kCmdDownlink ? layersplit::kDownlink : layersplit::kUplink;
      e.kind = layersplit::kEventEcho;
      e.n_packets = 1;
      ep->PushEvent(e);
    });
    clock.Start();
    Simulator::Run();
  });
}
