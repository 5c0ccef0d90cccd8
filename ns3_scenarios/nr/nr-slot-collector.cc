#include "nr-slot-collector.h"

#include <ns3/log.h>
#include <ns3/nr-amc.h>
#include <ns3/nr-chunk-processor.h>
#include <ns3/nr-lte-mi-error-model.h>
#include <ns3/type-id.h>
#include <ns3/node.h>
#include <ns3/nr-gnb-mac.h>
#include <ns3/nr-gnb-phy.h>
#include <ns3/nr-mac-sap.h>
#include <ns3/nr-radio-bearer-info.h>
#include <ns3/nr-rlc.h>
#include <ns3/nr-spectrum-phy.h>
#include <ns3/nr-ue-phy.h>
#include <ns3/nr-ue-rrc.h>
#include <ns3/bwp-manager-ue.h>
#include <ns3/object-map.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace layersplit {

using namespace ns3;

NS_LOG_COMPONENT_DEFINE("LayersplitNrSlotCollector");
NS_OBJECT_ENSURE_REGISTERED(NrSlotCollector);

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kCqiMinDb = -10.0;  // CQI table: -10 .. +45 dB in 0.25 dB steps
constexpr std::size_t kCqiSteps = 221;

float Db(double linear) { return linear > 0 ? static_cast<float>(10.0 * std::log10(linear)) : kNaN; }

// Received power of one resource element of the reference signal, mean over the RBs (TS 38.215
// RSRP, as NrUePhy::ReceivePss computes it): PSD (W/Hz) x subcarrier spacing, in dBm.
float RsrpDbm(const SpectrumValue& psd, double scs) {
  const std::size_t n = psd.GetValuesN();
  double sum = 0;
  for (auto it = psd.ConstValuesBegin(); it != psd.ConstValuesEnd(); ++it) {
    sum += *it;
  }
  return n > 0 && sum > 0 ? static_cast<float>(10.0 * std::log10(1000.0 * scs * sum / n)) : kNaN;
}
}  // namespace

/// Pass-through MAC SAP between one RLC instance and the UE's MAC that tracks the RLC queue: the
/// latest buffer status report, less the bytes of the PDUs passed down since.
class NrSlotCollector::BufferProbe : public NrMacSapProvider {
 public:
  BufferProbe(Ptr<NrRlc> rlc, NrMacSapProvider* real) : rlc(rlc), real(real) {}
  void TransmitPdu(TransmitPduParameters params) override {
    const std::uint32_t sdu = params.pdu->GetSize() > 2 ? params.pdu->GetSize() - 2 : 0;
    bytes = bytes > sdu ? bytes - sdu : 0;
    real->TransmitPdu(params);
  }
  void BufferStatusReport(BufferStatusReportParameters params) override {
    bytes = params.txQueueSize + params.retxQueueSize + params.statusPduSize;
    real->BufferStatusReport(params);
  }
  Ptr<NrRlc> rlc;
  NrMacSapProvider* real;
  std::uint32_t bytes = 0;
};

TypeId NrSlotCollector::GetTypeId() {
  static TypeId tid =
      TypeId("layersplit::NrSlotCollector")
          .SetParent<Object>()
          .AddConstructor<NrSlotCollector>()
          .AddAttribute("CqiErrorModel",
                        "Error model whose MCS table the CQI refers to: the one the script gives "
                        "NrHelper::SetDlErrorModel (5G-LENA's default: NrLteMiErrorModel). Set before Install.",
                        TypeIdValue(NrLteMiErrorModel::GetTypeId()),
                        MakeTypeIdAccessor(&NrSlotCollector::m_cqiErrorModel), MakeTypeIdChecker());
  return tid;
}

NrSlotCollector::NrSlotCollector() : m_rntiToUe(65536, -1) {}
NrSlotCollector::~NrSlotCollector() = default;

void NrSlotCollector::DoDispose() {
  m_ues.clear();
  Object::DoDispose();
}

