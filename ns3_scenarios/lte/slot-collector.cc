#include "slot-collector.h"

#include <ns3/boolean.h>
#include <ns3/log.h>
#include <ns3/lte-chunk-processor.h>
#include <ns3/lte-enb-phy.h>
#include <ns3/lte-enb-rrc.h>
#include <ns3/lte-handover-algorithm.h>
#include <ns3/lte-handover-management-sap.h>
#include <ns3/pointer.h>
#include <ns3/lte-mac-sap.h>
#include <ns3/lte-radio-bearer-info.h>
#include <ns3/lte-rlc.h>
#include <ns3/lte-spectrum-phy.h>
#include <ns3/lte-ue-component-carrier-manager.h>
#include <ns3/lte-ue-phy.h>
#include <ns3/lte-ue-rrc.h>
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
constexpr std::uint8_t kPuschSymbols = 14;  // an LTE PUSCH allocation spans the subframe (normal CP)

std::int64_t SlotOf(Time t) { return t.GetNanoSeconds() / kSlotNs; }

/// LTE's MAC SAP adapter of SlotCollectorBase::BufferProbe: sits between one RLC instance and the
/// UE's MAC, forwards everything and shows the probe the buffer reports and PDUs going through.
class LteBufferProbe : public SlotCollectorBase::BufferProbe, public LteMacSapProvider {
 public:
  explicit LteBufferProbe(LteMacSapProvider* real) : m_real(real) {}
  void TransmitPdu(TransmitPduParameters params) override {
    OnPdu(params.pdu->GetSize());
    m_real->TransmitPdu(params);
  }
  void ReportBufferStatus(ReportBufferStatusParameters params) override {
    OnBufferStatus(params.txQueueSize, params.retxQueueSize, params.statusPduSize);
    m_real->ReportBufferStatus(params);
  }

 private:
  LteMacSapProvider* m_real;
};
}  // namespace

/// A pass-through handover management SAP between an eNB's RRC and its handover algorithm: it
/// keeps the measurement report the algorithm is handling, and tells the collector of each handover
/// the algorithm triggers (synchronously, while handling the report that made it decide).
class LteSlotCollector::HandoverProbe : public LteHandoverManagementSapProvider, public LteHandoverManagementSapUser {
 public:
  HandoverProbe(LteSlotCollector* owner, std::uint16_t cellId, LteHandoverManagementSapProvider* algorithm,
                LteHandoverManagementSapUser* rrc)
      : m_owner(owner), m_cellId(cellId), m_algorithm(algorithm), m_rrc(rrc) {}
  void ReportUeMeas(uint16_t rnti, LteRrcSap::MeasResults measResults) override {
    m_report = measResults;
    m_algorithm->ReportUeMeas(rnti, measResults);
    m_report = LteRrcSap::MeasResults{};
  }
  std::vector<uint8_t> AddUeMeasReportConfigForHandover(LteRrcSap::ReportConfigEutra config) override {
    return m_rrc->AddUeMeasReportConfigForHandover(config);
  }
  void TriggerHandover(uint16_t rnti, uint16_t targetCellId) override {
    m_owner->OnHandoverDecision(m_cellId, rnti, targetCellId, m_report);
    m_rrc->TriggerHandover(rnti, targetCellId);
  }

 private:
  LteSlotCollector* m_owner;
  std::uint16_t m_cellId;
  LteHandoverManagementSapProvider* m_algorithm;
  LteHandoverManagementSapUser* m_rrc;
  LteRrcSap::MeasResults m_report{};  // while the algorithm handles it; empty (no neighbours) otherwise
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
  double* m_out;  // LteUe::dlSinr (m_lte is sized once, in Install)
  double m_sum = 0;
  double m_ns = 0;
};

TypeId LteSlotCollector::GetTypeId() {
  static TypeId tid =
      TypeId("layersplit::LteSlotCollector")
          .SetParent<SlotCollectorBase>()
          .AddConstructor<LteSlotCollector>()
          .AddAttribute("SelfClock",
                        "If true the collector schedules its own Flush at every 1 ms slot "
                        "boundary; if false the owner calls Flush(slotStart) itself.",
                        BooleanValue(true), MakeBooleanAccessor(&LteSlotCollector::m_selfClock),
                        MakeBooleanChecker());
  return tid;
}

LteSlotCollector::LteSlotCollector() = default;

LteSlotCollector::~LteSlotCollector() = default;

void LteSlotCollector::DoDispose() {
  m_lte.clear();
  SlotCollectorBase::DoDispose();
}

