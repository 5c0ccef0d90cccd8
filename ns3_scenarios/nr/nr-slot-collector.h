// NrSlotCollector: one SlotRecord per UE per NR slot (1/2^mu ms), built from 5G-LENA trace
// sources. Same schema as the LTE cell; docs/records.md says what each field means in NR.
//
// Field sources (5G-LENA NR-v4.0), all per UE, BWP 0:
//   ul_mcs, ul_tbs_bytes, ul_rbs, ul_symbols, harq_retx, harq, ul_sinr_db
//       gNB NrSpectrumPhy "RxPacketTraceGnb": one call per decoded uplink TB, at the end of its
//       reception, inside the slot it was sent in (UL data ends before the slot's last symbol).
//       MCS, TB size (bytes), RBs, OFDM symbols, redundancy version (= retransmission index),
//       corrupted or not, and the TB's mean SINR over its RBs (linear -> dB).
//   harq = empty (3): gNB NrGnbMac "UlScheduling" granted the UE a TB in this slot but no data
//       arrived (5G-LENA's UE sends an empty PDU when it has nothing left). MCS, TB size and
//       symbols come from the grant; ul_rbs is 0 (the trace does not give the RBs).
//   ul_est_sinr_db   gNB NrSpectrumPhy SRS SINR report (AddSrsSinrReportCallback): the linear mean
//       over the band of the UE's latest sounding reference signal, traffic or not.
//   dl_sinr_db   NrUePhy "DlCtrlSinr": mean SINR over the RBs of the PDCCH the UE received.
//   cqi          wideband CQI of dl_sinr_db by 5G-LENA's own AMC (NrAmc with attribute CqiErrorModel,
//                the cell's DL error model, i.e. its MCS table: the highest MCS with BLER <= 0.1, as
//                the UE reports it) for a
//                SINR flat over the band; tabulated at Install in 0.25 dB steps, so a record costs
//                a lookup. Computed every slot, like LTE's; the UE's own reports
//                ("CqiFeedbackTrace") come only after downlink data.
//   ul_tx_power_dbm  the UE PHY's transmit power (NrUePhy::GetTxPower) when the gNB received its
//                last uplink TB: 5G-LENA's uplink power control is off by default, so it is the UE's
//                configured power (radio.ue_tx_power_dbm); NaN before the first TB.
//   rsrp_dbm     RS received power per resource element of the UE's last control reception
//                (a chunk processor on its NrSpectrumPhy, as NrUePhy computes RSRP), dBm.
//   ul_buffer_bytes, x, y, z, speed, and the record's t_ns, seq, ue: SlotCollectorBase
//       (common/slot-collector-base.h), through NrMacSapProvider pass-throughs between each DRB's
//       RLC and the UE MAC (nr-slot-collector.cc).
#pragma once

#include "common/slot-collector-base.h"

#include <ns3/nr-gnb-net-device.h>
#include <ns3/nr-phy-mac-common.h>
#include <ns3/nr-spectrum-phy.h>
#include <ns3/nr-ue-net-device.h>
#include <ns3/nstime.h>
#include <ns3/spectrum-model.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace layersplit {

class NrSlotCollector : public SlotCollectorBase {
 public:
  static ns3::TypeId GetTypeId();
  NrSlotCollector();
  ~NrSlotCollector() override;

  /// Hooks the traces of the gNB and of the UEs (UE index = position in `ues`). Call once, after
  /// the devices are installed and before Simulator::Run. Sets the slot length (GetSlot) to the
  /// gNB's BWP 0 slot; Flush(slotStart) emits the records of [slotStart, slotStart + slot).
  void Install(ns3::Ptr<ns3::NrGnbNetDevice> gnb, const std::vector<ns3::Ptr<ns3::NrUeNetDevice>>& ues);

 protected:
  void DoDispose() override;
  void FillRadio(std::size_t ue, std::int64_t slot, SlotRecord& r) override;
  ns3::Ptr<ns3::Object> BearerRlc(ns3::Ptr<ns3::Object> bearer) const override;
  std::unique_ptr<BufferProbe> InterposeBufferProbe(std::size_t ue, ns3::Ptr<ns3::Object> rlc) override;

 private:
  static constexpr std::size_t kRing = 64;  // slots a grant may precede its use (K2 + latency)
  struct Tb {
    std::int64_t slot = -1;
    std::uint8_t mcs = 0;
    std::uint8_t rv = 0;
    std::uint8_t symbols = 0;
    std::uint16_t rbs = 0;
    std::uint32_t tbsBytes = 0;
    bool corrupt = false;
  };
  // What NR keeps of a UE beside SlotCollectorBase::UeState (same index).
  struct NrUe {
    ns3::Ptr<ns3::NrUeNetDevice> dev;
    std::array<Tb, kRing> grants;  // from UlScheduling, by slot % kRing
    Tb rx;                         // latest decoded TB (RxPacketTraceGnb)
  };

  std::int64_t SlotOfNow() const;
  std::int64_t SlotOfSfn(std::uint32_t frame, std::uint32_t subframe, std::uint32_t slot) const;
  void OnUlRx(ns3::RxPacketTraceParams p);
  void OnUlGrant(::NrSchedulingCallbackInfo info);
  void OnSrsSinr(uint16_t cellId, uint16_t rnti, double sinr);
  void BuildCqiTable(ns3::Ptr<ns3::NrSpectrumPhy> uePhy);
  std::uint8_t Cqi(float sinrDb) const;

  std::vector<NrUe> m_nr;  // sized once, in Install
  std::uint16_t m_cellId = 0;  // the hooked gNB's cell id
  std::int64_t m_slotsPerSubframe = 1;
  std::vector<std::uint8_t> m_cqiTable;  // CQI at kCqiMinDb + k / 4 dB
  ns3::TypeId m_cqiErrorModel;           // attribute CqiErrorModel
};

}  // namespace layersplit
