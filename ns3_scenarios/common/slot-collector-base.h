// SlotCollectorBase: the radio-neutral half of a slot collector (LteSlotCollector in lte/,
// NrSlotCollector in nr/). It keeps one state per UE, maps RNTIs to UEs, measures each UE's uplink
// buffer and builds and emits the records; a radio adds only the hooks on its own trace sources and
// the fields they fill (see its header for where each field comes from in that radio).
//
// Fields filled here, the same way for every radio:
//   t_ns, seq, ue    the slot's start, the collector-wide record count, the UE's index (its position
//                    in the radio's Install list).
//   ul_buffer_bytes  RLC tx + retx + status bytes of the UE's data radio bearers: the RLC's latest
//                    buffer status report minus the PDU bytes handed to the MAC since (what LteUeMac
//                    itself does), seen by a pass-through MAC SAP provider (BufferProbe) installed
//                    between each DRB's RLC and the UE MAC when the DRB is created. The radio
//                    supplies that SAP adapter (InterposeBufferProbe): ns-3's LteMacSapProvider and
//                    5G-LENA's forked NrMacSapProvider are unrelated types with different method
//                    names, so only the accounting below is shared.
//   ul_sinr_db, ul_est_sinr_db, dl_sinr_db, rsrp_dbm
//                    copied from the UE's state, where the radio keeps them in dB (NaN until the
//                    first measurement): its hooks write them, or its FillRadio, which runs first
//                    (LTE converts there, and only when ns-3 reported a new value).
//   ul_tx_power_dbm  copied from the UE's state like the above (NaN until the radio reports one).
//   rsrq_db, nb_rsrp_dbm, nb_rsrq_db, nb_cell_id
//                    from the UE's layer-1 measurement periods, which the radio passes to
//                    OnCellMeasurement (one call per measured cell, all of a period at one instant):
//                    the serving cell's RSRQ, and the strongest other cell of the latest period
//                    (none: NaN, NaN, 0). Carried over between periods. Periods before the UE
//                    connected are skipped: while it searches, no cell is its serving one.
//   ul_sinr_age_ms, ul_est_age_ms
//                    ages at the slot's end of ul_sinr_db and ul_est_sinr_db, from the times the
//                    radio stored beside them (NaN before the first).
//   x, y, z, speed   the UE's MobilityModel, read when the record is built (at the slot's end).
//   cell_id          the UE's serving cell (ns-3 cell id) from its RRC's traces below; 0 before the
//                    UE first connected. At a handover it becomes the target cell when the UE gets
//                    the command (its RRC then re-creates its bearers for the target, "DrbCreated"),
//                    before its access there completes.
// At a change of serving cell the uplink measurements (ul_sinr_db, ul_est_sinr_db and their ages)
// restart from NaN: they were the old cell's receiver's, and the new cell has not measured yet.
//
// Handover events (records.hpp, kEventHandover*) go to the sink beside the packet events, from the
// UE RRC's "HandoverStart", "HandoverEndOk" and "HandoverEndError" traces; the radio adds to a
// start what the source cell decided it on (UeState::trigger).
// The radio fills the rest in FillRadio: cqi and the uplink TB fields (ul_mcs, ul_tbs_bytes, ul_rbs,
// ul_symbols, harq, harq_retx).
//
// (cell id, RNTI) -> UE comes from each UE RRC's "ConnectionEstablished", "DrbCreated" and
// "HandoverEndOk" traces (LteUeRrc and NrUeRrc have them, with the same signatures, and a
// "DataRadioBearerMap" attribute). An RNTI is unique only within its cell: with several cells every
// cell numbers its UEs from 1, so a base station's report is looked up by its own cell id too. The
// IMSI is the UE's identity across cells (UeOfImsi).
#pragma once

#include "common/record-sink.h"

#include <ns3/mobility-model.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/object.h>
#include <ns3/traced-callback.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

namespace layersplit {

class SlotCollectorBase : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId();
  ~SlotCollectorBase() override;

