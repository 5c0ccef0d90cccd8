#include "nr-cosim-helper.h"

#include <ns3/nr-gnb-phy.h>

namespace layersplit {

using namespace ns3;

NS_OBJECT_ENSURE_REGISTERED(NrCosimHelper);

TypeId NrCosimHelper::GetTypeId() {
  static TypeId tid = TypeId("layersplit::NrCosimHelper").SetParent<CosimHelperBase>().AddConstructor<NrCosimHelper>();
  return tid;
}

NrCosimHelper::NrCosimHelper() : m_collector(CreateObject<NrSlotCollector>()) { SetCollector(m_collector); }

void NrCosimHelper::Install(Ptr<NrGnbNetDevice> gnb, const std::vector<Ptr<NrUeNetDevice>>& ues, Ptr<Node> edge,
                            Ipv4Address edgeAddress, const std::vector<Ptr<Node>>& ueNodes,
                            const std::vector<Ipv4Address>& ueAddresses) {
  // One record per slot of the gNB's numerology (BWP 0): 1/2^mu ms.
  std::vector<CellSite> cells;
  if (gnb) cells.push_back({gnb->GetCellId(), gnb->GetNode()});
  InstallCommon("NrCosimHelper", cells, ues.size(),
                gnb ? gnb->GetPhy(0)->GetSlotPeriod() : MilliSeconds(1), edge, edgeAddress, ueNodes, ueAddresses);
  if (Records()) m_collector->Install(gnb, ues);
}

}  // namespace layersplit
