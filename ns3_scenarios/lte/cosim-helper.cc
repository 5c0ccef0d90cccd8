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
  InstallCommon("CosimHelper", enb ? enb->GetNode() : nullptr, ues.size(), MilliSeconds(1), edge, edgeAddress,
                ueNodes, ueAddresses);
  if (Records()) m_collector->Install(enb, ues);
}

}  // namespace layersplit
