#include "cosim-helper.h"

#include <ns3/boolean.h>

namespace layersplit {

using namespace ns3;

NS_OBJECT_ENSURE_REGISTERED(CosimHelper);

TypeId CosimHelper::GetTypeId() {
  static TypeId tid = TypeId("layersplit::CosimHelper").SetParent<CosimHelperBase>().AddConstructor<CosimHelper>();
  return tid;
}

CosimHelper::CosimHelper() : m_collector(CreateObject<LteSlotCollector>()) {
  SetCollector(m_collector);
  m_collector->SetAttribute("SelfClock", BooleanValue(false));  // the CosimClock flushes each slot
}

void CosimHelper::Install(Ptr<LteEnbNetDevice> enb, const std::vector<Ptr<LteUeNetDevice>>& ues, Ptr<Node> edge,
                          Ipv4Address edgeAddress, const std::vector<Ptr<Node>>& ueNodes,
                          const std::vector<Ipv4Address>& ueAddresses) {
  Install(std::vector<Ptr<LteEnbNetDevice>>{enb}, ues, edge, edgeAddress, ueNodes, ueAddresses);
}

void CosimHelper::Install(const std::vector<Ptr<LteEnbNetDevice>>& enbs, const std::vector<Ptr<LteUeNetDevice>>& ues,
                          Ptr<Node> edge, Ipv4Address edgeAddress, const std::vector<Ptr<Node>>& ueNodes,
                          const std::vector<Ipv4Address>& ueAddresses) {
  std::vector<CellSite> cells;
  for (const auto& enb : enbs) {
    if (enb) cells.push_back({enb->GetCellId(), enb->GetNode()});
  }
  if (cells.size() != enbs.size()) cells.clear();  // a null device: InstallCommon refuses an empty list
  InstallCommon("CosimHelper", cells, ues.size(), MilliSeconds(1), edge, edgeAddress, ueNodes, ueAddresses);
  if (Records()) m_collector->Install(enbs, ues);
}

}  // namespace layersplit
