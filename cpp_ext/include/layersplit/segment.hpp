// The shared-memory segment of one run: a header, then three single-producer single-consumer
// rings (slot records and events from ns-3 to Python, commands from Python to ns-3).
//
//   [SegmentHeader][slot ring data][event ring data][command ring data]
//
// The first 16 bytes (magic, layout version, header size) never move, so a program built from
// any layout version can read them and refuse a mismatch with a message that names both.
#pragma once

#include "layersplit/records.hpp"
#include "layersplit/shm_sync.hpp"

#include <algorithm>
#include <vector>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

namespace layersplit {

inline constexpr std::uint64_t kMagic = 0x314B4E494C53594Cull;  // "LYSLINK1" little-endian

enum SimState : std::uint32_t { kSimStarting = 0, kSimAttached = 1, kSimFinished = 2, kSimFailed = 3 };
enum PyState : std::uint32_t { kPyRunning = 0, kPyClosed = 1 };

// Indices grow forever (64 bits never wrap in practice); slot = index & (capacity - 1).
struct RingControl {
  alignas(64) std::atomic<std::uint64_t> head;  // next index the producer writes
  alignas(64) std::atomic<std::uint64_t> tail;  // next index the consumer reads
};

inline constexpr std::size_t kMaxGeometryCells = 64;  // cells a program may publish (SegmentHeader::cells)

struct SegmentHeader {
  // ---- fixed prefix, identical in every layout version ----
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t header_bytes;
  // ---- everything below may change with the version ----
  std::uint64_t layout_hash;
  std::uint32_t slot_record_bytes, event_record_bytes, command_bytes, reserved0;
  std::uint32_t slot_capacity, event_capacity, command_capacity, reserved1;
  std::uint64_t total_bytes;
  std::int32_t py_pid;
  std::atomic<std::int32_t> sim_pid;
  std::atomic<std::uint32_t> sim_state;  // SimState
  std::atomic<std::uint32_t> py_state;   // PyState
  std::atomic<std::int64_t> py_heartbeat_ns, sim_heartbeat_ns;  // CLOCK_MONOTONIC of last sign of life
  std::atomic<std::uint32_t> py_wake_fill;  // the sim wakes a waiting Python once a ring holds this many
  std::atomic<std::int64_t> sim_busy_ns;    // wall time the sim spent running grants (not waiting)
  char error[500];                        // the sim's failure message, NUL-terminated
  // What the program built, written before it attaches: Python reads it once attached.
  std::uint32_t geometry_ues;             // UEs the program streams records for; 0 = not stated
  std::uint32_t reserved2;
  double cell_position[3];                // the first cell's antenna (eNB / gNB), m: single-cell readers
  std::uint32_t geometry_cells;           // entries of cells[] in use (0 = only cell_position is known)
  std::uint32_t reserved3;
  struct Cell {
    std::uint16_t cell_id;                // ns-3's cell id, as slot records name the serving cell
    std::uint16_t reserved[3];
    double position[3];                   // the antenna, m
  } cells[kMaxGeometryCells];

