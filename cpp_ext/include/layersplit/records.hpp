// Record formats shared by ns-3 programs and Python (one schema for every radio technology).
//
// Each struct is plain old data with a fixed size; Python sees the same bytes as a numpy
// structured array whose dtype is built from the field tables below, so the two sides cannot
// drift apart silently: the table also feeds the layout hash checked when a segment is opened.
// Any change here must bump kLayoutVersion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace layersplit {

inline constexpr std::uint32_t kLayoutVersion = 6;  // 3: fresh UL estimate, ages, empty grants, geometry;
                                                    // 4: serving cell_id, every cell in the geometry;
                                                    // 5: handover events, ul_tx_power_dbm;
                                                    // 6: rsrq_db, the strongest neighbour (nb_*)

// What became of the UE's uplink grant in a slot. Only kHarqOk and kHarqFail are decoding
// results: kHarqEmpty is a grant the UE had no data for (it sent padding or nothing), whose
// "reception" at the base station says nothing about the channel.
enum HarqOutcome : std::uint8_t { kHarqNone = 0, kHarqOk = 1, kHarqFail = 2, kHarqEmpty = 3 };
inline constexpr std::uint8_t kNoValue = 255;  // for the 8-bit CQI / MCS fields

// One UE in one slot (LTE TTI = 1 ms, NR slot = 1/2^mu ms). Radio-neutral on purpose: an NR slot
// fills the same fields. docs/records.md says when each field is updated and what it holds between.
struct SlotRecord {
  std::int64_t t_ns;          // slot start, simulated ns
  std::uint64_t seq;          // producer-wide record sequence number, 0, 1, 2, ...
  std::uint16_t ue;           // UE index 0..N-1
  std::uint8_t cqi;           // wideband CQI 0..15, kNoValue if none reported yet
  std::uint8_t ul_mcs;        // uplink MCS of the TB sent in this slot, kNoValue if no grant
  std::uint8_t harq;          // HarqOutcome of that TB
  std::uint8_t harq_retx;     // retransmission index of that TB (0 = first transmission)
  std::uint16_t ul_rbs;       // resource blocks granted to that TB
  std::uint32_t ul_tbs_bytes; // transport block size of that TB, bytes (0 if none)
  std::uint32_t ul_buffer_bytes;  // UE uplink buffer (RLC queue) at slot end, bytes
  float ul_sinr_db;           // SINR of the UE's last data-carrying uplink TB, dB (NaN before the first)
  float dl_sinr_db;           // downlink wideband SINR at the UE, dB (NaN if unknown)
  float rsrp_dbm;             // serving-cell RSRP, dBm (NaN if unknown)
  float x, y, z;              // UE position, m
  float speed;                // UE speed, m/s
  float ul_est_sinr_db;       // uplink channel estimate from sounding (SRS), dB, traffic or not (NaN before the first)
  float ul_est_age_ms;        // age of ul_est_sinr_db at the slot's end, ms (NaN before the first)
  float ul_sinr_age_ms;       // age of ul_sinr_db at the slot's end, ms (NaN before the first)
  std::uint8_t ul_symbols;    // OFDM symbols of the slot's uplink allocation (0 if no grant)
  std::uint8_t reserved0;     // zero; aligns cell_id
  std::uint16_t cell_id;      // the serving cell's ns-3 cell id at the slot's end (0 before the UE connected)
  float ul_tx_power_dbm;      // the UE's transmit power of its last PUSCH (uplink data) transmission, dBm (NaN before the first)
  // The UE's latest layer-1 measurement period (LTE: every 200 ms), carried over between periods:
  float rsrq_db;              // serving-cell RSRQ, dB (NaN if unknown)
  float nb_rsrp_dbm;          // RSRP of the strongest other cell the UE measured, dBm (NaN if none)
  float nb_rsrq_db;           // that cell's RSRQ, dB (NaN if none)
  std::uint16_t nb_cell_id;   // that cell's ns-3 cell id (0 if none)
  std::uint16_t reserved1;    // zero; pads the record to a multiple of 8 bytes
};
static_assert(sizeof(SlotRecord) == 96, "SlotRecord must stay 96 bytes");

