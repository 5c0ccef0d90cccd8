#include "slot-collector.h"

#include <ns3/boolean.h>
#include <ns3/log.h>
#include <ns3/lte-chunk-processor.h>
#include <ns3/lte-enb-phy.h>
#include <ns3/node.h>
#include <ns3/lte-radio-bearer-info.h>
#include <ns3/lte-rlc.h>
#include <ns3/lte-spectrum-phy.h>
#include <ns3/lte-ue-component-carrier-manager.h>
#include <ns3/lte-ue-phy.h>
#include <ns3/lte-ue-rrc.h>
#include <ns3/object-map.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>

#include <cmath>
#include <limits>

namespace layersplit {

using namespace ns3;

NS_LOG_COMPONENT_DEFINE("LayersplitLteSlotCollector");
NS_OBJECT_ENSURE_REGISTERED(LteSlotCollector);

namespace {
constexpr std::int64_t kSlotNs = 1000000;  // LTE TTI
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::int64_t SlotOf(Time t) { return t.GetNanoSeconds() / kSlotNs; }
}  // namespace

/// Pass-through MAC SAP between one RLC instance and the UE's MAC that tracks the RLC queue: the
/// latest buffer status report, less the bytes of the PDUs passed down since.
class LteSlotCollector::BufferProbe : public LteMacSapProvider {
 public:
  BufferProbe(Ptr<LteRlc> rlc, LteMacSapProvider* real) : rlc(rlc), real(real) {}
  void TransmitPdu(TransmitPduParameters params) override {
    // As LteUeMac does between two reports: what went to the MAC has left the RLC queue
    // (less a minimal RLC header, the next report corrects the estimate).
    const std::uint32_t sdu = params.pdu->GetSize() > 2 ? params.pdu->GetSize() - 2 : 0;
    bytes = bytes > sdu ? bytes - sdu : 0;
    real->TransmitPdu(params);
  }
  void ReportBufferStatus(ReportBufferStatusParameters params) override {
    bytes = params.txQueueSize + params.retxQueueSize + params.statusPduSize;
    real->ReportBufferStatus(params);
  }
  Ptr<LteRlc> rlc;
  LteMacSapProvider* real;
  std::uint32_t bytes = 0;
};

TypeId LteSlotCollector::GetTypeId() {
  static TypeId tid =
      TypeId("layersplit::LteSlotCollector")
          .SetParent<Object>()
          .AddConstructor<LteSlotCollector>()
          .AddAttribute("SelfClock",
                        "If true the collector schedules its own Flush at every 1 ms slot "
                        "boundary; if false the owner calls Flush(slotStart) itself.",
                        BooleanValue(true), MakeBooleanAccessor(&LteSlotCollector::m_selfClock),
                        MakeBooleanChecker());
  return tid;
}

LteSlotCollector::LteSlotCollector() : m_rntiToUe(65536, -1), m_amc(CreateObject<LteAmc>()) {}

LteSlotCollector::~LteSlotCollector() = default;

void LteSlotCollector::DoDispose() {
  m_ues.clear();
  m_amc = nullptr;
  Object::DoDispose();
}

void LteSlotCollector::Install(Ptr<LteEnbNetDevice> enb, const std::vector<Ptr<LteUeNetDevice>>& ues) {
  NS_ABORT_MSG_IF(!m_ues.empty(), "LteSlotCollector::Install called twice");
  m_ues.resize(ues.size());

  Ptr<LteSpectrumPhy> enbUl = enb->GetPhy()->GetUlSpectrumPhy();
  auto ulSinr = Create<LteChunkProcessor>();
  ulSinr->AddCallback(MakeCallback(&LteSlotCollector::OnUlDataSinr, this));
  enbUl->AddDataSinrChunkProcessor(ulSinr);
  enbUl->TraceConnectWithoutContext("UlPhyReception",
                                    MakeCallback(&LteSlotCollector::OnUlPhyReception, this));

  for (std::size_t i = 0; i < ues.size(); ++i) {
    UeState& s = m_ues[i];
    s.dev = ues[i];
    s.mobility = ues[i]->GetNode()->GetObject<MobilityModel>();
    NS_ABORT_MSG_IF(!s.mobility, "UE " << i << " has no MobilityModel: install mobility first");
    s.ulSinrDb = s.dlSinrDb = s.rsrpDbm = kNaN;

    Ptr<LteUePhy> phy = ues[i]->GetPhy();
    auto dl = Create<LteChunkProcessor>();
    dl->AddCallback(Callback<void, const SpectrumValue&>(
        [this, i](const SpectrumValue& v) { OnDlCtrlSinr(i, v); }));
    phy->GetDlSpectrumPhy()->AddCtrlSinrChunkProcessor(dl);
    phy->TraceConnectWithoutContext(
        "UlPhyTransmission", Callback<void, PhyTransmissionStatParameters>(
                                 [this, i](PhyTransmissionStatParameters p) { OnUlGrant(i, p); }));
    phy->TraceConnectWithoutContext(
        "ReportUlPhyResourceBlocks",
        Callback<void, uint16_t, const std::vector<int>&>(
            [this, i](uint16_t rnti, const std::vector<int>& rbs) { OnUlRbs(i, rnti, rbs); }));
    phy->TraceConnectWithoutContext(
        "ReportCurrentCellRsrpSinr",
        Callback<void, uint16_t, uint16_t, double, double, uint8_t>(
            [this, i](uint16_t c, uint16_t r, double rsrp, double sinr, uint8_t cc) {
              OnRsrpSinr(i, c, r, rsrp, sinr, cc);
            }));
    Ptr<LteUeRrc> rrc = ues[i]->GetRrc();
    rrc->TraceConnectWithoutContext(
        "ConnectionEstablished",
        Callback<void, uint64_t, uint16_t, uint16_t>(
            [this, i](uint64_t imsi, uint16_t cell, uint16_t rnti) { OnConnected(i, imsi, cell, rnti); }));
    rrc->TraceConnectWithoutContext(
        "DrbCreated", Callback<void, uint64_t, uint16_t, uint16_t, uint8_t>(
                          [this, i](uint64_t imsi, uint16_t cell, uint16_t rnti, uint8_t lcid) {
                            OnDrbCreated(i, imsi, cell, rnti, lcid);
                          }));
  }
}

void LteSlotCollector::Start() {
  if (!m_selfClock || m_started) {
    return;
  }
  m_started = true;
  const std::int64_t now = Simulator::Now().GetNanoSeconds();
  const std::int64_t next = (now / kSlotNs + 1) * kSlotNs;
  Simulator::Schedule(NanoSeconds(next - now), &LteSlotCollector::SelfClockTick, this);
}

void LteSlotCollector::SelfClockTick() {
  Flush(Simulator::Now() - NanoSeconds(kSlotNs));
  Simulator::Schedule(NanoSeconds(kSlotNs), &LteSlotCollector::SelfClockTick, this);
}

void LteSlotCollector::OnConnected(std::size_t ue, uint64_t, uint16_t, uint16_t rnti) {
  m_rntiToUe[rnti] = static_cast<std::int32_t>(ue);
}

void LteSlotCollector::OnDrbCreated(std::size_t ue, uint64_t, uint16_t, uint16_t rnti, uint8_t) {
  m_rntiToUe[rnti] = static_cast<std::int32_t>(ue);
  // The RRC wires the new RLC to the MAC around this trace; install the probe right after.
  Simulator::ScheduleNow(&LteSlotCollector::InstallBufferProbes, this, ue);
}

void LteSlotCollector::InstallBufferProbes(std::size_t ue) {
  UeState& s = m_ues[ue];
  ObjectMapValue drbs;
  s.dev->GetRrc()->GetAttribute("DataRadioBearerMap", drbs);
  LteMacSapProvider* real = s.dev->GetComponentCarrierManager()->GetLteMacSapProvider();
  for (auto it = drbs.Begin(); it != drbs.End(); ++it) {
    Ptr<LteDataRadioBearerInfo> drb = it->second->GetObject<LteDataRadioBearerInfo>();
    if (!drb || !drb->m_rlc) {
      continue;
    }
    bool known = false;
    for (const auto& p : s.probes) {
      known = known || p->rlc == drb->m_rlc;
    }
    if (!known) {
      s.probes.push_back(std::make_shared<BufferProbe>(drb->m_rlc, real));
      drb->m_rlc->SetLteMacSapProvider(s.probes.back().get());
    }
  }
}

std::uint32_t LteSlotCollector::BufferBytes(const UeState& s) const {
  std::uint32_t total = 0;
  for (const auto& p : s.probes) {
    total += p->bytes;
  }
  return total;
}

void LteSlotCollector::OnUlRbs(std::size_t ue, uint16_t, const std::vector<int>& rbs) {
  m_ues[ue].pendingRbs = rbs;
}

void LteSlotCollector::OnUlGrant(std::size_t ue, PhyTransmissionStatParameters p) {
  UeState& s = m_ues[ue];
  Grant& g = s.grants[static_cast<std::size_t>(p.m_timestamp) % s.grants.size()];
  g.slot = p.m_timestamp;  // ms = slot index of the TTI the TB will be sent in
  g.mcs = p.m_mcs;
  g.tbsBytes = p.m_size;
  g.retx = p.m_rv;
  g.rbStart = s.pendingRbs.empty() ? 0 : static_cast<uint16_t>(s.pendingRbs.front());
  g.rbLen = static_cast<uint16_t>(s.pendingRbs.size());
}

void LteSlotCollector::OnUlDataSinr(const SpectrumValue& sinr) {
  const std::int64_t slot = SlotOf(Simulator::Now());
  const std::size_t nRb = sinr.GetValuesN();
  for (UeState& s : m_ues) {
    const Grant& g = s.grants[static_cast<std::size_t>(slot) % s.grants.size()];
    if (g.slot != slot || g.rbLen == 0) {
      continue;
    }
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t rb = g.rbStart; rb < std::size_t(g.rbStart) + g.rbLen && rb < nRb; ++rb) {
      sum += sinr[rb];
      ++n;
    }
    if (n > 0 && sum > 0) {
      s.ulSinrDb = static_cast<float>(10.0 * std::log10(sum / n));
    }
  }
}

