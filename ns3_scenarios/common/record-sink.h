// Where a cell program sends its records: an abstract sink, plus a CSV sink for standalone runs.
//
// The bridge (cpp_ext/) implements RecordSink over its shared-memory rings; CsvRecordSink writes
// the same records as two CSV files (or stdout) so the scenario can run and be tested alone.
// The columns (names, order, text) come from layersplit::kSlotFields / kEventFields (records.hpp),
// the tables behind the layout hash and Python's dtype, so a new record field needs no change here.
#pragma once

#include <layersplit/records.hpp>
#include <layersplit/sim_endpoint.hpp>

#include <cstdio>
#include <string>

namespace layersplit {

/// Receives every record a scenario produces, in simulated-time order per kind.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  /// One UE in one slot. Called at the slot boundary, UE by UE in index order.
  virtual void PushSlot(const SlotRecord& r) = 0;
  /// One packet's fate (delivered or lost). Called when the fate becomes known.
  virtual void PushEvent(const EventRecord& e) = 0;
};

/// Writes records as CSV with a header line. prefix "-" writes both kinds to stdout (slot lines
/// start with "S,", event lines with "E,"); otherwise "<prefix>slots.csv" and "<prefix>events.csv".
class CsvRecordSink : public RecordSink {
 public:
  explicit CsvRecordSink(const std::string& prefix);
  ~CsvRecordSink() override;
  CsvRecordSink(const CsvRecordSink&) = delete;
  CsvRecordSink& operator=(const CsvRecordSink&) = delete;

  void PushSlot(const SlotRecord& r) override;
  void PushEvent(const EventRecord& e) override;
  /// Flushes both files (also done by the destructor).
  void Flush();

 private:
  std::FILE* m_slots = nullptr;
  std::FILE* m_events = nullptr;
  bool m_stdout = false;
  std::string m_line;  // the row being written, reused
  std::uint64_t m_eventSeq = 0;
};

/// Streams records to Python through the shared-memory bridge.
class BridgeRecordSink : public RecordSink {
 public:
  explicit BridgeRecordSink(SimEndpoint* ep) : m_ep(ep) {}
  void PushSlot(const SlotRecord& r) override { m_ep->PushSlot(r); }
  void PushEvent(const EventRecord& e) override { m_ep->PushEvent(e); }

 private:
  SimEndpoint* m_ep;
};

/// Discards everything (for speed measurements with streaming off).
class NullRecordSink : public RecordSink {
 public:
  void PushSlot(const SlotRecord&) override {}
  void PushEvent(const EventRecord&) override {}
};

}  // namespace layersplit