enum Direction : std::uint8_t { kUplink = 0, kDownlink = 1 };
enum EventKind : std::uint8_t {
  kEventPacket = 0,
  kEventEcho = 1,
  // A UE's handover (LteUeRrc traces): the UE got the handover command and left the source cell;
  // it completed the access to the target cell; or the handover failed.
  kEventHandoverStart = 2,
  kEventHandoverEnd = 3,
  kEventHandoverFailure = 4,
};

// Something that happened to a transfer: one packet delivered or lost. A handover event (kind
// kEventHandover*) reuses the record, its fields meaning:
//   t_send_ns   when the UE's RRC reported it
//   t_recv_ns   start: when the source cell decided it (the measurement report that triggered it
//               arrived), -1 if unknown; end, failure: -1
//   tag         the UE's IMSI
//   packet      the source cell id;  bytes  the target cell id (end: the new serving cell)
//   n_packets   start: the triggering report's quantised measurements, one byte each from the
//               lowest: source RSRP range, target RSRP range, source RSRQ range, target RSRQ range
//               (TS 36.133: RSRP dBm = range - 141, RSRQ dB = (range - 40) / 2; 255 = not
//               reported); 0xFFFFFFFF if no report is known; end, failure: 0
//   direction   kUplink; seq, ue as for packets
// Python writes these to handovers.parquet, with named columns (docs/records.md).
struct EventRecord {
  std::int64_t t_send_ns;     // when the packet left the application, simulated ns
  std::int64_t t_recv_ns;     // when it arrived; -1 if lost
  std::uint64_t tag;          // the tag given in the Command that asked for the transfer
  std::uint64_t seq;          // producer-wide event sequence number
  std::uint32_t packet;       // packet index within the transfer, 0..n-1
  std::uint32_t bytes;        // payload bytes of this packet
  std::uint16_t ue;           // UE index
  std::uint8_t direction;     // Direction
  std::uint8_t kind;          // EventKind
  std::uint32_t n_packets;    // packets in the whole transfer
};
static_assert(sizeof(EventRecord) == 48, "EventRecord must stay 48 bytes");

enum CommandKind : std::uint8_t { kCmdUplink = 1, kCmdDownlink = 2, kCmdEcho = 3 };

// A request from Python, carried by a grant and executed at the grant's start time.
struct Command {
  std::uint8_t kind;          // CommandKind
  std::uint8_t pad0;
  std::uint16_t ue;           // UE index
  std::uint32_t bytes;        // total bytes to transfer
  std::uint64_t tag;          // opaque to ns-3, echoed in every EventRecord of the transfer
  std::uint32_t payload_bytes;  // UDP payload per packet; 0 = the scenario's default
  std::uint32_t pad1;
  std::uint64_t reserved;
};
static_assert(sizeof(Command) == 32, "Command must stay 32 bytes");

// ---- field tables: the single description both the layout hash and Python's dtype use ----
struct FieldInfo {
  std::string_view name;
  std::string_view format;  // numpy type string
  std::size_t offset;
};

#define LAYERSPLIT_FIELD(T, f, fmt) FieldInfo{#f, fmt, offsetof(T, f)}

