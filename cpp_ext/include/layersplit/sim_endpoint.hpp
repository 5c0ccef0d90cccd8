// The simulator's end of the bridge: opens the segment Python created, streams records,
// and blocks at each granted horizon until Python grants the next one.
#pragma once

#include "layersplit/segment.hpp"

#include <sys/prctl.h>

namespace layersplit {

struct WaitOptions {
  std::int64_t slice_ns = 100'000'000;  // longest single sleep; bounds how late a dead peer is noticed
  std::int64_t spin_ns = 20'000;        // busy-poll this long before sleeping (chosen by benchmarks/speed/bridge_rtt.py)
};

class SimEndpoint : public Segment {
 public:
  // geometry, when given, is published before attaching so Python sees it as soon as it attached.
  explicit SimEndpoint(const std::string& name, WaitOptions opts = {}, const Geometry* geometry = nullptr)
      : opts_(opts) {
    int fd = shm_open(name.c_str(), O_RDWR, 0);
    if (fd < 0)
      throw BridgeError("bridge: no shared-memory segment '" + name + "' (" + std::strerror(errno) +
                        "). Start this program through layersplit, which creates the segment and passes --bridge.");
    std::size_t bytes = CheckPrefix(fd, name);
    Map(fd, bytes, name);
    CheckLayout(name);
    BindRings();
    // Die with the launcher even if it is killed -9; the liveness checks below cover the rest.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    auto* h = Header();
    if (!detail::ProcessAlive(h->py_pid)) throw PeerGone("bridge: the Python side (pid " + std::to_string(h->py_pid) + ") is gone");
    h->sim_pid.store(getpid());
    if (geometry) {
      h->geometry_ues = geometry->ues;
      h->cell_position[0] = geometry->cell_x;
      h->cell_position[1] = geometry->cell_y;
      h->cell_position[2] = geometry->cell_z;
      if (geometry->cells.size() > kMaxGeometryCells)
        throw BridgeError("bridge: " + std::to_string(geometry->cells.size()) + " cells, at most " +
                          std::to_string(kMaxGeometryCells) + " can be published");
      h->geometry_cells = static_cast<std::uint32_t>(geometry->cells.size());
      for (std::size_t i = 0; i < geometry->cells.size(); ++i) {
        const Geometry::Cell& c = geometry->cells[i];
        h->cells[i].cell_id = c.id;
        h->cells[i].position[0] = c.x, h->cells[i].position[1] = c.y, h->cells[i].position[2] = c.z;
      }
    }
    Beat();
    running_since_ = detail::MonotonicNs();
    h->sim_state.store(kSimAttached, std::memory_order_release);
    WakePy();
  }

  // Streams one slot record; blocks (backpressure) while the ring is full. Assigns seq.
  void PushSlot(SlotRecord rec) {
    rec.seq = slot_seq_++;
    while (!Slots().TryPush(rec)) WaitForSpace([this] { return Slots().Size() < Slots().Capacity(); });
    MaybeWakePy(Slots().Size());
  }

  void PushEvent(EventRecord rec) {
    rec.seq = event_seq_++;
    while (!Events().TryPush(rec)) WaitForSpace([this] { return Events().Size() < Events().Capacity(); });
    MaybeWakePy(Events().Size());
  }

  // End of the granted time: slots starting before Horizon() may be simulated.
  std::int64_t Horizon() const { return horizon_; }

  // Reports that the simulation reached now_ns (all records before it are written) and blocks
  // until Python grants a horizon beyond it. Each command of that grant goes to on_command.
  // Returns false when Python closed the run instead.
  template <class OnCommand>
  bool AwaitGrant(std::int64_t now_ns, OnCommand&& on_command) {
    auto* h = Header();
    while (true) {
      AddBusy();
      h->sim_now_ns.store(now_ns, std::memory_order_relaxed);
      h->ack_seq.store(granted_seq_, std::memory_order_release);
      WakePyIfWaiting();
      WaitFor([&] { return h->grant_seq.load(std::memory_order_acquire) > granted_seq_ || PyClosed(); });
      if (PyClosed()) return false;
      running_since_ = detail::MonotonicNs();
      granted_seq_ = h->grant_seq.load(std::memory_order_acquire);
      horizon_ = h->grant_horizon_ns.load(std::memory_order_relaxed);
      std::uint32_t n = h->grant_commands.load(std::memory_order_relaxed);
      Command cmd;
      for (std::uint32_t i = 0; i < n && Commands().Pop(&cmd, 1) == 1; ++i) on_command(cmd);
      if (horizon_ > now_ns) return true;
    }
  }

