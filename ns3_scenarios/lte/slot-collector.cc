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
#include <ns3/packet-burst.h>
#include <ns3/uinteger.h>
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
constexpr std::uint8_t kPuschSymbols = 14;  // an LTE PUSCH allocation spans the subframe (normal CP)

// Age in ms at `endNs` of a value measured at `atNs` (NaN if never measured).
float AgeMs(std::int64_t endNs, std::int64_t atNs) {
  return atNs < 0 ? kNaN : static_cast<float>(endNs - atNs) / 1e6f;
}

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

/// Ctrl-SINR chunk processor of one UE's downlink LteSpectrumPhy: the linear mean over RBs of the
/// SINR, time-weighted over the chunks of one control-region reception, stored at End. Replaces
/// LteChunkProcessor's SpectrumValue sums (no allocation, one pass over the RBs per chunk).
class LteSlotCollector::DlCtrlSinr : public LteChunkProcessor {
 public:
  explicit DlCtrlSinr(double* out) : m_out(out) {}
  void Start() override {
    m_sum = 0;
    m_ns = 0;
  }
  void EvaluateChunk(const SpectrumValue& sinr, Time duration) override {
    const std::size_t n = sinr.GetValuesN();
    if (n == 0) {
      return;
    }
    double sum = 0;
    for (auto it = sinr.ConstValuesBegin(); it != sinr.ConstValuesEnd(); ++it) {
      sum += *it;
    }
    const double ns = static_cast<double>(duration.GetNanoSeconds());
    m_sum += sum / static_cast<double>(n) * ns;
    m_ns += ns;
  }
  void End() override {
    if (m_ns > 0 && m_sum > 0) {
      *m_out = m_sum / m_ns;
    }
  }

 private:
  double* m_out;  // UeState::dlSinr (m_ues is sized once, in Install)
  double m_sum = 0;
  double m_ns = 0;
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

LteSlotCollector::LteSlotCollector() : m_rntiToUe(65536, -1) {}

LteSlotCollector::~LteSlotCollector() = default;

void LteSlotCollector::DoDispose() {
  m_ues.clear();
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
  // Every SRS the eNB receives, not every n-th: the fresh uplink estimate of each record.
  enb->GetPhy()->SetAttribute("UeSinrSamplePeriod", UintegerValue(1));
  enb->GetPhy()->TraceConnectWithoutContext("ReportUeSinr", MakeCallback(&LteSlotCollector::OnSrsSinr, this));

  for (std::size_t i = 0; i < ues.size(); ++i) {
    UeState& s = m_ues[i];
    s.dev = ues[i];
    s.mobility = ues[i]->GetNode()->GetObject<MobilityModel>();
    NS_ABORT_MSG_IF(!s.mobility, "UE " << i << " has no MobilityModel: install mobility first");
    s.ulSinrDb = s.dlSinrDb = s.rsrpDbm = s.ulEstSinrDb = kNaN;

    Ptr<LteUePhy> phy = ues[i]->GetPhy();
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
              OnRsrp(i, c, r, rsrp, sinr, cc);
            }));
    phy->GetDlSpectrumPhy()->AddCtrlSinrChunkProcessor(Create<DlCtrlSinr>(&s.dlSinr));
    phy->GetUlSpectrumPhy()->TraceConnectWithoutContext(
        "TxStart", Callback<void, Ptr<const PacketBurst>>([this, i](Ptr<const PacketBurst> pb) { OnUlTxStart(i, pb); }));
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
  // LTE uplink HARQ is synchronous: a retransmission (NDI not toggled) reuses the process of
  // the TB 8 TTIs earlier, which is the entry this grant overwrites. (p.m_rv counts the UE's
  // own UL HARQ history, which ns-3 keeps only at the eNB: always 0.)
  const bool retransmission = p.m_ndi == 0;
  const std::uint8_t previousRetx = g.slot == p.m_timestamp - 8 ? g.retx : 0;
  g.slot = p.m_timestamp;  // ms = slot index of the TTI the TB will be sent in
  g.mcs = p.m_mcs;
  g.tbsBytes = p.m_size;
  g.retx = retransmission ? static_cast<std::uint8_t>(previousRetx + 1) : 0;
  g.rbStart = s.pendingRbs.empty() ? 0 : static_cast<uint16_t>(s.pendingRbs.front());
  g.rbLen = static_cast<uint16_t>(s.pendingRbs.size());
  g.data = false;  // until the UE's PHY sends a non-empty burst in that TTI (OnUlTxStart)
}

void LteSlotCollector::OnUlTxStart(std::size_t ue, Ptr<const PacketBurst> pb) {
  // With a grant and nothing to send (e.g. the RLC queue drained), the UE PHY starts a frame
  // without a burst (PUCCH only); the eNB still "decodes" the granted TB and usually fails.
  Grant& g = m_ues[ue].grants[static_cast<std::size_t>(SlotOf(Simulator::Now())) % 8];
  if (g.slot == SlotOf(Simulator::Now()) && pb && pb->GetNPackets() > 0) {
    g.data = true;
  }
}

