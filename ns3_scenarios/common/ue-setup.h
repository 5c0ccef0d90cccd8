// Radio-neutral UE setup shared by the cell programs: mobility (the six kinds of the scenario
// YAML) and background traffic, both read from a UE line of the program config
// (scenario-config.h).
#pragma once

#include "common/scenario-config.h"

#include <ns3/ipv4-address.h>
#include <ns3/node-container.h>
#include <ns3/node.h>

#include <cstdint>
#include <vector>

namespace layersplit {

/// The UE nodes of the config's ue lines, each with its mobility installed (checks ue_count).
ns3::NodeContainer CreateUeNodes(const ScenarioConfig& cfg);

/// Installs the mobility model of one UE: constant_position, constant_velocity, random_walk,
/// random_waypoint or gauss_markov (ns2 is installed per trace file by InstallNs2Mobility).
void InstallUeMobility(const KeyValues& ue, ns3::Ptr<ns3::Node> node);

/// Installs ns-2 trace mobility for every UE whose line says mobility=ns2 (one helper per file).
void InstallNs2Mobility(const std::vector<KeyValues>& ues, const std::vector<ns3::Ptr<ns3::Node>>& nodes);

/// Installs the UE's background traffic (none | cbr | full_buffer; ul | dl | both) between the UE
/// and the edge host, with UDP sinks at the receivers.
void InstallTraffic(const KeyValues& ue, ns3::Ptr<ns3::Node> ueNode, ns3::Ipv4Address ueAddr,
                    ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddr, std::uint16_t ulPort,
                    std::uint16_t dlPort);

}  // namespace layersplit
