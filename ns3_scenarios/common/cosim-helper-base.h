// CosimHelperBase: the radio-neutral half of the helpers that join an ns-3 script to a layersplit
// co-simulation (CosimHelper for LTE, NrCosimHelper for NR): the command line, the transfer
// endpoints, the cell geometry and the run under the bridge. A radio's helper adds only its
// Install(cell device, UE devices, ...) and its slot collector, so every radio has one API:
//
//   CosimHelper cosim;                        // or NrCosimHelper
//   cosim.AddCommandLine(cmd);                // --bridge --duration --seed --run --payload-bytes ...
//   cmd.Parse(argc, argv);                    // --seed/--run take effect here, before any object
//   ... build the cell your way ...
//   cosim.Install(cellDevice, ueDevices, edgeNode, edgeAddress, ueNodes, ueAddresses);
//   return cosim.Run();                       // attach, simulate under Python's grants, report
#pragma once

#include "common/record-sink.h"
#include "common/slot-collector-base.h"
#include "common/transfer-app.h"

#include <ns3/command-line.h>
#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/object.h>

#include <cstdint>
#include <string>
#include <vector>

namespace layersplit {

class CosimHelperBase : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId();
  CosimHelperBase();

  /// Adds the co-simulation options to the script's command line (call before cmd.Parse).
  void AddCommandLine(ns3::CommandLine& cmd);
  /// Runs the simulation for Duration under the bridge; returns the process exit status.
  int Run();

  /// Options for the built-in scenarios, which read them from their config file instead.
  void SetBridge(const std::string& name, bool noBridge) { m_bridge = name, m_noBridge = noBridge; }
  void SetCsv(const std::string& prefix) { m_csv = prefix; }
  void SetRecords(bool on) { m_records = on; }
  ns3::Ptr<TransferApp> GetTransfers() const { return m_transfers; }

 protected:
  /// A base station as the geometry publishes it: its cell id and its node (the position is read at Run).
  struct CellSite {
    std::uint16_t cellId;
    ns3::Ptr<ns3::Node> node;
  };
  /// The common half of a radio helper's Install: checks the arguments, opens the transfer
  /// endpoints and remembers the cells (their nodes' positions are published at Run; the first is
  /// the geometry's cell_position) and slot length.
  void InstallCommon(const std::string& helper, const std::vector<CellSite>& cells, std::size_t ueCount,
                     ns3::Time slot, ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddress,
                     const std::vector<ns3::Ptr<ns3::Node>>& ueNodes,
                     const std::vector<ns3::Ipv4Address>& ueAddresses);
  bool Records() const { return m_records; }
  /// The radio's slot collector, which the run drives (a radio helper sets it in its constructor).
  void SetCollector(ns3::Ptr<SlotCollectorBase> collector) { m_collector = collector; }

 private:
  void Simulate(SimEndpoint* ep);

  std::string m_helper = "CosimHelper";  // the radio helper's name, for messages
  std::string m_bridge;
  bool m_noBridge = false;
  std::string m_csv;
  bool m_records = true;
  bool m_installed = false;
  std::size_t m_ueCount = 0;
  ns3::Time m_duration = ns3::Seconds(10);
  ns3::Time m_slot = ns3::MilliSeconds(1);
  std::vector<CellSite> m_cells;
  ns3::Ptr<TransferApp> m_transfers;
  ns3::Ptr<SlotCollectorBase> m_collector;
};

}  // namespace layersplit