void NrSlotCollector::Install(Ptr<NrGnbNetDevice> gnb, const std::vector<Ptr<NrUeNetDevice>>& ues) {
  NS_ABORT_MSG_IF(!m_ues.empty(), "NrSlotCollector::Install called twice");
  Ptr<NrGnbPhy> gnbPhy = gnb->GetPhy(0);
  m_slotNs = gnbPhy->GetSlotPeriod().GetNanoSeconds();
  m_slotsPerSubframe = 1 << gnbPhy->GetNumerology();
  Ptr<NrSpectrumPhy> gnbSpectrum = gnbPhy->GetSpectrumPhy();
  gnbSpectrum->TraceConnectWithoutContext("RxPacketTraceGnb", MakeCallback(&NrSlotCollector::OnUlRx, this));
  gnbSpectrum->AddSrsSinrReportCallback(MakeCallback(&NrSlotCollector::OnSrsSinr, this));
  gnb->GetMac(0)->TraceConnectWithoutContext("UlScheduling", MakeCallback(&NrSlotCollector::OnUlGrant, this));

  m_ues.resize(ues.size());
  if (!ues.empty()) {
    BuildCqiTable(ues[0]->GetPhy(0)->GetSpectrumPhy());
  }
  for (std::size_t i = 0; i < ues.size(); ++i) {
    UeState& s = m_ues[i];
    s.dev = ues[i];
    s.mobility = ues[i]->GetNode()->GetObject<MobilityModel>();
    NS_ABORT_MSG_IF(!s.mobility, "UE " << i << " has no MobilityModel: install mobility first");
    s.ulSinrDb = s.ulEstSinrDb = s.dlSinrDb = s.rsrpDbm = kNaN;
    Ptr<NrUePhy> phy = ues[i]->GetPhy(0);
    phy->TraceConnectWithoutContext("DlCtrlSinr", Callback<void, uint16_t, uint16_t, double, uint16_t>(
                                                      [this, i](uint16_t, uint16_t, double sinr, uint16_t) {
                                                        m_ues[i].dlSinrDb = Db(sinr);
                                                      }));
    // RSRP of each control reception: NrUePhy's own "ReportRsrp" averages over a uint8_t sample
    // count, which wraps beyond 255 samples per 200 ms filter period (numerology >= 1).
    auto rs = Create<NrChunkProcessor>();
    const double scs = 15000.0 * (1 << phy->GetNumerology());
    rs->AddCallback(Callback<void, const SpectrumValue&>([this, i, scs](const SpectrumValue& psd) {
      m_ues[i].rsrpDbm = RsrpDbm(psd, scs);
    }));
    phy->GetSpectrumPhy()->AddRsPowerChunkProcessor(rs);
    Ptr<NrUeRrc> rrc = ues[i]->GetRrc();
    rrc->TraceConnectWithoutContext("ConnectionEstablished",
                                    Callback<void, uint64_t, uint16_t, uint16_t>(
                                        [this, i](uint64_t imsi, uint16_t cell, uint16_t rnti) {
                                          OnRrcConnected(i, imsi, cell, rnti);
                                        }));
    rrc->TraceConnectWithoutContext("DrbCreated", Callback<void, uint64_t, uint16_t, uint16_t, uint8_t>(
                                                      [this, i](uint64_t imsi, uint16_t cell, uint16_t rnti,
                                                                uint8_t lcid) { OnDrbCreated(i, imsi, cell, rnti, lcid); }));
  }
}

std::int64_t NrSlotCollector::SlotOfNow() const { return Simulator::Now().GetNanoSeconds() / m_slotNs; }

std::int64_t NrSlotCollector::SlotOfSfn(std::uint32_t frame, std::uint32_t subframe, std::uint32_t slot) const {
  // 5G-LENA counts frames from 0 at t = 0; the traces give the frame as 16 bits (wraps at 655 s):
  // unwrap against the current slot, which a grant precedes by a few slots only.
  const std::int64_t perFrame = 10 * m_slotsPerSubframe;
  const std::int64_t wrap = 65536 * perFrame;
  const std::int64_t s = (static_cast<std::int64_t>(frame) * 10 + subframe) * m_slotsPerSubframe + slot;
  const std::int64_t now = SlotOfNow();
  return s + ((now - s + wrap / 2) / wrap) * wrap;
}

NrSlotCollector::UeState* NrSlotCollector::UeOfRnti(uint16_t rnti) {
  const std::int32_t ue = m_rntiToUe[rnti];
  return ue < 0 ? nullptr : &m_ues[static_cast<std::size_t>(ue)];
}

void NrSlotCollector::OnUlGrant(::NrSchedulingCallbackInfo info) {
  UeState* s = UeOfRnti(info.m_rnti);
  if (!s) {
    return;
  }
  const std::int64_t slot = SlotOfSfn(info.m_frameNum, info.m_subframeNum, info.m_slotNum);
  NS_LOG_DEBUG("UL grant rnti " << info.m_rnti << " for slot " << slot << " (now " << SlotOfNow() << "), TBS "
                                << info.m_tbSize);
  Tb& g = s->grants[static_cast<std::size_t>(slot) % kRing];
  g = Tb{};
  g.slot = slot;
  g.mcs = info.m_mcs;
  g.rv = info.m_rv;
  g.symbols = info.m_numSym;
  g.tbsBytes = info.m_tbSize;
}

void NrSlotCollector::OnUlRx(RxPacketTraceParams p) {
  UeState* s = UeOfRnti(p.m_rnti);
  if (!s) {
    return;
  }
  Tb& tb = s->rx;
  tb.slot = SlotOfNow();
  NS_LOG_DEBUG("UL TB rnti " << p.m_rnti << " in slot " << tb.slot << ", TBS " << p.m_tbSize);
  tb.mcs = p.m_mcs;
  tb.rv = p.m_rv;
  tb.symbols = p.m_numSym;
  tb.rbs = static_cast<std::uint16_t>(p.m_rbAssignedNum);
  tb.tbsBytes = p.m_tbSize;
  tb.corrupt = p.m_corrupt;
  s->ulSinrDb = Db(p.m_sinr);
  s->ulSinrNs = Simulator::Now().GetNanoSeconds();
}