  void Finish(std::int64_t now_ns) {
    auto* h = Header();
    AddBusy();
    h->sim_now_ns.store(now_ns, std::memory_order_relaxed);
    h->sim_state.store(kSimFinished, std::memory_order_release);
    h->ack_seq.store(h->grant_seq.load(std::memory_order_acquire), std::memory_order_release);
    WakePy();
  }

  void Fail(const std::string& message) {
    auto* h = Header();
    std::size_t n = std::min(message.size(), sizeof(h->error) - 1);
    std::memcpy(h->error, message.data(), n);
    h->error[n] = '\0';
    h->sim_state.store(kSimFailed, std::memory_order_release);
    WakePy();
  }

 private:
  static std::size_t CheckPrefix(int fd, const std::string& name) {
    struct stat st{};
    std::uint64_t magic = 0;
    std::uint32_t version = 0;
    if (fstat(fd, &st) != 0 || st.st_size < 16 || pread(fd, &magic, 8, 0) != 8 || pread(fd, &version, 4, 8) != 4 ||
        magic != kMagic) {
      close(fd);
      throw LayoutMismatch("bridge: segment '" + name + "' is not a layersplit bridge segment");
    }
    if (version != kLayoutVersion) {
      close(fd);
      throw LayoutMismatch("bridge: layout version mismatch: the Python side created layout version " +
                           std::to_string(version) + ", this program was built with layout version " +
                           std::to_string(kLayoutVersion) + ". Rebuild both from the same layersplit source.");
    }
    return static_cast<std::size_t>(st.st_size);
  }

  void CheckLayout(const std::string& name) {
    auto* h = Header();
    if (h->header_bytes != sizeof(SegmentHeader) || h->layout_hash != LayoutHash() ||
        h->slot_record_bytes != sizeof(SlotRecord) || h->event_record_bytes != sizeof(EventRecord) ||
        h->command_bytes != sizeof(Command))
      throw LayoutMismatch("bridge: segment '" + name + "' has layout version " + std::to_string(kLayoutVersion) +
                           " but a different record layout (hash " + std::to_string(h->layout_hash) + ", this program " +
                           std::to_string(LayoutHash()) + "). Rebuild both from the same layersplit source.");
  }

  void AddBusy() {
    std::int64_t now = detail::MonotonicNs();
    Header()->sim_busy_ns.fetch_add(now - running_since_, std::memory_order_relaxed);
    running_since_ = now;
  }

  bool PyClosed() const { return Header()->py_state.load(std::memory_order_acquire) == kPyClosed; }
  void Beat() { Header()->sim_heartbeat_ns.store(detail::MonotonicNs(), std::memory_order_relaxed); }

  void WakePy() {
    Header()->to_py.fetch_add(1, std::memory_order_release);
    detail::FutexWakeAll(&Header()->to_py);
  }
  void WakePyIfWaiting() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (Header()->py_waiting.exchange(0)) WakePy();
  }
  // Python sleeps through streaming until a ring holds py_wake_fill records: one wake-up per
  // batch, not per record.
  void MaybeWakePy(std::uint64_t fill) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    auto* h = Header();
    if (h->py_waiting.load(std::memory_order_relaxed) && fill >= h->py_wake_fill.load(std::memory_order_relaxed) &&
        h->py_waiting.exchange(0))
      WakePy();
  }

  template <class Ready>
  void WaitForSpace(Ready ready) {
    WakePyIfWaiting();
    WaitFor([&] { return ready() || PyClosed(); });
    if (PyClosed()) throw PeerGone("bridge: the Python side closed the run");
  }

  // Spin, then sleep on the futex in slices, checking that Python still lives between slices.
  template <class Ready>
  void WaitFor(Ready ready) {
    auto* h = Header();
    if (ready()) return;
    if (opts_.spin_ns > 0) {
      std::int64_t until = detail::MonotonicNs() + opts_.spin_ns;
      while (detail::MonotonicNs() < until)
        if (ready()) return;
    }
    while (true) {
      std::uint32_t word = h->to_sim.load(std::memory_order_acquire);
      h->sim_waiting.store(1, std::memory_order_seq_cst);
      if (ready()) break;
      detail::FutexWait(&h->to_sim, word, opts_.slice_ns);
      Beat();
      if (ready()) break;
      if (!detail::ProcessAlive(h->py_pid))
        throw PeerGone("bridge: the Python side (pid " + std::to_string(h->py_pid) + ") died");
    }
    h->sim_waiting.store(0, std::memory_order_relaxed);
  }

  WaitOptions opts_;
  std::uint64_t granted_seq_ = 0;
  std::int64_t running_since_ = 0;
  std::int64_t horizon_ = 0;
  std::uint64_t slot_seq_ = 0;
  std::uint64_t event_seq_ = 0;
};

}  // namespace layersplit