  /// Sink that receives the records (not owned; must outlive the simulation run).
  void SetSink(RecordSink* sink) { m_sink = sink; }
  /// The slot length (LTE: 1 ms; NR: the gNB's BWP 0 slot, valid after Install).
  ns3::Time GetSlot() const { return ns3::NanoSeconds(m_slotNs); }
  /// Emits one record per UE for the slot [slotStart, slotStart + slot). Call at (or after) the
  /// slot's end, before the radio's hooks overwrite what they keep of that slot.
  void Flush(ns3::Time slotStart);
  std::uint64_t GetRecordCount() const { return m_seq; }
  /// Trace source "ServingCell" (ue, imsi, cellId, rnti): a UE connected to, or was handed over
  /// to, a cell; what its records' cell_id says from then on.
  typedef void (*ServingCellTracedCallback)(std::uint16_t ue, std::uint64_t imsi, std::uint16_t cellId,
                                            std::uint16_t rnti);

  /// The radio-neutral half of a pass-through MAC SAP provider between one RLC and the UE's MAC:
  /// the radio's adapter calls OnBufferStatus and OnPdu from the SAP methods it forwards.
  class BufferProbe {
   public:
    virtual ~BufferProbe() = default;
    /// The RLC's buffer status report: what it holds now.
    void OnBufferStatus(std::uint32_t txQueue, std::uint32_t retxQueue, std::uint32_t statusPdu) {
      m_bytes = txQueue + retxQueue + statusPdu;
    }
    /// A PDU passed down to the MAC. As LteUeMac does between two reports: what went to the MAC
    /// has left the RLC queue (less a minimal RLC header, the next report corrects the estimate).
    void OnPdu(std::uint32_t pduBytes) {
      const std::uint32_t sdu = pduBytes > 2 ? pduBytes - 2 : 0;
      m_bytes = m_bytes > sdu ? m_bytes - sdu : 0;
    }
    std::uint32_t Bytes() const { return m_bytes; }

   private:
    std::uint32_t m_bytes = 0;
  };

 protected:
  static constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

  /// What every radio keeps of a UE; its hooks write the measurements, Flush reads them.
  struct UeState {
    ns3::Ptr<ns3::MobilityModel> mobility;
    ns3::Ptr<ns3::Object> rrc;  // LteUeRrc or NrUeRrc: its DataRadioBearerMap
    float ulSinrDb = kNaN;
    std::int64_t ulSinrNs = -1;  // when ulSinrDb was measured
    float ulEstSinrDb = kNaN;
    std::int64_t ulEstNs = -1;  // when ulEstSinrDb was measured
    float dlSinrDb = kNaN;
    float rsrpDbm = kNaN;
    float txPowerDbm = kNaN;  // the radio's hooks write it
    float rsrqDb = kNaN;      // OnCellMeasurement writes these four
    float nbRsrpDbm = kNaN;
    float nbRsrqDb = kNaN;
    std::uint16_t nbCellId = 0;
    std::int64_t measurementNs = -1;  // when the latest measurement period was reported
    std::uint16_t cellId = 0;  // serving cell, 0 until connected
    std::uint16_t rnti = 0;    // in that cell
    std::uint64_t imsi = 0;    // 0 until connected
    /// What the source cell decided the handover under way on (the radio fills it; see
    /// EventRecord in records.hpp for the packing), taken by the next handover start event.
    struct Trigger {
      std::int64_t decidedNs = -1;
      std::uint32_t measurements = 0xFFFFFFFFu;
    } trigger;
    std::uint16_t handoverSource = 0;  // the cell the handover under way left
    struct Probe {
      ns3::Ptr<ns3::Object> rlc;  // the RLC it sits above
      std::shared_ptr<BufferProbe> probe;  // shared: ns3::Ptr's moves are not noexcept, so the vector copies
    };
    std::vector<Probe> probes;
  };

  SlotCollectorBase();
  void DoDispose() override;