void LteSlotCollector::OnSrsSinr(uint16_t, uint16_t rnti, double sinr, uint8_t) {
  const std::int32_t ue = m_rntiToUe[rnti];
  if (ue < 0 || !(sinr > 0) || sinr >= std::numeric_limits<double>::max()) {
    return;  // unknown UE, or a report with no RB measured (ns-3 sends DBL_MAX then)
  }
  m_ues[ue].ulEstSinr = sinr;
  m_ues[ue].ulEstNs = Simulator::Now().GetNanoSeconds();
}

void LteSlotCollector::OnUlDataSinr(const SpectrumValue& sinr) {
  const std::int64_t slot = SlotOf(Simulator::Now());
  const std::size_t nRb = sinr.GetValuesN();
  for (UeState& s : m_ues) {
    const Grant& g = s.grants[static_cast<std::size_t>(slot) % s.grants.size()];
    if (g.slot != slot || g.rbLen == 0 || !g.data) {
      continue;  // no TB, or one without data: no signal on those RBs, no channel information
    }
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t rb = g.rbStart; rb < std::size_t(g.rbStart) + g.rbLen && rb < nRb; ++rb) {
      sum += sinr[rb];
      ++n;
    }
    if (n > 0 && sum > 0) {
      s.ulSinrDb = static_cast<float>(10.0 * std::log10(sum / n));
      s.ulSinrNs = Simulator::Now().GetNanoSeconds();
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

void LteSlotCollector::OnRsrp(std::size_t ue, uint16_t, uint16_t, double rsrpW, double, uint8_t) {
  if (rsrpW > 0) {
    m_ues[ue].rsrpW = rsrpW;
  }
}

std::uint8_t LteSlotCollector::WidebandCqi(double sinr) {
  // ns-3's PiroEW2010 AMC (LteAmc::CreateCqiFeedbacks, AmcModel=PiroEW2010) for one SINR:
  // efficiency = log2(1 + SINR / Gamma), Gamma = -ln(5 BER) / 1.5 with BER = 5e-5, and the CQI is
  // the highest index of LteAmc's 36.213 Table 7.2.3-1 efficiencies below it. Precomputed here as
  // the linear SINR threshold of each CQI so a record costs 15 comparisons, no logarithm.
  static const std::array<double, 16> kThreshold = [] {
    constexpr double kEff[16] = {0.0, 0.15, 0.23, 0.38, 0.6, 0.88, 1.18, 1.48,
                                 1.91, 2.41, 2.73, 3.32, 3.9, 4.52, 5.12, 5.55};
    const double gamma = -std::log(5.0 * 0.00005) / 1.5;
    std::array<double, 16> t{};
    for (int k = 0; k < 16; ++k) {
      t[k] = gamma * (std::exp2(kEff[k]) - 1.0);
    }
    return t;
  }();
  std::uint8_t cqi = 0;
  while (cqi < 15 && kThreshold[cqi + 1] < sinr) {
    ++cqi;
  }
  return cqi;
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
    if (s.dlSinr != s.flushedDlSinr) {  // recomputed only when ns-3 reported a new SINR
      s.flushedDlSinr = s.dlSinr;
      s.dlSinrDb = static_cast<float>(10.0 * std::log10(s.dlSinr));
      s.cqi = WidebandCqi(s.dlSinr);
    }
    if (s.rsrpW != s.flushedRsrpW) {
      s.flushedRsrpW = s.rsrpW;
      s.rsrpDbm = static_cast<float>(10.0 * std::log10(s.rsrpW) + 30.0);
    }
    if (s.ulEstSinr != s.flushedUlEstSinr) {
      s.flushedUlEstSinr = s.ulEstSinr;
      s.ulEstSinrDb = static_cast<float>(10.0 * std::log10(s.ulEstSinr));
    }
    r.cqi = s.cqi;
    const Grant& g = s.grants[static_cast<std::size_t>(slot) % s.grants.size()];
    if (g.slot == slot) {
      r.ul_mcs = g.mcs;
      r.ul_rbs = g.rbLen;
      r.ul_tbs_bytes = g.tbsBytes;
      r.harq_retx = g.retx;
      r.ul_symbols = kPuschSymbols;
      if (!g.data) {
        r.harq = kHarqEmpty;
      } else {
        r.harq = s.rx.slot == slot ? (s.rx.ok ? kHarqOk : kHarqFail) : kHarqNone;
      }
    } else {
      r.ul_mcs = kNoValue;
      r.harq = kHarqNone;
    }
    r.ul_buffer_bytes = BufferBytes(s);
    r.ul_sinr_db = s.ulSinrDb;
    r.dl_sinr_db = s.dlSinrDb;
    r.rsrp_dbm = s.rsrpDbm;
    const std::int64_t slotEnd = (slot + 1) * kSlotNs;
    r.ul_sinr_age_ms = AgeMs(slotEnd, s.ulSinrNs);
    r.ul_est_sinr_db = s.ulEstSinrDb;
    r.ul_est_age_ms = AgeMs(slotEnd, s.ulEstNs);
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
