// Low-level pieces of the bridge: monotonic time, futex waits on shared memory, peer liveness.
// Kept apart from the segment layout so both can be read (and tested) on their own.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <linux/futex.h>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace layersplit {

// Base of every bridge failure; the Python module maps it to cosim.BridgeError.
class BridgeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The other process died or closed the run.
class PeerGone : public BridgeError {
 public:
  using BridgeError::BridgeError;
};
// The two sides were built from different record layouts.
class LayoutMismatch : public BridgeError {
 public:
  using BridgeError::BridgeError;
};

namespace detail {

inline std::int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

static_assert(sizeof(std::atomic<std::uint32_t>) == 4, "futex words must be plain 32-bit");

// Sleeps while *word == expected, at most timeout_ns. Not FUTEX_PRIVATE: the word is shared
// between processes. Spurious returns are fine, every caller re-checks its condition.
inline void FutexWait(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns) {
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

inline void FutexWakeAll(std::atomic<std::uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

// kill(pid, 0) alone is not enough: a dead child stays a zombie until its parent reaps it,
// and the parent is the very process asking.
inline bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return true;  // not known yet
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return true;
  char state = line[close + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace detail
}  // namespace layersplit
