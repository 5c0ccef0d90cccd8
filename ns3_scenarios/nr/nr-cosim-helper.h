// NrCosimHelper: joins any ns-3 script with a 5G-LENA NR cell to a layersplit co-simulation; the
// NR twin of CosimHelper (lte/cosim-helper.h), same command line and same calls
// (CosimHelperBase's, see common/cosim-helper-base.h):
//
//   layersplit::NrCosimHelper cosim;
//   CommandLine cmd;
//   cosim.AddCommandLine(cmd);                // --bridge --duration --seed --run --payload-bytes ...
//   cmd.Parse(argc, argv);
//   ... build the NR cell your way (NrHelper, NrPointToPointEpcHelper, mobility, ...) ...
//   cosim.Install(gnbDevice, ueDevices, edgeNode, edgeAddress, ueNodes, ueAddresses);
//   return cosim.Run();
//
// A script that sets NrHelper::SetDlErrorModel tells the collector too (its CQI uses that MCS
// table): cosim.GetCollector()->SetAttribute("CqiErrorModel", TypeIdValue(...)) before Install.
//
// Install hooks the per-slot traces (one SlotRecord per UE per NR slot of the gNB's BWP 0) and
// opens the transfer endpoints (UDP, UE <-> edge host); Run streams them through the bridge.
#pragma once

#include "common/cosim-helper-base.h"
#include "nr-slot-collector.h"

#include <ns3/nr-gnb-net-device.h>
#include <ns3/nr-ue-net-device.h>

namespace layersplit {

class NrCosimHelper : public CosimHelperBase {
 public:
  static ns3::TypeId GetTypeId();
  ns3::TypeId GetInstanceTypeId() const override { return GetTypeId(); }
  NrCosimHelper();

  /// Hooks the slot records of `ues` (UE index = position) at `gnb` and the transfer endpoints.
  void Install(ns3::Ptr<ns3::NrGnbNetDevice> gnb, const std::vector<ns3::Ptr<ns3::NrUeNetDevice>>& ues,
               ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddress,
               const std::vector<ns3::Ptr<ns3::Node>>& ueNodes, const std::vector<ns3::Ipv4Address>& ueAddresses);
  ns3::Ptr<NrSlotCollector> GetCollector() const { return m_collector; }

 private:
  ns3::Ptr<NrSlotCollector> m_collector;
};

}  // namespace layersplit