void LteSlotCollector::Install(const std::vector<Ptr<LteEnbNetDevice>>& enbs,
                               const std::vector<Ptr<LteUeNetDevice>>& ues) {
  NS_ABORT_MSG_IF(enbs.empty(), "LteSlotCollector::Install: no eNB given");
  StartInstall(ues.size());
  m_lte.resize(ues.size());
  for (const auto& enb : enbs) {
    NS_ABORT_MSG_IF(!enb, "LteSlotCollector::Install: a null eNB device");
    InstallEnb(enb);
  }

  for (std::size_t i = 0; i < ues.size(); ++i) {
    InstallUe(i, ues[i]->GetNode(), ues[i]->GetRrc());
    m_lte[i].dev = ues[i];

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
    phy->TraceConnectWithoutContext(
        "ReportUeMeasurements",
        Callback<void, uint16_t, uint16_t, double, double, bool, uint8_t>(
            [this, i](uint16_t, uint16_t cellId, double rsrp, double rsrq, bool serving, uint8_t) {
              OnCellMeasurement(i, cellId, rsrp, rsrq, serving);
            }));
    phy->GetDlSpectrumPhy()->AddCtrlSinrChunkProcessor(Create<DlCtrlSinr>(&m_lte[i].dlSinr));
    phy->GetUlSpectrumPhy()->TraceConnectWithoutContext(
        "TxStart", Callback<void, Ptr<const PacketBurst>>([this, i](Ptr<const PacketBurst> pb) { OnUlTxStart(i, pb); }));
  }
}

void LteSlotCollector::InstallEnb(Ptr<LteEnbNetDevice> enb) {
  // The cell id of the eNB's (single) carrier: what its UEs' RRC traces name as their cell.
  const std::uint16_t cellId = enb->GetCellId();
  Ptr<LteSpectrumPhy> enbUl = enb->GetPhy()->GetUlSpectrumPhy();
  auto ulSinr = Create<LteChunkProcessor>();
  ulSinr->AddCallback(Callback<void, const SpectrumValue&>(
      [this, cellId](const SpectrumValue& sinr) { OnUlDataSinr(cellId, sinr); }));
  enbUl->AddDataSinrChunkProcessor(ulSinr);
  enbUl->TraceConnectWithoutContext("UlPhyReception",
                                    MakeCallback(&LteSlotCollector::OnUlPhyReception, this));
  // Every SRS the eNB receives, not every n-th: the fresh uplink estimate of each record.
  enb->GetPhy()->SetAttribute("UeSinrSamplePeriod", UintegerValue(1));
  enb->GetPhy()->TraceConnectWithoutContext("ReportUeSinr", MakeCallback(&LteSlotCollector::OnSrsSinr, this));
  InstallHandoverProbe(enb);
}

void LteSlotCollector::InstallHandoverProbe(Ptr<LteEnbNetDevice> enb) {
  PointerValue algorithm;
  enb->GetAttribute("LteHandoverAlgorithm", algorithm);
  Ptr<LteHandoverAlgorithm> a = algorithm.Get<LteHandoverAlgorithm>();
  if (!a) {
    return;
  }
  Ptr<LteEnbRrc> rrc = enb->GetRrc();
  auto probe = std::make_unique<HandoverProbe>(this, enb->GetCellId(), a->GetLteHandoverManagementSapProvider(),
                                               rrc->GetLteHandoverManagementSapUser());
  rrc->SetLteHandoverManagementSapProvider(probe.get());
  a->SetLteHandoverManagementSapUser(probe.get());
  m_handoverProbes.push_back(std::move(probe));
}

void LteSlotCollector::OnHandoverDecision(uint16_t cellId, uint16_t rnti, uint16_t targetCell,
                                          const LteRrcSap::MeasResults& report) {
  const std::int32_t ue = UeOfRnti(cellId, rnti);
  if (ue < 0) {
    return;
  }
  // One byte each: source RSRP, target RSRP, source RSRQ, target RSRQ (records.hpp); 255 = none.
  std::uint32_t rsrp = 255, rsrq = 255;
  for (const auto& n : report.measResultListEutra) {
    if (n.physCellId == targetCell) {
      rsrp = n.haveRsrpResult ? n.rsrpResult : 255;
      rsrq = n.haveRsrqResult ? n.rsrqResult : 255;
    }
  }
  const auto& pcell = report.measResultPCell;
  m_ues[ue].trigger = {Simulator::Now().GetNanoSeconds(),
                       std::uint32_t(pcell.rsrpResult) | rsrp << 8 | std::uint32_t(pcell.rsrqResult) << 16 | rsrq << 24};
}

