// The parts of a cell that every radio builds alike: the global defaults, the edge host behind the
// core network, the base station's node and the UEs' background traffic. A radio's builder
// (lte/lte-cell-builder.cc, nr/nr-cell-builder.cc) calls them in its own order: node ids, and so
// the traces, depend on the order in which nodes are made.
#pragma once

#include "common/scenario-config.h"

#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/type-id.h>

#include <string>
#include <vector>

namespace layersplit {

/// The TypeId named by config key `key`; throws std::runtime_error naming the key if ns-3 has none.
ns3::TypeId LookupTypeOrThrow(const std::string& name, const std::string& key);

/// Seeds ns-3 (RngSeedManager seed + run) and sets the radio-neutral defaults. Checks rlc_mode and
/// sets the RLC transmit buffers of the radio's `ns3::<rlcPrefix>RlcUm` / `RlcAm` types (Lte, Nr);
/// returns true for UM, false for AM (the bearer mapping is each radio's own enum).
bool ApplySharedDefaults(const KeyValues& top, const std::string& rlcPrefix);

/// The edge server: a host on a point-to-point backhaul (backhaul_rate, backhaul_delay_ms) from
/// the core's user plane gateway, routed to the UE subnet 7.0.0.0/8.
struct EdgeHost {
  ns3::Ptr<ns3::Node> node;
  ns3::Ipv4Address address;
};
EdgeHost InstallEdgeHost(const KeyValues& top, ns3::Ptr<ns3::Node> gateway);

/// The base station's node at (<prefix>_x, <prefix>_y, <prefix>_z), e.g. prefix "enb" or "gnb".
ns3::Ptr<ns3::Node> CreateBaseStationNode(const KeyValues& top, const std::string& prefix);

/// Every UE's background traffic (ue-setup.h InstallTraffic), on uplink port 9000 + i.
void InstallUeTraffic(const ScenarioConfig& cfg, const std::vector<ns3::Ptr<ns3::Node>>& ueNodes,
                      const std::vector<ns3::Ipv4Address>& ueAddresses, const EdgeHost& edge);

}  // namespace layersplit
