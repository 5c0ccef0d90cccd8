// LteSlotCollector: one SlotRecord per UE per 1 ms TTI, built from ns-3 LTE trace sources.
//
// Several cells: Install takes every eNB whose UEs are recorded. Each eNB's reports (uplink data
// SINR, SRS SINR, uplink receptions) count only for the UEs it serves, looked up by (cell id, RNTI):
// RNTIs repeat across cells. cell_id is the UE's serving cell (SlotCollectorBase).
//
// Field sources (ns-3.44), all per UE:
//   ul_sinr_db   extra data-SINR chunk processor on the eNB uplink LteSpectrumPhy; linear mean over
//                the RBs the UE was granted for that TTI, in dB, from TBs that carried data only (a
//                grant the UE had nothing for puts no signal on its RBs). Carried over from the
//                last such TB; ul_sinr_age_ms says how old it is; NaN before the first.
//   ul_est_sinr_db   LteEnbPhy "ReportUeSinr": the linear mean SRS SINR over the band, in dB, from
//                every SRS the eNB receives (UeSinrSamplePeriod set to 1). The UE sounds every SRS
//                period (LteEnbRrc SrsPeriodicity, 2..320 ms by UE count) whether or not it has data
//                or grants, so this estimate keeps following the channel when the scheduler stops
//                granting. ul_est_age_ms: its age at the slot's end; NaN before the first SRS.
//   dl_sinr_db   extra ctrl-SINR chunk processor on the UE's downlink LteSpectrumPhy (every TTI the
//                UE receives its cell's control region, i.e. every TTI once synchronised): the
//                linear mean over all RBs of the PDCCH-region SINR, time-averaged over the region,
//                in dB. Interference is every other co-channel eNB's control region; in ns-3 each
//                eNB sends it over the whole band in every TTI whatever its load, so this SINR
//                counts every neighbour as fully loaded (it is the SINR ns-3 uses for RLF
//                detection, and for CQI with LteHelper::UsePdschForCqiGeneration = false).
//                Not LteUePhy "ReportCurrentCellRsrpSinr": with ns-3's default
//                UsePdschForCqiGeneration = true that trace reports RS power / (PDSCH interference
//                + noise), where the PDSCH interference is measured only in TTIs in which the
//                serving cell itself sends PDSCH (to any UE) and is plain noise otherwise; a cell
//                with no downlink data then shows its UEs' SNR, blind to any interferer.
//                Carried over between reports; NaN before the first.
//   cqi          wideband CQI 0..15 of that mean SINR (dl_sinr_db) with ns-3's PiroEW2010 AMC model
//                (Shannon efficiency with a BER 5e-5 gap mapped on LteAmc's TS 36.213 Table 7.2.3-1
//                efficiencies; 0 = out of range). It is computed here, not read from the UE: ns-3's
//                UE reports CQI per RB with the MI error model (AmcModel=MiErrorModel), which costs
//                ~100x more, so this CQI is a cheap, optimistic-under-selective-fading proxy and
//                the scheduler's MCS may sit below it. kNoValue before the first report.
//   ul_mcs, ul_tbs_bytes, ul_rbs, harq_retx
//                the UE's uplink grant for this TTI: LteUePhy "UlPhyTransmission" (MCS, TB size,
//                NDI) and "ReportUlPhyResourceBlocks" (RBs), both fired when the UL DCI arrives,
//                for the TTI UL_PUSCH_TTIS_DELAY (4) later. harq_retx counts the grants with an
//                untoggled NDI in a row on the TB's synchronous HARQ process (8 TTIs apart).
//   harq         eNB uplink LteSpectrumPhy "UlPhyReception" for that TB (ok / fail); none if the UE
//                had no grant in this TTI; empty if it had one but its PHY sent no data in it
//                (UE uplink LteSpectrumPhy "TxStart" with no packet burst): ns-3 then still runs
//                the eNB's error model on the granted RBs and usually reports a failure that
//                says nothing about the channel.
//   ul_symbols   14 whenever there is a grant: an LTE PUSCH allocation spans the whole subframe.
//   ul_tx_power_dbm  the UE PHY's transmit power when it sent its last data-carrying PUSCH
//                (uplink LteSpectrumPhy "TxStart" with a burst; LteUePhy sets it just before from
//                LteUePowerControl: open loop P0 + 10 log10(RBs) + alpha * path loss, plus the closed
//                loop's TPC corrections, capped at Pcmax; TxPower with power control off), dBm; NaN
//                before the first.
//   rsrp_dbm     LteUePhy "ReportCurrentCellRsrpSinr": RSRP per RB in W, converted to dBm (its SINR
//                argument is not used, see dl_sinr_db).
//   rsrq_db, nb_rsrp_dbm, nb_rsrq_db, nb_cell_id
//                LteUePhy "ReportUeMeasurements": the layer-1 RSRP and RSRQ (TS 36.214) of every
//                cell the UE heard over its last UeMeasurementsFilterPeriod (200 ms), the same
//                values its RRC filters for measurement reports and cell selection. In ns-3 a UE
//                measures every co-channel cell, however weak.
//   Handover start events (SlotCollectorBase) carry what the source eNB decided on: a pass-through
//                handover management SAP (HandoverProbe) between each eNB's RRC and its handover
//                algorithm sees every measurement report the algorithm is given and every handover
//                it triggers; the report behind a decision is the one being handled when it came.
//   Cost: dB conversions and the CQI are done at Flush and only when the value changed.
//   ul_buffer_bytes, x, y, z, speed, and the record's t_ns, seq, ue: SlotCollectorBase
//                (common/slot-collector-base.h), through LteMacSapProvider pass-throughs between
//                each DRB's RLC and the UE MAC (slot-collector.cc).
//   Note: a grant the UE could not use (nothing left to send) shows ul_mcs/ul_rbs/ul_tbs_bytes
//   with harq = empty and leaves ul_sinr_db unchanged.
// Records of a slot are emitted by Flush(slotStart), either from the collector's own event every
// 1 ms (attribute SelfClock = true) or by the owner's clock at each slot boundary.
#pragma once