void LteSlotCollector::ForgetUplink(std::size_t ue) {
  SlotCollectorBase::ForgetUplink(ue);
  m_lte[ue].ulEstSinr = m_lte[ue].flushedUlEstSinr = 0;  // the next SRS sets ul_est_sinr_db again
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

Ptr<Object> LteSlotCollector::BearerRlc(Ptr<Object> bearer) const {
  Ptr<LteDataRadioBearerInfo> drb = bearer->GetObject<LteDataRadioBearerInfo>();
  return drb ? drb->m_rlc : nullptr;
}

std::unique_ptr<SlotCollectorBase::BufferProbe> LteSlotCollector::InterposeBufferProbe(std::size_t ue,
                                                                                        Ptr<Object> rlc) {
  auto probe = std::make_unique<LteBufferProbe>(m_lte[ue].dev->GetComponentCarrierManager()->GetLteMacSapProvider());
  DynamicCast<LteRlc>(rlc)->SetLteMacSapProvider(probe.get());
  return probe;
}

// LTE's ages have always been computed in single precision (the nanoseconds rounded to float
// first); the base's double arithmetic can differ in the last bit, so LTE keeps its own and its
// traces stay the same.
float LteSlotCollector::AgeMs(std::int64_t endNs, std::int64_t atNs) const {
  return atNs < 0 ? kNaN : static_cast<float>(endNs - atNs) / 1e6f;
}

void LteSlotCollector::OnUlRbs(std::size_t ue, uint16_t, const std::vector<int>& rbs) {
  m_lte[ue].pendingRbs = rbs;
}

void LteSlotCollector::OnUlGrant(std::size_t ue, PhyTransmissionStatParameters p) {
  LteUe& s = m_lte[ue];
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
  Grant& g = m_lte[ue].grants[static_cast<std::size_t>(SlotOf(Simulator::Now())) % 8];
  if (g.slot == SlotOf(Simulator::Now()) && pb && pb->GetNPackets() > 0) {
    g.data = true;
    // LteUePhy sets its power for the PUSCH just before sending it: the power control's (its
    // "ReportPuschTxPower"), or TxPower when uplink power control is off. It reaches the records
    // with this TTI's (FillRadio): this TxStart can come before the previous TTI's flush.
    g.txPowerDbm = static_cast<float>(m_lte[ue].dev->GetPhy()->GetTxPower());
  }
}

void LteSlotCollector::OnSrsSinr(uint16_t cellId, uint16_t rnti, double sinr, uint8_t) {
  const std::int32_t ue = UeOfRnti(cellId, rnti);
  if (ue < 0 || !(sinr > 0) || sinr >= std::numeric_limits<double>::max()) {
    return;  // unknown UE, or a report with no RB measured (ns-3 sends DBL_MAX then)
  }
  m_lte[ue].ulEstSinr = sinr;  // in dB at Flush
  m_ues[ue].ulEstNs = Simulator::Now().GetNanoSeconds();
}

void LteSlotCollector::OnUlDataSinr(std::uint16_t cellId, const SpectrumValue& sinr) {
  const std::int64_t slot = SlotOf(Simulator::Now());
  const std::size_t nRb = sinr.GetValuesN();
  for (std::size_t ue = 0; ue < m_lte.size(); ++ue) {
    if (m_ues[ue].cellId != cellId) {
      continue;  // granted by another cell: these RBs at this eNB carry interference, not its TB
    }
    const Grant& g = m_lte[ue].grants[static_cast<std::size_t>(slot) % m_lte[ue].grants.size()];
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
      m_ues[ue].ulSinrDb = static_cast<float>(10.0 * std::log10(sum / n));
      m_ues[ue].ulSinrNs = Simulator::Now().GetNanoSeconds();
    }
  }
}

void LteSlotCollector::OnUlPhyReception(PhyReceptionStatParameters p) {
  const std::int32_t ue = UeOfRnti(p.m_cellId, p.m_rnti);
  if (ue < 0) {
    return;
  }
  Reception& rx = m_lte[ue].rx;
  rx.slot = SlotOf(Simulator::Now());
  rx.ok = p.m_correctness != 0;
}

void LteSlotCollector::OnRsrp(std::size_t ue, uint16_t, uint16_t, double rsrpW, double, uint8_t) {
  if (rsrpW > 0) {
    m_lte[ue].rsrpW = rsrpW;
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

void LteSlotCollector::FillRadio(std::size_t ue, std::int64_t slot, SlotRecord& r) {
  LteUe& s = m_lte[ue];
  UeState& u = m_ues[ue];
  if (s.dlSinr != s.flushedDlSinr) {  // recomputed only when ns-3 reported a new SINR
    s.flushedDlSinr = s.dlSinr;
    u.dlSinrDb = static_cast<float>(10.0 * std::log10(s.dlSinr));
    s.cqi = WidebandCqi(s.dlSinr);
  }
  if (s.rsrpW != s.flushedRsrpW) {
    s.flushedRsrpW = s.rsrpW;
    u.rsrpDbm = static_cast<float>(10.0 * std::log10(s.rsrpW) + 30.0);
  }
  if (s.ulEstSinr != s.flushedUlEstSinr) {
    s.flushedUlEstSinr = s.ulEstSinr;
    u.ulEstSinrDb = static_cast<float>(10.0 * std::log10(s.ulEstSinr));
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
      u.txPowerDbm = g.txPowerDbm;  // before the base copies it into the record
      r.harq = s.rx.slot == slot ? (s.rx.ok ? kHarqOk : kHarqFail) : kHarqNone;
    }
  } else {
    r.ul_mcs = kNoValue;
    r.harq = kHarqNone;
  }
}

}  // namespace layersplit
