#include "common/record-sink.h"

#include <cinttypes>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace layersplit {

namespace {
// The CSV columns are the field tables of records.hpp, the ones behind the layout hash and Python's
// dtype: a field added there appears here with its name as header and its numpy type deciding the
// text (integers in decimal, floats with three decimals).
constexpr bool CsvWritable(std::string_view format) {
  return format == "<i8" || format == "<u8" || format == "<u4" || format == "<u2" || format == "u1" ||
         format == "<f4";
}

template <std::size_t N>
constexpr bool AllCsvWritable(const FieldInfo (&fields)[N]) {
  for (const FieldInfo& f : fields) {
    if (!CsvWritable(f.format)) {
      return false;
    }
  }
  return true;
}
static_assert(AllCsvWritable(kSlotFields) && AllCsvWritable(kEventFields),
              "a record field type the CSV sink cannot write: teach AppendField and CsvWritable");

template <std::size_t N>
std::string CsvHeader(const FieldInfo (&fields)[N]) {
  std::string header;
  for (const FieldInfo& f : fields) {
    header += header.empty() ? "" : ",";
    header += f.name;
  }
  return header + "\n";
}

template <class T>
T Load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Appends field `f` of the record at `record` as text.
void AppendField(std::string& line, const unsigned char* record, const FieldInfo& f) {
  const unsigned char* p = record + f.offset;
  char text[64];
  int n = 0;
  if (f.format == "<f4") {
    n = std::snprintf(text, sizeof text, "%.3f", static_cast<double>(Load<float>(p)));
  } else if (f.format == "<i8") {
    n = std::snprintf(text, sizeof text, "%" PRId64, Load<std::int64_t>(p));
  } else if (f.format == "<u8") {
    n = std::snprintf(text, sizeof text, "%" PRIu64, Load<std::uint64_t>(p));
  } else if (f.format == "<u4") {
    n = std::snprintf(text, sizeof text, "%" PRIu32, Load<std::uint32_t>(p));
  } else if (f.format == "<u2") {
    n = std::snprintf(text, sizeof text, "%u", static_cast<unsigned>(Load<std::uint16_t>(p)));
  } else if (f.format == "u1") {
    n = std::snprintf(text, sizeof text, "%u", static_cast<unsigned>(Load<std::uint8_t>(p)));
  }
  line.append(text, static_cast<std::size_t>(n));
}

// Writes one record as a CSV line (after `prefix`, "S," / "E," on stdout).
template <class Record, std::size_t N>
void WriteRow(std::FILE* out, std::string& line, const char* prefix, const Record& r,
              const FieldInfo (&fields)[N]) {
  line.assign(prefix);
  const auto* bytes = reinterpret_cast<const unsigned char*>(&r);
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) {
      line += ',';
    }
    AppendField(line, bytes, fields[i]);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out);
}

std::FILE* OpenOrThrow(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    throw std::runtime_error("cannot open " + path + " for writing");
  }
  return f;
}
}  // namespace

CsvRecordSink::CsvRecordSink(const std::string& prefix) {
  const std::string slotHeader = CsvHeader(kSlotFields);
  const std::string eventHeader = CsvHeader(kEventFields);
  if (prefix == "-") {
    m_stdout = true;
    m_slots = stdout;
    m_events = stdout;
    std::fprintf(stdout, "S,%sE,%s", slotHeader.c_str(), eventHeader.c_str());
    return;
  }
  m_slots = OpenOrThrow(prefix + "slots.csv");
  m_events = OpenOrThrow(prefix + "events.csv");
  std::fputs(slotHeader.c_str(), m_slots);
  std::fputs(eventHeader.c_str(), m_events);
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

void CsvRecordSink::PushSlot(const SlotRecord& r) { WriteRow(m_slots, m_line, m_stdout ? "S," : "", r, kSlotFields); }

void CsvRecordSink::PushEvent(const EventRecord& e) {
  // Numbered here, as the bridge numbers them: events come from several producers (transfers,
  // the collector's handovers).
  EventRecord numbered = e;
  numbered.seq = m_eventSeq++;
  WriteRow(m_events, m_line, m_stdout ? "E," : "", numbered, kEventFields);
}

}  // namespace layersplit
