// Builds the LTE cell of a ScenarioConfig: one eNB, or several (config key cell_count; each cell's
// cell_<i>_x/_y/_z/_tx_power_dbm and, for a sector, _azimuth_deg/_beamwidth_deg/_max_attenuation_db).
// With several, UEs pick the best cell by RSRP, X2 links every pair of eNBs, and a UE that finds no
// cell to camp on is an error (kCellSearchDeadlineS). Also an edge host behind the PGW, N UEs with
// their mobility, the channel (path loss, optional trace fading), the scheduler, RLC mode and
// background traffic. Everything comes from the config; nothing is defaulted here.
#pragma once

#include "common/scenario-config.h"

#include <ns3/ipv4-address.h>
#include <ns3/lte-enb-net-device.h>
#include <ns3/lte-helper.h>
#include <ns3/lte-ue-net-device.h>
#include <ns3/node-container.h>
#include <ns3/point-to-point-epc-helper.h>

#include <vector>

namespace layersplit {

struct LteCell {
  ns3::Ptr<ns3::LteHelper> lte;
  ns3::Ptr<ns3::PointToPointEpcHelper> epc;
  ns3::Ptr<ns3::Node> enbNode;  // the first eNB's
  std::vector<ns3::Ptr<ns3::LteEnbNetDevice>> enbDevices;  // every eNB, in config order
  ns3::Ptr<ns3::Node> edgeNode;
  std::vector<ns3::Ptr<ns3::Node>> ueNodes;
  ns3::Ptr<ns3::LteEnbNetDevice> enbDevice;  // the first eNB's
  std::vector<ns3::Ptr<ns3::LteUeNetDevice>> ueDevices;
  ns3::Ipv4Address edgeAddress;
  std::vector<ns3::Ipv4Address> ueAddresses;
};

/// With several cells, a UE that has camped on no cell this far into the run (simulated seconds)
/// stops it with an error: it is outside every cell's reach. Initial cell selection takes ~250 ms.
inline constexpr double kCellSearchDeadlineS = 1.0;

/// Seeds ns-3 (RngSeedManager seed + run) and sets the global defaults the config asks for.
/// Call before creating any object.
void ApplyGlobalConfig(const ScenarioConfig& cfg);

/// Builds the whole cell; throws std::runtime_error on a bad value (unknown TypeId, missing file).
LteCell BuildLteCell(const ScenarioConfig& cfg);

}  // namespace layersplit
