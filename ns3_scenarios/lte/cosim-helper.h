// CosimHelper: joins any ns-3 LTE script to a layersplit co-simulation, in ns-3's helper style
// (the calls are CosimHelperBase's, common to every radio; see common/cosim-helper-base.h):
//
//   layersplit::CosimHelper cosim;            // attributes: Duration
//   CommandLine cmd;
//   cosim.AddCommandLine(cmd);                // --bridge --duration --seed --run --payload-bytes ...
//   cmd.Parse(argc, argv);                    // --seed/--run take effect here, before any object
//   ... build the LTE cell your way (LteHelper, EPC, mobility, ...) ...
//   cosim.Install(enbDevice, ueDevices, edgeNode, edgeAddress, ueNodes, ueAddresses);
//   // several cells: cosim.Install({enb1, enb2, ...}, ueDevices, ...) with every eNB that may serve a UE
//   return cosim.Run();                       // attach, simulate under Python's grants, report
//
// Install hooks the per-slot traces of the UEs and the eNBs (one SlotRecord per UE per 1 ms
// slot, naming its serving cell; each eNB's reports count for its own UEs only) and opens the transfer endpoints (UDP, UE <-> edge host); Run streams them through the
// bridge named by --bridge. Without --bridge, Run refuses (say --no-bridge to run alone).
#pragma once

#include "common/cosim-helper-base.h"
#include "slot-collector.h"

#include <ns3/lte-enb-net-device.h>
#include <ns3/lte-ue-net-device.h>

namespace layersplit {

class CosimHelper : public CosimHelperBase {
 public:
  static ns3::TypeId GetTypeId();
  // Like ns-3's helpers, it may live on the stack; its attributes still work through this.
  ns3::TypeId GetInstanceTypeId() const override { return GetTypeId(); }
  CosimHelper();

  /// Hooks the slot records of `ues` (UE index = position) at every eNB in `enbs` (each UE's serving
  /// cell must be among them; the geometry lists them in this order) and the transfer endpoints.
  void Install(const std::vector<ns3::Ptr<ns3::LteEnbNetDevice>>& enbs,
               const std::vector<ns3::Ptr<ns3::LteUeNetDevice>>& ues, ns3::Ptr<ns3::Node> edge,
               ns3::Ipv4Address edgeAddress, const std::vector<ns3::Ptr<ns3::Node>>& ueNodes,
               const std::vector<ns3::Ipv4Address>& ueAddresses);
  /// One cell: Install({enb}, ...).
  void Install(ns3::Ptr<ns3::LteEnbNetDevice> enb, const std::vector<ns3::Ptr<ns3::LteUeNetDevice>>& ues,
               ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddress,
               const std::vector<ns3::Ptr<ns3::Node>>& ueNodes, const std::vector<ns3::Ipv4Address>& ueAddresses);
  ns3::Ptr<LteSlotCollector> GetCollector() const { return m_collector; }

 private:
  ns3::Ptr<LteSlotCollector> m_collector;
};

}  // namespace layersplit
