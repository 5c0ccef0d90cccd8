// NrCosimHelper: joins any ns-3 script with a 5G-LENA NR cell to a layersplit co-simulation; the
// NR twin of CosimHelper (lte/cosim-helper.h), same command line and same calls:
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

#include "nr-slot-collector.h"

#include "lte/record-sink.h"
#include "lte/transfer-app.h"

#include <ns3/command-line.h>
#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/nr-gnb-net-device.h>
#include <ns3/nr-ue-net-device.h>
#include <ns3/nstime.h>
#include <ns3/object.h>

#include <string>
#include <vector>

namespace layersplit {

class NrCosimHelper : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId();
  ns3::TypeId GetInstanceTypeId() const override { return GetTypeId(); }
  NrCosimHelper();

  /// Adds the co-simulation options to the script's command line (call before cmd.Parse).
  void AddCommandLine(ns3::CommandLine& cmd);
  /// Hooks the slot records of `ues` (UE index = position) at `gnb` and the transfer endpoints.
  void Install(ns3::Ptr<ns3::NrGnbNetDevice> gnb, const std::vector<ns3::Ptr<ns3::NrUeNetDevice>>& ues,
               ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddress,
               const std::vector<ns3::Ptr<ns3::Node>>& ueNodes, const std::vector<ns3::Ipv4Address>& ueAddresses);
  /// Runs the simulation for Duration under the bridge; returns the process exit status.
  int Run();

  /// Options for the built-in scenario, which reads them from its config file instead.
  void SetBridge(const std::string& name, bool noBridge) { m_bridge = name, m_noBridge = noBridge; }
  void SetCsv(const std::string& prefix) { m_csv = prefix; }
  void SetRecords(bool on) { m_records = on; }
  ns3::Ptr<TransferApp> GetTransfers() const { return m_transfers; }
  ns3::Ptr<NrSlotCollector> GetCollector() const { return m_collector; }

 private:
  void Simulate(SimEndpoint* ep);

  std::string m_bridge;
  bool m_noBridge = false;
  std::string m_csv;
  bool m_records = true;
  bool m_installed = false;
  std::size_t m_ueCount = 0;
  ns3::Time m_duration = ns3::Seconds(10);
  ns3::Time m_slot = ns3::MilliSeconds(1);  // the gNB's, set by Install
  ns3::Ptr<ns3::NrGnbNetDevice> m_gnb;
  ns3::Ptr<NrSlotCollector> m_collector;
  ns3::Ptr<TransferApp> m_transfers;
};

}  // namespace layersplit
