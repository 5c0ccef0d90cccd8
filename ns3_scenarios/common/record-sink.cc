#include "common/record-sink.h"

#include <stdexcept>

namespace layersplit {

namespace {
const char* kSlotHeader =
    "t_ns,seq,ue,cqi,ul_mcs,harq,harq_retx,ul_rbs,ul_tbs_bytes,ul_buffer_bytes,ul_sinr_db,"
    "dl_sinr_db,rsrp_dbm,x,y,z,speed,ul_est_sinr_db,ul_est_age_ms,ul_sinr_age_ms,ul_symbols\n";
const char* kEventHeader = "t_send_ns,t_recv_ns,tag,seq,packet,bytes,ue,direction,kind,n_packets\n";

std::FILE* OpenOrThrow(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    throw std::runtime_error("cannot open " + path + " for writing");
  }
  return f;
}
}  // namespace

CsvRecordSink::CsvRecordSink(const std::string& prefix) {
  if (prefix == "-") {
    m_stdout = true;
    m_slots = stdout;
    m_events = stdout;
    std::fprintf(stdout, "S,%sE,%s", kSlotHeader, kEventHeader);
    return;
  }
  m_slots = OpenOrThrow(prefix + "slots.csv");
  m_events = OpenOrThrow(prefix + "events.csv");
  std::fputs(kSlotHeader, m_slots);
  std::fputs(kEventHeader, m_events);
}

CsvRecordSink::~CsvRecordSink() {
  Flush();
  if (!m_stdout) {
    std::fclose(m_slots);
    std::fclose(m_events);
  }
}

void CsvRecordSink::Flush() {
  std::fflush(m_slots);
  std::fflush(m_events);
}

void CsvRecordSink::PushSlot(const SlotRecord& r) {
  std::fprintf(m_slots, "%s%lld,%llu,%u,%u,%u,%u,%u,%u,%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%u\n",
               m_stdout ? "S," : "", static_cast<long long>(r.t_ns),
               static_cast<unsigned long long>(r.seq), r.ue, r.cqi, r.ul_mcs, r.harq, r.harq_retx,
               r.ul_rbs, r.ul_tbs_bytes, r.ul_buffer_bytes, r.ul_sinr_db, r.dl_sinr_db, r.rsrp_dbm,
               r.x, r.y, r.z, r.speed, r.ul_est_sinr_db, r.ul_est_age_ms, r.ul_sinr_age_ms, r.ul_symbols);
}

void CsvRecordSink::PushEvent(const EventRecord& e) {
  std::fprintf(m_events, "%s%lld,%lld,%llu,%llu,%u,%u,%u,%u,%u,%u\n", m_stdout ? "E," : "",
               static_cast<long long>(e.t_send_ns), static_cast<long long>(e.t_recv_ns),
               static_cast<unsigned long long>(e.tag), static_cast<unsigned long long>(e.seq),
               e.packet, e.bytes, e.ue, e.direction, e.kind, e.n_packets);
}

}  // namespace layersplit
