// Builds the 5G NR cell of a ScenarioConfig with 5G-LENA: one gNB (one band, one BWP), an edge host
// behind the 5G core's user plane (NrPointToPointEpcHelper), N UEs with their mobility, the 3GPP
// TR 38.901 channel, antenna arrays with ideal beamforming, the scheduler, MCS table, HARQ and RLC
// mode. Everything comes from the config (written by cosim/radio/nr/program_config.py); nothing is
// defaulted here.
#pragma once

#include "common/scenario-config.h"

#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/nr-gnb-net-device.h>
#include <ns3/nr-helper.h>
#include <ns3/nr-point-to-point-epc-helper.h>
#include <ns3/nr-ue-net-device.h>

#include <memory>
#include <vector>

namespace layersplit {

struct NrCell {
  std::shared_ptr<ns3::OperationBandInfo> band;  // the BWPs of the devices point into it
  ns3::Ptr<ns3::NrHelper> nr;
  ns3::Ptr<ns3::NrPointToPointEpcHelper> epc;
  ns3::Ptr<ns3::Node> gnbNode;
  ns3::Ptr<ns3::Node> edgeNode;
  std::vector<ns3::Ptr<ns3::Node>> ueNodes;
  ns3::Ptr<ns3::NrGnbNetDevice> gnbDevice;
  std::vector<ns3::Ptr<ns3::NrUeNetDevice>> ueDevices;
  ns3::Ipv4Address edgeAddress;
  std::vector<ns3::Ipv4Address> ueAddresses;
};

/// Seeds ns-3 and sets the global defaults the config asks for (RLC, channel update periods).
/// Call before creating any object.
void ApplyNrGlobalConfig(const ScenarioConfig& cfg);

/// Builds the whole cell; throws std::runtime_error on a bad value (unknown TypeId, bad pattern).
NrCell BuildNrCell(const ScenarioConfig& cfg);

}  // namespace layersplit