  alignas(64) std::atomic<std::uint64_t> grant_seq;  // bumped by Python for each grant
  std::atomic<std::int64_t> grant_horizon_ns;       // the sim may simulate slots starting before this
  std::atomic<std::uint32_t> grant_commands;        // commands pushed with that grant
  alignas(64) std::atomic<std::uint64_t> ack_seq;   // last grant the sim has run to the end of
  std::atomic<std::int64_t> sim_now_ns;             // simulated time at that ack
  alignas(64) std::atomic<std::uint32_t> to_py;     // futex word Python sleeps on
  std::atomic<std::uint32_t> py_waiting;
  alignas(64) std::atomic<std::uint32_t> to_sim;    // futex word the sim sleeps on
  std::atomic<std::uint32_t> sim_waiting;
  RingControl slots, events, commands;
};

// The cell as the program built it (see SegmentHeader::geometry_ues).
struct Geometry {
  std::uint32_t ues = 0;
  double cell_x = 0, cell_y = 0, cell_z = 0;  // the first cell
  struct Cell {
    std::uint16_t id = 0;
    double x = 0, y = 0, z = 0;
  };
  std::vector<Cell> cells;  // every cell, in the program's order (at most kMaxGeometryCells)
};

struct Capacities {
  std::uint32_t slots = 1u << 16;
  std::uint32_t events = 1u << 14;
  std::uint32_t commands = 1u << 12;
};

inline bool IsPowerOfTwo(std::uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

inline std::size_t SegmentBytes(const Capacities& c) {
  return sizeof(SegmentHeader) + std::size_t(c.slots) * sizeof(SlotRecord) +
         std::size_t(c.events) * sizeof(EventRecord) + std::size_t(c.commands) * sizeof(Command);
}

// One SPSC ring viewed from either end. Copies in batches; wrap-around is two memcpy calls.
template <class T>
class Ring {
 public:
  Ring() = default;
  Ring(RingControl* ctl, T* data, std::uint32_t capacity) : ctl_(ctl), data_(data), mask_(capacity - 1) {}

  std::uint64_t Capacity() const { return mask_ + 1; }
  std::uint64_t Size() const {
    return ctl_->head.load(std::memory_order_acquire) - ctl_->tail.load(std::memory_order_acquire);
  }

  // Producer side. Returns false when full (the caller decides how to wait).
  bool TryPush(const T& rec) {
    std::uint64_t head = ctl_->head.load(std::memory_order_relaxed);
    if (head - cached_tail_ > mask_) {
      cached_tail_ = ctl_->tail.load(std::memory_order_acquire);
      if (head - cached_tail_ > mask_) return false;
    }
    data_[head & mask_] = rec;
    ctl_->head.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer side: copies up to max records into out, returns how many.
  std::size_t Pop(T* out, std::size_t max) {
    std::uint64_t tail = ctl_->tail.load(std::memory_order_relaxed);
    std::uint64_t head = ctl_->head.load(std::memory_order_acquire);
    std::size_t n = std::min<std::uint64_t>(head - tail, max);
    std::size_t start = tail & mask_;
    std::size_t first = std::min<std::size_t>(n, Capacity() - start);
    std::memcpy(out, data_ + start, first * sizeof(T));
    std::memcpy(out + first, data_, (n - first) * sizeof(T));
    ctl_->tail.store(tail + n, std::memory_order_release);
    return n;
  }

 private:
  RingControl* ctl_ = nullptr;
  T* data_ = nullptr;
  std::uint64_t mask_ = 0;
  std::uint64_t cached_tail_ = 0;
};

// A mapping of a segment plus typed views of its rings. Owns the mapping, not the name.
class Segment {
 public:
  Segment() = default;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment() { Unmap(); }

  SegmentHeader* Header() const { return header_; }
  Ring<SlotRecord>& Slots() { return slots_; }
  Ring<EventRecord>& Events() { return events_; }
  Ring<Command>& Commands() { return commands_; }

 protected:
  void Map(int fd, std::size_t bytes, const std::string& name) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) throw BridgeError("bridge: cannot map segment " + name + ": " + std::strerror(errno));
    base_ = p;
    bytes_ = bytes;
    header_ = static_cast<SegmentHeader*>(p);
  }

  void BindRings() {
    auto* h = header_;
    char* p = reinterpret_cast<char*>(h) + sizeof(SegmentHeader);
    auto* slot_data = reinterpret_cast<SlotRecord*>(p);
    p += std::size_t(h->slot_capacity) * sizeof(SlotRecord);
    auto* event_data = reinterpret_cast<EventRecord*>(p);
    p += std::size_t(h->event_capacity) * sizeof(EventRecord);
    auto* command_data = reinterpret_cast<Command*>(p);
    slots_ = Ring<SlotRecord>(&h->slots, slot_data, h->slot_capacity);
    events_ = Ring<EventRecord>(&h->events, event_data, h->event_capacity);
    commands_ = Ring<Command>(&h->commands, command_data, h->command_capacity);
  }

  void Unmap() {
    if (base_) munmap(base_, bytes_);
    base_ = nullptr;
    header_ = nullptr;
  }

 private:
  void* base_ = nullptr;
  std::size_t bytes_ = 0;
  SegmentHeader* header_ = nullptr;
  Ring<SlotRecord> slots_;
  Ring<EventRecord> events_;
  Ring<Command> commands_;
};

}  // namespace layersplit