#include "common/slot-collector-base.h"

#include <ns3/lte-enb-net-device.h>
#include <ns3/lte-ue-net-device.h>
#include <ns3/nstime.h>
#include <ns3/lte-rrc-sap.h>
#include <ns3/packet-burst.h>
#include <ns3/spectrum-value.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace layersplit {

class LteSlotCollector : public SlotCollectorBase {
 public:
  static ns3::TypeId GetTypeId();
  LteSlotCollector();
  ~LteSlotCollector() override;

  /// Hooks the traces of the eNBs and of the UEs (UE index = position in `ues`). Call once, before
  /// Simulator::Run, after the devices are installed. Every eNB that serves (or may serve) a UE in
  /// `ues` must be given: a UE served by an eNB not given gets no uplink fields.
  void Install(const std::vector<ns3::Ptr<ns3::LteEnbNetDevice>>& enbs,
               const std::vector<ns3::Ptr<ns3::LteUeNetDevice>>& ues);
  /// One cell.
  void Install(ns3::Ptr<ns3::LteEnbNetDevice> enb, const std::vector<ns3::Ptr<ns3::LteUeNetDevice>>& ues) {
    Install(std::vector<ns3::Ptr<ns3::LteEnbNetDevice>>{enb}, ues);
  }
  /// With SelfClock, schedules the first flush at the next slot boundary. No-op otherwise.
  void Start();
  // Flush(slotStart) (SlotCollectorBase) emits the records of [slotStart, slotStart + 1 ms): call it
  // at (or after) the slot's end and before anything of slot + 5 happens.

 protected:
  void DoDispose() override;
  void FillRadio(std::size_t ue, std::int64_t slot, SlotRecord& r) override;
  ns3::Ptr<ns3::Object> BearerRlc(ns3::Ptr<ns3::Object> bearer) const override;
  std::unique_ptr<BufferProbe> InterposeBufferProbe(std::size_t ue, ns3::Ptr<ns3::Object> rlc) override;
  float AgeMs(std::int64_t endNs, std::int64_t atNs) const override;

 private:
  struct Grant {
    std::int64_t slot = -1;
    std::uint16_t rbStart = 0;
    std::uint16_t rbLen = 0;
    std::uint8_t mcs = kNoValue;
    std::uint8_t retx = 0;
    std::uint32_t tbsBytes = 0;
    bool data = false;  // the UE's PHY sent a burst in that TTI
    float txPowerDbm = 0;  // the power it sent it at (valid with data)
  };
  struct Reception {
    std::int64_t slot = -1;
    bool ok = false;
  };
  class DlCtrlSinr;
  // What LTE keeps of a UE beside SlotCollectorBase::UeState (same index).
  struct LteUe {
    ns3::Ptr<ns3::LteUeNetDevice> dev;
    std::array<Grant, 8> grants;  // ring indexed by slot % 8
    std::vector<int> pendingRbs;  // from ReportUlPhyResourceBlocks, completed by UlPhyTransmission
    Reception rx;
    double ulEstSinr = 0;  // linear, latest SRS SINR
    double flushedUlEstSinr = 0;
    double dlSinr = 0;  // linear, latest ctrl-region SINR (DlCtrlSinr)
    double rsrpW = 0;
    double flushedDlSinr = 0;  // values behind dlSinrDb / cqi / rsrpDbm
    double flushedRsrpW = 0;
    std::uint8_t cqi = kNoValue;
  };
  class HandoverProbe;

  void SelfClockTick();
  void InstallEnb(ns3::Ptr<ns3::LteEnbNetDevice> enb);
  void InstallHandoverProbe(ns3::Ptr<ns3::LteEnbNetDevice> enb);
  void OnUlDataSinr(std::uint16_t cellId, const ns3::SpectrumValue& sinr);
  void OnUlPhyReception(ns3::PhyReceptionStatParameters p);
  void OnUlGrant(std::size_t ue, ns3::PhyTransmissionStatParameters p);
  void OnUlRbs(std::size_t ue, uint16_t rnti, const std::vector<int>& rbs);
  void OnUlTxStart(std::size_t ue, ns3::Ptr<const ns3::PacketBurst> pb);
  void OnSrsSinr(uint16_t cellId, uint16_t rnti, double sinr, uint8_t cc);
  void OnRsrp(std::size_t ue, uint16_t cellId, uint16_t rnti, double rsrpW, double sinr, uint8_t cc);
  void OnHandoverDecision(uint16_t cellId, uint16_t rnti, uint16_t targetCell,
                          const ns3::LteRrcSap::MeasResults& report);
  void ForgetUplink(std::size_t ue) override;
  static std::uint8_t WidebandCqi(double sinrLinear);

  bool m_selfClock = true;
  std::vector<LteUe> m_lte;  // sized once, in Install
  std::vector<std::unique_ptr<HandoverProbe>> m_handoverProbes;  // the eNB RRCs point at them
  bool m_started = false;
};

}  // namespace layersplit