inline constexpr FieldInfo kSlotFields[] = {
    LAYERSPLIT_FIELD(SlotRecord, t_ns, "<i8"),         LAYERSPLIT_FIELD(SlotRecord, seq, "<u8"),
    LAYERSPLIT_FIELD(SlotRecord, ue, "<u2"),           LAYERSPLIT_FIELD(SlotRecord, cqi, "u1"),
    LAYERSPLIT_FIELD(SlotRecord, ul_mcs, "u1"),        LAYERSPLIT_FIELD(SlotRecord, harq, "u1"),
    LAYERSPLIT_FIELD(SlotRecord, harq_retx, "u1"),     LAYERSPLIT_FIELD(SlotRecord, ul_rbs, "<u2"),
    LAYERSPLIT_FIELD(SlotRecord, ul_tbs_bytes, "<u4"), LAYERSPLIT_FIELD(SlotRecord, ul_buffer_bytes, "<u4"),
    LAYERSPLIT_FIELD(SlotRecord, ul_sinr_db, "<f4"),   LAYERSPLIT_FIELD(SlotRecord, dl_sinr_db, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, rsrp_dbm, "<f4"),     LAYERSPLIT_FIELD(SlotRecord, x, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, y, "<f4"),            LAYERSPLIT_FIELD(SlotRecord, z, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, speed, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, ul_est_sinr_db, "<f4"), LAYERSPLIT_FIELD(SlotRecord, ul_est_age_ms, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, ul_sinr_age_ms, "<f4"), LAYERSPLIT_FIELD(SlotRecord, ul_symbols, "u1"),
    LAYERSPLIT_FIELD(SlotRecord, cell_id, "<u2"),      LAYERSPLIT_FIELD(SlotRecord, ul_tx_power_dbm, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, rsrq_db, "<f4"),      LAYERSPLIT_FIELD(SlotRecord, nb_rsrp_dbm, "<f4"),
    LAYERSPLIT_FIELD(SlotRecord, nb_rsrq_db, "<f4"),   LAYERSPLIT_FIELD(SlotRecord, nb_cell_id, "<u2"),
};

inline constexpr FieldInfo kEventFields[] = {
    LAYERSPLIT_FIELD(EventRecord, t_send_ns, "<i8"), LAYERSPLIT_FIELD(EventRecord, t_recv_ns, "<i8"),
    LAYERSPLIT_FIELD(EventRecord, tag, "<u8"),       LAYERSPLIT_FIELD(EventRecord, seq, "<u8"),
    LAYERSPLIT_FIELD(EventRecord, packet, "<u4"),    LAYERSPLIT_FIELD(EventRecord, bytes, "<u4"),
    LAYERSPLIT_FIELD(EventRecord, ue, "<u2"),        LAYERSPLIT_FIELD(EventRecord, direction, "u1"),
    LAYERSPLIT_FIELD(EventRecord, kind, "u1"),       LAYERSPLIT_FIELD(EventRecord, n_packets, "<u4"),
};

inline constexpr FieldInfo kCommandFields[] = {
    LAYERSPLIT_FIELD(Command, kind, "u1"),           LAYERSPLIT_FIELD(Command, ue, "<u2"),
    LAYERSPLIT_FIELD(Command, bytes, "<u4"),         LAYERSPLIT_FIELD(Command, tag, "<u8"),
    LAYERSPLIT_FIELD(Command, payload_bytes, "<u4"),
};

#undef LAYERSPLIT_FIELD

// FNV-1a over every table's names, formats and offsets plus the record sizes.
constexpr std::uint64_t Fnv1a(std::uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

template <std::size_t N>
constexpr std::uint64_t HashFields(std::uint64_t h, const FieldInfo (&fields)[N], std::size_t size) {
  for (const auto& f : fields) {
    h = Fnv1a(h, f.name);
    h = Fnv1a(h, f.format);
    h = (h ^ f.offset) * 1099511628211ull;
  }
  return (h ^ size) * 1099511628211ull;
}

constexpr std::uint64_t LayoutHash() {
  std::uint64_t h = 14695981039346656037ull;
  h = HashFields(h, kSlotFields, sizeof(SlotRecord));
  h = HashFields(h, kEventFields, sizeof(EventRecord));
  return HashFields(h, kCommandFields, sizeof(Command));
}

}  // namespace layersplit