void LteSlotCollector::OnUlPhyReception(PhyReceptionStatParameters p) {
  const std::int32_t ue = m_rntiToUe[p.m_rnti];
  if (ue < 0) {
    return;
  }
  Reception& rx = m_ues[ue].rx;
  rx.slot = SlotOf(Simulator::Now());
  rx.ok = p.m_correctness != 0;
}

void LteSlotCollector::OnDlCtrlSinr(std::size_t ue, const SpectrumValue& sinr) {
  UeState& s = m_ues[ue];
  double sum = 0;
  const std::size_t n = sinr.GetValuesN();
  for (std::size_t rb = 0; rb < n; ++rb) {
    sum += sinr[rb];
  }
  if (n == 0 || sum <= 0) {
    return;
  }
  s.dlSinrDb = static_cast<float>(10.0 * std::log10(sum / n));
  // RBG size of 36.213 Table 7.1.6.1-1, as the Vienna (MiErrorModel) AMC needs it.
  const std::uint8_t rbg = n <= 10 ? 1 : n <= 26 ? 2 : n <= 63 ? 3 : 4;
  const std::vector<int> cqi = m_amc->CreateCqiFeedbacks(sinr, rbg);
  int total = 0;
  int used = 0;
  for (int c : cqi) {
    if (c >= 0) {
      total += c;
      ++used;
    }
  }
  s.cqi = used > 0 ? static_cast<std::uint8_t>(total / used) : 0;
}

