// CosimHelper: joins any ns-3 LTE script to a layersplit co-simulation, in ns-3's helper style.
//
//   layersplit::CosimHelper cosim;            // attributes: PayloadBytes, LossTimeout, Duration
//   CommandLine cmd;
//   cosim.AddCommandLine(cmd);                // --bridge --duration --seed --run --payload-bytes ...
//   cmd.Parse(argc, argv);                    // --seed/--run take effect here, before any object
//   ... build the LTE cell your way (LteHelper, EPC, mobility, ...) ...
//   cosim.Install(enbDevice, ueDevices, edgeNode, edgeAddress, ueNodes, ueAddresses);
//   return cosim.Run();                       // attach, simulate under Python's grants, report
//
// Install hooks the per-slot traces of the UEs and the eNB (one SlotRecord per UE per 1 ms
// slot) and opens the transfer endpoints (UDP, UE <-> edge host); Run streams them through the
// bridge named by --bridge. Without --bridge, Run refuses (say --no-bridge to run alone).
#pragma once

#include "record-sink.h"
#include "slot-collector.h"
#include "transfer-app.h"

#include <ns3/command-line.h>
#include <ns3/ipv4-address.h>
#include <ns3/lte-enb-net-device.h>
#include <ns3/lte-ue-net-device.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/object.h>

#include <memory>
#include <string>
#include <vector>

namespace layersplit {

class CosimHelper : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId();
  // Like ns-3's helpers, it may live on the stack; its attributes still work through this.
  ns3::TypeId GetInstanceTypeId() const override { return GetTypeId(); }
  CosimHelper();

  /// Adds the co-simulation options to the script's command line (call before cmd.Parse).
  void AddCommandLine(ns3::CommandLine& cmd);
  /// Hooks the slot records of `ues` (UE index = position) at `enb` and the transfer endpoints.
  void Install(ns3::Ptr<ns3::LteEnbNetDevice> enb, const std::vector<ns3::Ptr<ns3::LteUeNetDevice>>& ues,
               ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddress,
               const std::vector<ns3::Ptr<ns3::Node>>& ueNodes, const std::vector<ns3::Ipv4Address>& ueAddresses);
  /// Runs the simulation for Duration under the bridge; returns the process exit status.
  int Run();

  /// Options for the built-in scenario, which reads them from its config file instead.
  void SetBridge(const std::string& name, bool noBridge) { m_bridge = name, m_noBridge = noBridge; }
  void SetCsv(const std::string& prefix) { m_csv = prefix; }
  void SetRecords(bool on) { m_records = on; }
  ns3::Ptr<TransferApp> GetTransfers() const { return m_transfers; }

 private:
  void Simulate(SimEndpoint* ep);

  std::string m_bridge;
  bool m_noBridge = false;
  std::string m_csv;
  bool m_records = true;
  bool m_installed = false;
  std::size_t m_ueCount = 0;
  ns3::Time m_duration = ns3::Seconds(10);
  ns3::Ptr<ns3::LteEnbNetDevice> m_enb;
  ns3::Ptr<LteSlotCollector> m_collector;
  ns3::Ptr<TransferApp> m_transfers;
};

}  // namespace layersplit
