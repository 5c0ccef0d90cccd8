#include "common/cell-parts.h"

#include "common/ue-setup.h"

#include <ns3/config.h>
#include <ns3/internet-module.h>
#include <ns3/mobility-module.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include <stdexcept>

namespace layersplit {

using namespace ns3;

TypeId LookupTypeOrThrow(const std::string& name, const std::string& key) {
  TypeId tid;
  if (!TypeId::LookupByNameFailSafe(name, &tid)) {
    throw std::runtime_error("config: " + key + ": unknown ns-3 type '" + name + "'");
  }
  return tid;
}

bool ApplySharedDefaults(const KeyValues& t, const std::string& rlcPrefix) {
  RngSeedManager::SetSeed(static_cast<std::uint32_t>(t.Int("seed")));
  RngSeedManager::SetRun(static_cast<std::uint64_t>(t.Int("run")));
  const std::string& rlc = t.Str("rlc_mode");
  if (rlc != "UM" && rlc != "AM") {
    throw std::runtime_error("config: rlc_mode must be UM or AM, got '" + rlc + "'");
  }
  const UintegerValue rlcBuf(static_cast<std::uint32_t>(t.Int("rlc_max_tx_buffer_bytes")));
  Config::SetDefault("ns3::" + rlcPrefix + "RlcUm::MaxTxBufferSize", rlcBuf);
  Config::SetDefault("ns3::" + rlcPrefix + "RlcAm::MaxTxBufferSize", rlcBuf);
  // Transfers put whole tensors on the wire at once: wired queues must not be the bottleneck.
  Config::SetDefault("ns3::DropTailQueue<Packet>::MaxSize", StringValue("1000000p"));
  return rlc == "UM";
}

EdgeHost InstallEdgeHost(const KeyValues& t, Ptr<Node> gateway) {
  EdgeHost edge{CreateObject<Node>(), Ipv4Address()};
  InternetStackHelper internet;
  internet.Install(edge.node);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(t.Str("backhaul_rate"))));
  p2p.SetDeviceAttribute("Mtu", UintegerValue(1500));
  p2p.SetChannelAttribute("Delay", TimeValue(MilliSeconds(t.Num("backhaul_delay_ms"))));
  NetDeviceContainer link = p2p.Install(gateway, edge.node);
  Ipv4AddressHelper ipv4;
  ipv4.SetBase("1.0.0.0", "255.0.0.0");
  edge.address = ipv4.Assign(link).GetAddress(1);
  Ipv4StaticRoutingHelper routing;
  routing.GetStaticRouting(edge.node->GetObject<Ipv4>())
      ->AddNetworkRouteTo(Ipv4Address("7.0.0.0"), Ipv4Mask("255.0.0.0"), 1);
  return edge;
}

Ptr<Node> CreateBaseStationNode(const KeyValues& t, const std::string& prefix) {
  Ptr<Node> node = CreateObject<Node>();
  auto mobility = CreateObject<ConstantPositionMobilityModel>();
  mobility->SetPosition(Vector(t.Num(prefix + "_x"), t.Num(prefix + "_y"), t.Num(prefix + "_z")));
  node->AggregateObject(mobility);
  return node;
}

void InstallUeTraffic(const ScenarioConfig& cfg, const std::vector<Ptr<Node>>& ueNodes,
                      const std::vector<Ipv4Address>& ueAddresses, const EdgeHost& edge) {
  for (std::size_t i = 0; i < ueNodes.size(); ++i) {
    InstallTraffic(cfg.ues[i], ueNodes[i], ueAddresses[i], edge.node, edge.address,
                   static_cast<std::uint16_t>(9000 + i), static_cast<std::uint16_t>(9000));
  }
}

}  // namespace layersplit