void LteSlotCollector::OnRsrpSinr(std::size_t ue, uint16_t, uint16_t, double rsrpW, double, uint8_t) {
  if (rsrpW > 0) {
    m_ues[ue].rsrpDbm = static_cast<float>(10.0 * std::log10(rsrpW) + 30.0);
  }
}

void LteSlotCollector::Flush(Time slotStart) {
  NS_ABORT_MSG_IF(m_sink == nullptr, "LteSlotCollector: SetSink was not called");
  const std::int64_t slot = SlotOf(slotStart);
  for (std::size_t i = 0; i < m_ues.size(); ++i) {
    UeState& s = m_ues[i];
    SlotRecord r{};
    r.t_ns = slot * kSlotNs;
    r.seq = m_seq++;
    r.ue = static_cast<std::uint16_t>(i);
    r.cqi = s.cqi;
    const Grant& g = s.grants[static_cast<std::size_t>(slot) % s.grants.size()];
    if (g.slot == slot) {
      r.ul_mcs = g.mcs;
      r.ul_rbs = g.rbLen;
      r.ul_tbs_bytes = g.tbsBytes;
      r.harq_retx = g.retx;
      r.harq = s.rx.slot == slot ? (s.rx.ok ? kHarqOk : kHarqFail) : kHarqNone;
    } else {
      r.ul_mcs = kNoValue;
      r.harq = kHarqNone;
    }
    r.ul_buffer_bytes = BufferBytes(s);
    r.ul_sinr_db = s.ulSinrDb;
    r.dl_sinr_db = s.dlSinrDb;
    r.rsrp_dbm = s.rsrpDbm;
    const Vector pos = s.mobility->GetPosition();
    const Vector vel = s.mobility->GetVelocity();
    r.x = static_cast<float>(pos.x);
    r.y = static_cast<float>(pos.y);
    r.z = static_cast<float>(pos.z);
    r.speed = static_cast<float>(std::sqrt(vel.x * vel.x + vel.y * vel.y + vel.z * vel.z));
    m_sink->PushSlot(r);
  }
}

}  // namespace layersplit
