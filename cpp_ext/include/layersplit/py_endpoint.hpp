// The launcher's end of the bridge: creates the segment, grants horizons with commands, drains
// the record rings. Plain C++ so the pybind11 module stays glue (and C++ benchmarks can use it).
#pragma once

#include "layersplit/sim_endpoint.hpp"

#include <stdexcept>
#include <vector>

namespace layersplit {

enum class WaitResult { kReady, kSliceOver };

class PyEndpoint : public Segment {
 public:
  PyEndpoint(const std::string& name, Capacities caps, std::uint32_t layout_version = kLayoutVersion)
      : name_(name) {
    CheckCapacity("slot_capacity", caps.slots);
    CheckCapacity("event_capacity", caps.events);
    CheckCapacity("command_capacity", caps.commands);
    int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) throw BridgeError("bridge: cannot create segment '" + name + "': " + std::strerror(errno));
    linked_ = true;
    std::size_t bytes = SegmentBytes(caps);
    if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      int err = errno;
      close(fd);
      Unlink();
      throw BridgeError("bridge: cannot size segment '" + name + "' to " + std::to_string(bytes) + " bytes: " + std::strerror(err));
    }
    Map(fd, bytes, name);
    InitHeader(caps, bytes, layout_version);
    BindRings();
  }
  ~PyEndpoint() {
    if (Header()) Close();
    Unlink();
  }

  const std::string& Name() const { return name_; }
  // Removes the name from /dev/shm; both mappings stay valid. Done as soon as the sim attached,
  // so that no crash of either side can leave the segment behind.
  void Unlink() {
    if (linked_) shm_unlink(name_.c_str());
    linked_ = false;
  }
  bool Linked() const { return linked_; }

  // The pid to watch before the sim has attached and written its own.
  void SetPeerPid(pid_t pid) { peer_pid_ = pid; }
  pid_t SimPid() const {
    pid_t p = Header()->sim_pid.load(std::memory_order_acquire);
    return p > 0 ? p : peer_pid_;
  }
  std::uint32_t SimState() const { return Header()->sim_state.load(std::memory_order_acquire); }
  std::string SimError() const { return std::string(Header()->error); }
  std::uint64_t Granted() const { return granted_; }
  std::uint64_t Acked() const { return Header()->ack_seq.load(std::memory_order_acquire); }
  std::int64_t SimNowNs() const { return Header()->sim_now_ns.load(std::memory_order_acquire); }
  void SetWakeFill(std::uint32_t n) { Header()->py_wake_fill.store(n, std::memory_order_relaxed); }

  // True when the last grant has been run to its end, or the sim has stopped for good.
  bool Done() const { return Acked() >= granted_ || SimState() >= kSimFinished; }

  std::uint64_t Grant(std::int64_t horizon_ns, const Command* cmds, std::size_t n) {
    auto* h = Header();
    if (!Done()) throw BridgeError("bridge: grant " + std::to_string(granted_) + " is still running; wait for it first");
    if (SimState() != kSimAttached) throw PeerGone("bridge: the simulation is not running (state " + std::to_string(SimState()) + ")");
    std::size_t free = Commands().Capacity() - Commands().Size();
    if (n > free)
      throw std::length_error("bridge: " + std::to_string(n) + " commands in one grant, at most " + std::to_string(free) +
                              " fit; split them over several grants");
    for (std::size_t i = 0; i < n; ++i) Commands().TryPush(cmds[i]);
    h->grant_commands.store(static_cast<std::uint32_t>(n), std::memory_order_relaxed);
    h->grant_horizon_ns.store(horizon_ns, std::memory_order_relaxed);
    h->grant_seq.store(++granted_, std::memory_order_release);
    Beat();
    WakeSimIfWaiting();
    return granted_;
  }

  template <class T>
  std::size_t Drain(Ring<T>& ring, std::vector<T>& out) {
    std::size_t total = 0;
    while (true) {
      std::size_t have = out.size();
      std::size_t want = std::max<std::size_t>(ring.Size(), 1);
      out.resize(have + want);
      std::size_t n = ring.Pop(out.data() + have, want);
      out.resize(have + n);
      total += n;
      if (n == 0) break;
      WakeSimIfWaiting();  // it may be blocked on a full ring
    }
    return total;
  }

  // One bounded sleep until the grant is done, a ring holds the wake fill, or the slice ends.
  // Throws PeerGone when the sim process died without finishing.
  WaitResult WaitOnce(std::int64_t slice_ns, std::int64_t spin_ns = 0) {
    auto* h = Header();
    auto ready = [&] {
      std::uint64_t fill = h->py_wake_fill.load(std::memory_order_relaxed);
      return Done() || Slots().Size() >= fill || Events().Size() >= fill;
    };
    if (ready()) return WaitResult::kReady;
    if (spin_ns > 0) {
      std::int64_t until = detail::MonotonicNs() + spin_ns;
      while (detail::MonotonicNs() < until)
        if (ready()) return WaitResult::kReady;
    }
    std::uint32_t word = h->to_py.load(std::memory_order_acquire);
    h->py_waiting.store(1, std::memory_order_seq_cst);
    if (!ready()) detail::FutexWait(&h->to_py, word, slice_ns);
    h->py_waiting.store(0, std::memory_order_relaxed);
    Beat();
    if (ready()) return WaitResult::kReady;
    CheckSimAlive();
    return WaitResult::kSliceOver;
  }

  void CheckSimAlive() const {
    if (SimState() < kSimFinished && !detail::ProcessAlive(SimPid()))
      throw PeerGone("bridge: the simulation process (pid " + std::to_string(SimPid()) + ") died");
  }

  // Tells the sim to stop at its next wait.
  void Close() {
    Header()->py_state.store(kPyClosed, std::memory_order_release);
    Header()->to_sim.fetch_add(1, std::memory_order_release);
    detail::FutexWakeAll(&Header()->to_sim);
  }

 private:
  static void CheckCapacity(const char* field, std::uint32_t n) {
    if (!IsPowerOfTwo(n) || n < 2)
      throw std::invalid_argument(std::string("bridge: ") + field + " must be a power of two >= 2, got " + std::to_string(n));
  }

  void InitHeader(const Capacities& caps, std::size_t bytes, std::uint32_t layout_version) {
    auto* h = Header();
    std::memset(static_cast<void*>(h), 0, sizeof(SegmentHeader));
    h->layout_hash = LayoutHash();
    h->slot_record_bytes = sizeof(SlotRecord);
    h->event_record_bytes = sizeof(EventRecord);
    h->command_bytes = sizeof(Command);
    h->slot_capacity = caps.slots;
    h->event_capacity = caps.events;
    h->command_capacity = caps.commands;
    h->total_bytes = bytes;
    h->py_pid = getpid();
    h->py_wake_fill.store(std::max<std::uint32_t>(1, std::min(caps.slots, caps.events) / 4));
    Beat();
    h->header_bytes = sizeof(SegmentHeader);
    h->layout_version = layout_version;
    std::atomic_thread_fence(std::memory_order_release);
    h->magic = kMagic;  // last: a half-written header is never taken for a valid one
  }

  void Beat() { Header()->py_heartbeat_ns.store(detail::MonotonicNs(), std::memory_order_relaxed); }
  void WakeSimIfWaiting() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    auto* h = Header();
    if (h->sim_waiting.load(std::memory_order_relaxed)) {
      h->to_sim.fetch_add(1, std::memory_order_release);
      detail::FutexWakeAll(&h->to_sim);
    }
  }

  std::string name_;
  bool linked_ = false;
  pid_t peer_pid_ = 0;
  std::uint64_t granted_ = 0;
};

}  // namespace layersplit