void NrSlotCollector::OnSrsSinr(uint16_t, uint16_t rnti, double sinr) {
  UeState* s = UeOfRnti(rnti);
  if (!s || !(sinr > 0) || !std::isfinite(sinr)) {
    return;
  }
  s->ulEstSinrDb = Db(sinr);
  s->ulEstNs = Simulator::Now().GetNanoSeconds();
}

void NrSlotCollector::OnRrcConnected(std::size_t ue, uint64_t, uint16_t, uint16_t rnti) {
  m_rntiToUe[rnti] = static_cast<std::int32_t>(ue);
}

void NrSlotCollector::OnDrbCreated(std::size_t ue, uint64_t, uint16_t, uint16_t rnti, uint8_t) {
  m_rntiToUe[rnti] = static_cast<std::int32_t>(ue);
  // The RRC wires the new RLC to the MAC around this trace; install the probe right after.
  Simulator::ScheduleNow(&NrSlotCollector::InstallBufferProbes, this, ue);
}

void NrSlotCollector::InstallBufferProbes(std::size_t ue) {
  UeState& s = m_ues[ue];
  ObjectMapValue drbs;
  s.dev->GetRrc()->GetAttribute("DataRadioBearerMap", drbs);
  NrMacSapProvider* real = s.dev->GetBwpManager()->GetNrMacSapProvider();
  for (auto it = drbs.Begin(); it != drbs.End(); ++it) {
    Ptr<NrDataRadioBearerInfo> drb = it->second->GetObject<NrDataRadioBearerInfo>();
    if (!drb || !drb->m_rlc) {
      continue;
    }
    bool known = false;
    for (const auto& p : s.probes) {
      known = known || p->rlc == drb->m_rlc;
    }
    if (!known) {
      s.probes.push_back(std::make_shared<BufferProbe>(drb->m_rlc, real));
      drb->m_rlc->SetNrMacSapProvider(s.probes.back().get());
    }
  }
}

void NrSlotCollector::BuildCqiTable(Ptr<NrSpectrumPhy> uePhy) {
  auto amc = CreateObject<NrAmc>();
  amc->SetAttribute("ErrorModelType", TypeIdValue(m_cqiErrorModel));
  SpectrumValue sinr(uePhy->GetRxSpectrumModel());
  m_cqiTable.resize(kCqiSteps);
  for (std::size_t k = 0; k < kCqiSteps; ++k) {
    sinr = std::pow(10.0, (kCqiMinDb + k / 4.0) / 10.0);
    uint8_t mcs = 0;
    m_cqiTable[k] = amc->CreateCqiFeedbackSiso(sinr, mcs);
  }
}

std::uint8_t NrSlotCollector::Cqi(float sinrDb) const {
  if (std::isnan(sinrDb) || m_cqiTable.empty()) {
    return kNoValue;
  }
  const double k = std::floor((sinrDb - kCqiMinDb) * 4.0);  // the step at or below: never optimistic
  return m_cqiTable[static_cast<std::size_t>(std::clamp(k, 0.0, double(kCqiSteps - 1)))];
}

void NrSlotCollector::FillUplink(const UeState& s, std::int64_t slot, SlotRecord& r) const {
  const Tb& g = s.grants[static_cast<std::size_t>(slot) % kRing];
  const Tb* tb = nullptr;
  if (s.rx.slot == slot) {
    tb = &s.rx;
    r.harq = tb->corrupt ? kHarqFail : kHarqOk;
  } else if (g.slot == slot) {
    tb = &g;
    r.harq = kHarqEmpty;
  } else {
    r.ul_mcs = kNoValue;
    r.harq = kHarqNone;
    return;
  }
  r.ul_mcs = tb->mcs;
  r.harq_retx = tb->rv;
  r.ul_rbs = tb->rbs;
  r.ul_tbs_bytes = tb->tbsBytes;
  r.ul_symbols = tb->symbols;
}

void NrSlotCollector::Flush(Time slotStart) {
  NS_ABORT_MSG_IF(m_sink == nullptr, "NrSlotCollector: SetSink was not called");
  const std::int64_t slot = slotStart.GetNanoSeconds() / m_slotNs;
  const std::int64_t endNs = (slot + 1) * m_slotNs;
  auto ageMs = [endNs](std::int64_t ns) { return ns < 0 ? kNaN : static_cast<float>((endNs - ns) / 1e6); };
  for (std::size_t i = 0; i < m_ues.size(); ++i) {
    UeState& s = m_ues[i];
    SlotRecord r{};
    r.t_ns = slot * m_slotNs;
    r.seq = m_seq++;
    r.ue = static_cast<std::uint16_t>(i);
    r.cqi = Cqi(s.dlSinrDb);
    FillUplink(s, slot, r);
    std::uint32_t buffer = 0;
    for (const auto& p : s.probes) {
      buffer += p->bytes;
    }
    r.ul_buffer_bytes = buffer;
    r.ul_sinr_db = s.ulSinrDb;
    r.ul_sinr_age_ms = ageMs(s.ulSinrNs);
    r.ul_est_sinr_db = s.ulEstSinrDb;
    r.ul_est_age_ms = ageMs(s.ulEstNs);
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
