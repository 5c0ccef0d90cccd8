#include "common/slot-collector-base.h"

#include <ns3/abort.h>
#include <ns3/callback.h>
#include <ns3/object-map.h>
#include <ns3/simulator.h>

#include <cmath>

namespace layersplit {

using namespace ns3;

NS_OBJECT_ENSURE_REGISTERED(SlotCollectorBase);

TypeId SlotCollectorBase::GetTypeId() {
  static TypeId tid = TypeId("layersplit::SlotCollectorBase")
                          .SetParent<Object>()
                          .AddTraceSource("ServingCell", "A UE connected to a cell, or was handed over to one",
                                          MakeTraceSourceAccessor(&SlotCollectorBase::m_servingCellTrace),
                                          "layersplit::SlotCollectorBase::ServingCellTracedCallback");
  return tid;
}

SlotCollectorBase::SlotCollectorBase() = default;

SlotCollectorBase::~SlotCollectorBase() = default;

void SlotCollectorBase::DoDispose() {
  m_ues.clear();
  Object::DoDispose();
}

void SlotCollectorBase::StartInstall(std::size_t ueCount) {
  NS_ABORT_MSG_IF(!m_ues.empty(), GetInstanceTypeId().GetName() << "::Install called twice");
  m_ues.resize(ueCount);
}

void SlotCollectorBase::InstallUe(std::size_t ue, Ptr<Node> node, Ptr<Object> rrc) {
  UeState& s = m_ues[ue];
  s.mobility = node->GetObject<MobilityModel>();
  NS_ABORT_MSG_IF(!s.mobility, "UE " << ue << " has no MobilityModel: install mobility first");
  s.rrc = rrc;
  rrc->TraceConnectWithoutContext(
      "ConnectionEstablished",
      Callback<void, uint64_t, uint16_t, uint16_t>(
          [this, ue](uint64_t imsi, uint16_t cell, uint16_t rnti) { OnServingCell(ue, imsi, cell, rnti); }));
  // A handover gives the UE a new cell and a new RNTI there (LteUeRrc and NrUeRrc both have these).
  rrc->TraceConnectWithoutContext(
      "HandoverStart", Callback<void, uint64_t, uint16_t, uint16_t, uint16_t>(
                           [this, ue](uint64_t imsi, uint16_t cell, uint16_t, uint16_t target) {
                             OnHandoverStart(ue, imsi, cell, target);
                           }));
  rrc->TraceConnectWithoutContext(
      "HandoverEndOk",
      Callback<void, uint64_t, uint16_t, uint16_t>(
          [this, ue](uint64_t imsi, uint16_t cell, uint16_t rnti) { OnHandoverEnd(ue, imsi, cell, rnti, true); }));
  rrc->TraceConnectWithoutContext(
      "HandoverEndError",
      Callback<void, uint64_t, uint16_t, uint16_t>(
          [this, ue](uint64_t imsi, uint16_t cell, uint16_t rnti) { OnHandoverEnd(ue, imsi, cell, rnti, false); }));
  rrc->TraceConnectWithoutContext("DrbCreated", Callback<void, uint64_t, uint16_t, uint16_t, uint8_t>(
                                                    [this, ue](uint64_t imsi, uint16_t cell, uint16_t rnti,
                                                               uint8_t lcid) { OnDrbCreated(ue, imsi, cell, rnti, lcid); }));
}

void SlotCollectorBase::OnServingCell(std::size_t ue, uint64_t imsi, uint16_t cellId, uint16_t rnti) {
  UeState& s = m_ues[ue];
  const bool changed = s.cellId != cellId || s.rnti != rnti;  // DrbCreated repeats the connection's
  if (s.cellId != 0 && changed) {
    // Only if the old key is still ours: another UE may have been given it since.
    const auto it = m_cellRntiToUe.find(CellRntiKey(s.cellId, s.rnti));
    if (it != m_cellRntiToUe.end() && it->second == static_cast<std::int32_t>(ue)) {
      m_cellRntiToUe.erase(it);
    }
  }
  if (s.cellId != 0 && s.cellId != cellId) {
    ForgetUplink(ue);
  }
  s.cellId = cellId;
  s.rnti = rnti;
  s.imsi = imsi;
  m_cellRntiToUe[CellRntiKey(cellId, rnti)] = static_cast<std::int32_t>(ue);
  m_imsiToUe[imsi] = static_cast<std::int32_t>(ue);
  if (changed) {
    m_servingCellTrace(static_cast<std::uint16_t>(ue), imsi, cellId, rnti);
  }
}

void SlotCollectorBase::OnHandoverStart(std::size_t ue, uint64_t, uint16_t sourceCell, uint16_t targetCell) {
  UeState& s = m_ues[ue];
  PushHandover(ue, kEventHandoverStart, sourceCell, targetCell, s.trigger.decidedNs, s.trigger.measurements);
  s.trigger = UeState::Trigger{};
  s.handoverSource = sourceCell;
}

void SlotCollectorBase::OnHandoverEnd(std::size_t ue, uint64_t imsi, uint16_t cellId, uint16_t rnti, bool ok) {
  // LteUeRrc reports the end with the cell it is now in (after a failure, the target it could not
  // join).
  UeState& s = m_ues[ue];
  PushHandover(ue, ok ? kEventHandoverEnd : kEventHandoverFailure, s.handoverSource, cellId, -1, 0);
  s.handoverSource = 0;
  if (ok) {
    OnServingCell(ue, imsi, cellId, rnti);
  }
}

void SlotCollectorBase::PushHandover(std::size_t ue, std::uint8_t kind, std::uint16_t source, std::uint16_t target,
                                     std::int64_t decidedNs, std::uint32_t measurements) {
  if (m_sink == nullptr) {
    return;
  }
  EventRecord e{};
  e.t_send_ns = Simulator::Now().GetNanoSeconds();
  e.t_recv_ns = decidedNs;
  e.tag = m_ues[ue].imsi;
  e.packet = source;
  e.bytes = target;
  e.n_packets = measurements;
  e.ue = static_cast<std::uint16_t>(ue);
  e.direction = kUplink;
  e.kind = kind;
  m_sink->PushEvent(e);
}

void SlotCollectorBase::ForgetUplink(std::size_t ue) {
  UeState& s = m_ues[ue];
  s.ulSinrDb = s.ulEstSinrDb = kNaN;
  s.ulSinrNs = s.ulEstNs = -1;
}

void SlotCollectorBase::OnDrbCreated(std::size_t ue, uint64_t imsi, uint16_t cellId, uint16_t rnti, uint8_t) {
  OnServingCell(ue, imsi, cellId, rnti);
  // The RRC wires the new RLC to the MAC around this trace; install the probe right after.
  Simulator::ScheduleNow(&SlotCollectorBase::InstallBufferProbes, this, ue);
}

void SlotCollectorBase::InstallBufferProbes(std::size_t ue) {
  UeState& s = m_ues[ue];
  ObjectMapValue drbs;
  s.rrc->GetAttribute("DataRadioBearerMap", drbs);
  for (auto it = drbs.Begin(); it != drbs.End(); ++it) {
    Ptr<Object> rlc = BearerRlc(it->second);
    if (!rlc) {
      continue;
    }
    bool known = false;
    for (const auto& p : s.probes) {
      known = known || p.rlc == rlc;
    }
    if (!known) {
      s.probes.push_back({rlc, InterposeBufferProbe(ue, rlc)});
    }
  }
}

void SlotCollectorBase::OnCellMeasurement(std::size_t ue, std::uint16_t cellId, double rsrpDbm, double rsrqDb,
                                          bool serving) {
  UeState& s = m_ues[ue];
  if (s.cellId == 0) {  // not connected yet (searching: every cell reads as not serving)
    return;
  }
  const std::int64_t now = Simulator::Now().GetNanoSeconds();
  if (s.measurementNs != now) {  // a new period: its neighbours replace the last period's
    s.measurementNs = now;
    s.nbCellId = 0;
    s.nbRsrpDbm = s.nbRsrqDb = kNaN;
  }
  if (serving || cellId == s.cellId) {
    s.rsrqDb = static_cast<float>(rsrqDb);
  } else if (s.nbCellId == 0 || rsrpDbm > s.nbRsrpDbm) {
    s.nbCellId = cellId;
    s.nbRsrpDbm = static_cast<float>(rsrpDbm);
    s.nbRsrqDb = static_cast<float>(rsrqDb);
  }
}

float SlotCollectorBase::AgeMs(std::int64_t endNs, std::int64_t atNs) const {
  return atNs < 0 ? kNaN : static_cast<float>((endNs - atNs) / 1e6);
}

void SlotCollectorBase::Flush(Time slotStart) {
  NS_ABORT_MSG_IF(m_sink == nullptr, GetInstanceTypeId().GetName() << ": SetSink was not called");
  const std::int64_t slot = slotStart.GetNanoSeconds() / m_slotNs;
  const std::int64_t endNs = (slot + 1) * m_slotNs;
  for (std::size_t i = 0; i < m_ues.size(); ++i) {
    SlotRecord r{};
    r.t_ns = slot * m_slotNs;
    r.seq = m_seq++;
    r.ue = static_cast<std::uint16_t>(i);
    FillRadio(i, slot, r);  // first: it may refresh the dB values below
    const UeState& s = m_ues[i];
    std::uint32_t buffer = 0;
    for (const auto& p : s.probes) {
      buffer += p.probe->Bytes();
    }
    r.ul_buffer_bytes = buffer;
    r.ul_sinr_db = s.ulSinrDb;
    r.ul_sinr_age_ms = AgeMs(endNs, s.ulSinrNs);
    r.ul_est_sinr_db = s.ulEstSinrDb;
    r.ul_est_age_ms = AgeMs(endNs, s.ulEstNs);
    r.dl_sinr_db = s.dlSinrDb;
    r.rsrp_dbm = s.rsrpDbm;
    r.cell_id = s.cellId;
    r.ul_tx_power_dbm = s.txPowerDbm;
    r.rsrq_db = s.rsrqDb;
    r.nb_rsrp_dbm = s.nbRsrpDbm;
    r.nb_rsrq_db = s.nbRsrqDb;
    r.nb_cell_id = s.nbCellId;
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
