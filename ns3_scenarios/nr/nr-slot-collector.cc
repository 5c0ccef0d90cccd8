#include "nr-slot-collector.h"

#include <ns3/log.h>
#include <ns3/nr-amc.h>
#include <ns3/nr-chunk-processor.h>
#include <ns3/nr-lte-mi-error-model.h>
#include <ns3/type-id.h>
#include <ns3/nr-gnb-mac.h>
#include <ns3/nr-gnb-phy.h>
#include <ns3/nr-mac-sap.h>
#include <ns3/nr-radio-bearer-info.h>
#include <ns3/nr-rlc.h>
#include <ns3/nr-spectrum-phy.h>
#include <ns3/nr-ue-phy.h>
#include <ns3/nr-ue-rrc.h>
#include <ns3/bwp-manager-ue.h>
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

/// NR's MAC SAP adapter of SlotCollectorBase::BufferProbe: sits between one RLC instance and the
/// UE's MAC, forwards everything and shows the probe the buffer reports and PDUs going through.
class NrBufferProbe : public SlotCollectorBase::BufferProbe, public NrMacSapProvider {
 public:
  explicit NrBufferProbe(NrMacSapProvider* real) : m_real(real) {}
  void TransmitPdu(TransmitPduParameters params) override {
    OnPdu(params.pdu->GetSize());
    m_real->TransmitPdu(params);
  }
  void BufferStatusReport(BufferStatusReportParameters params) override {
    OnBufferStatus(params.txQueueSize, params.retxQueueSize, params.statusPduSize);
    m_real->BufferStatusReport(params);
  }

 private:
  NrMacSapProvider* m_real;
};
}  // namespace

TypeId NrSlotCollector::GetTypeId() {
  static TypeId tid =
      TypeId("layersplit::NrSlotCollector")
          .SetParent<SlotCollectorBase>()
          .AddConstructor<NrSlotCollector>()
          .AddAttribute("CqiErrorModel",
                        "Error model whose MCS table the CQI refers to: the one the script gives "
                        "NrHelper::SetDlErrorModel (5G-LENA's default: NrLteMiErrorModel). Set before Install.",
                        TypeIdValue(NrLteMiErrorModel::GetTypeId()),
                        MakeTypeIdAccessor(&NrSlotCollector::m_cqiErrorModel), MakeTypeIdChecker());
  return tid;
}

NrSlotCollector::NrSlotCollector() = default;
NrSlotCollector::~NrSlotCollector() = default;

void NrSlotCollector::DoDispose() {
  m_nr.clear();
  SlotCollectorBase::DoDispose();
}

void NrSlotCollector::Install(Ptr<NrGnbNetDevice> gnb, const std::vector<Ptr<NrUeNetDevice>>& ues) {
  StartInstall(ues.size());
  m_nr.resize(ues.size());
  // RNTIs are per cell: the one gNB's reports name its UEs by (its cell id, RNTI).
  m_cellId = gnb->GetCellId();
  Ptr<NrGnbPhy> gnbPhy = gnb->GetPhy(0);
  m_slotNs = gnbPhy->GetSlotPeriod().GetNanoSeconds();
  m_slotsPerSubframe = 1 << gnbPhy->GetNumerology();
  Ptr<NrSpectrumPhy> gnbSpectrum = gnbPhy->GetSpectrumPhy();
  gnbSpectrum->TraceConnectWithoutContext("RxPacketTraceGnb", MakeCallback(&NrSlotCollector::OnUlRx, this));
  gnbSpectrum->AddSrsSinrReportCallback(MakeCallback(&NrSlotCollector::OnSrsSinr, this));
  gnb->GetMac(0)->TraceConnectWithoutContext("UlScheduling", MakeCallback(&NrSlotCollector::OnUlGrant, this));

  if (!ues.empty()) {
    BuildCqiTable(ues[0]->GetPhy(0)->GetSpectrumPhy());
  }
  for (std::size_t i = 0; i < ues.size(); ++i) {
    InstallUe(i, ues[i]->GetNode(), ues[i]->GetRrc());
    m_nr[i].dev = ues[i];
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

void NrSlotCollector::OnUlGrant(::NrSchedulingCallbackInfo info) {
  const std::int32_t ue = UeOfRnti(m_cellId, info.m_rnti);
  if (ue < 0) {
    return;
  }
  const std::int64_t slot = SlotOfSfn(info.m_frameNum, info.m_subframeNum, info.m_slotNum);
  NS_LOG_DEBUG("UL grant rnti " << info.m_rnti << " for slot " << slot << " (now " << SlotOfNow() << "), TBS "
                                << info.m_tbSize);
  Tb& g = m_nr[ue].grants[static_cast<std::size_t>(slot) % kRing];
  g = Tb{};
  g.slot = slot;
  g.mcs = info.m_mcs;
  g.rv = info.m_rv;
  g.symbols = info.m_numSym;
  g.tbsBytes = info.m_tbSize;
}

void NrSlotCollector::OnUlRx(RxPacketTraceParams p) {
  const std::int32_t ue = UeOfRnti(m_cellId, p.m_rnti);
  if (ue < 0) {
    return;
  }
  Tb& tb = m_nr[ue].rx;
  tb.slot = SlotOfNow();
  NS_LOG_DEBUG("UL TB rnti " << p.m_rnti << " in slot " << tb.slot << ", TBS " << p.m_tbSize);
  tb.mcs = p.m_mcs;
  tb.rv = p.m_rv;
  tb.symbols = p.m_numSym;
  tb.rbs = static_cast<std::uint16_t>(p.m_rbAssignedNum);
  tb.tbsBytes = p.m_tbSize;
  tb.corrupt = p.m_corrupt;
  m_ues[ue].ulSinrDb = Db(p.m_sinr);
  m_ues[ue].ulSinrNs = Simulator::Now().GetNanoSeconds();
  // The UE PHY's power (5G-LENA's uplink power control is off unless enabled: then it is TxPower).
  m_ues[ue].txPowerDbm = static_cast<float>(m_nr[ue].dev->GetPhy(0)->GetTxPower());
}

void NrSlotCollector::OnSrsSinr(uint16_t, uint16_t rnti, double sinr) {
  const std::int32_t ue = UeOfRnti(m_cellId, rnti);
  if (ue < 0 || !(sinr > 0) || !std::isfinite(sinr)) {
    return;
  }
  m_ues[ue].ulEstSinrDb = Db(sinr);
  m_ues[ue].ulEstNs = Simulator::Now().GetNanoSeconds();
}

Ptr<Object> NrSlotCollector::BearerRlc(Ptr<Object> bearer) const {
  Ptr<NrDataRadioBearerInfo> drb = bearer->GetObject<NrDataRadioBearerInfo>();
  return drb ? drb->m_rlc : nullptr;
}

std::unique_ptr<SlotCollectorBase::BufferProbe> NrSlotCollector::InterposeBufferProbe(std::size_t ue,
                                                                                       Ptr<Object> rlc) {
  auto probe = std::make_unique<NrBufferProbe>(m_nr[ue].dev->GetBwpManager()->GetNrMacSapProvider());
  DynamicCast<NrRlc>(rlc)->SetNrMacSapProvider(probe.get());
  return probe;
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

void NrSlotCollector::FillRadio(std::size_t ue, std::int64_t slot, SlotRecord& r) {
  r.cqi = Cqi(m_ues[ue].dlSinrDb);
  const NrUe& s = m_nr[ue];
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

}  // namespace layersplit