  /// The first step of a radio's Install: one UeState per UE. Aborts if called twice.
  void StartInstall(std::size_t ueCount);
  /// Hooks UE `ue`'s RRC (RNTI map, buffer probes) and takes its node's MobilityModel.
  void InstallUe(std::size_t ue, ns3::Ptr<ns3::Node> node, ns3::Ptr<ns3::Object> rrc);
  /// The UE that RNTI `rnti` of cell `cellId` belongs to, or -1 if unknown.
  std::int32_t UeOfRnti(std::uint16_t cellId, std::uint16_t rnti) const {
    const auto it = m_cellRntiToUe.find(CellRntiKey(cellId, rnti));
    return it == m_cellRntiToUe.end() ? -1 : it->second;
  }
  /// The UE with this IMSI (its identity across cells), or -1 if it never connected.
  std::int32_t UeOfImsi(std::uint64_t imsi) const {
    const auto it = m_imsiToUe.find(imsi);
    return it == m_imsiToUe.end() ? -1 : it->second;
  }

  /// One cell's RSRP (dBm) and RSRQ (dB) from UE `ue`'s layer-1 measurement period; `serving`:
  /// the cell the UE's PHY is synchronised to. A call at a new instant starts a new period.
  void OnCellMeasurement(std::size_t ue, std::uint16_t cellId, double rsrpDbm, double rsrqDb, bool serving);

  /// Fills the radio's fields of UE `ue`'s record `r` for slot index `slot` (see above).
  virtual void FillRadio(std::size_t ue, std::int64_t slot, SlotRecord& r) = 0;
  /// The RLC of one entry of the UE RRC's DataRadioBearerMap (null if it has none yet).
  virtual ns3::Ptr<ns3::Object> BearerRlc(ns3::Ptr<ns3::Object> bearer) const = 0;
  /// Puts a new probe between `rlc` and UE `ue`'s MAC and returns it.
  virtual std::unique_ptr<BufferProbe> InterposeBufferProbe(std::size_t ue, ns3::Ptr<ns3::Object> rlc) = 0;
  /// Age in ms at `endNs` of a value measured at `atNs` (NaN if never measured), in double precision.
  virtual float AgeMs(std::int64_t endNs, std::int64_t atNs) const;
  /// UE `ue` changed serving cell: drops its uplink measurements (the old cell's). A radio that
  /// keeps more of them extends it.
  virtual void ForgetUplink(std::size_t ue);

  std::vector<UeState> m_ues;  // sized once, in StartInstall
  std::int64_t m_slotNs = 1000000;

 private:
  static std::uint32_t CellRntiKey(std::uint16_t cellId, std::uint16_t rnti) {
    return (static_cast<std::uint32_t>(cellId) << 16) | rnti;
  }
  /// UE `ue` is now served by `cellId` as `rnti`: its old (cell, RNTI) key no longer names it.
  void OnServingCell(std::size_t ue, uint64_t imsi, uint16_t cellId, uint16_t rnti);
  void OnDrbCreated(std::size_t ue, uint64_t imsi, uint16_t cellId, uint16_t rnti, uint8_t lcid);
  void OnHandoverStart(std::size_t ue, uint64_t imsi, uint16_t sourceCell, uint16_t targetCell);
  void OnHandoverEnd(std::size_t ue, uint64_t imsi, uint16_t cellId, uint16_t rnti, bool ok);
  void PushHandover(std::size_t ue, std::uint8_t kind, std::uint16_t source, std::uint16_t target,
                    std::int64_t decidedNs, std::uint32_t measurements);
  void InstallBufferProbes(std::size_t ue);

  RecordSink* m_sink = nullptr;
  std::unordered_map<std::uint32_t, std::int32_t> m_cellRntiToUe;  // CellRntiKey -> UE
  std::unordered_map<std::uint64_t, std::int32_t> m_imsiToUe;
  ns3::TracedCallback<std::uint16_t, std::uint64_t, std::uint16_t, std::uint16_t> m_servingCellTrace;
  std::uint64_t m_seq = 0;
};

}  // namespace layersplit
