// The C++ side of benchmarks/speed/bridge_rtt.py. Modes:
//   --mode=calibrate --work-us=W      print the BusyWork iterations that take W us here
//   --mode=work --n=N --work-iters=K  print the mean step time of the work alone
//   --mode=steps --bridge=S --n=N [--work-iters=K] [--spin-ns=T]
//                                     N steps of (work, one record); waits for a grant whenever the
//                                     granted horizon (in steps) is reached: pingpong, horizon, stream
//   --mode=floor --n=N                two processes ping-pong on shared memory, spinning: the floor
#include "busy_work.hpp"
#include "layersplit/bridge.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sched.h>
#include <sys/wait.h>
#include <vector>

using namespace layersplit;

namespace {

struct Args {
  std::string mode, bridge;
  std::uint64_t n = 100000, work_iters = 0;
  std::int64_t spin_ns = 0;
  double work_us = 300;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("expected --key=value, got " + arg);
    std::string k = arg.substr(0, eq), v = arg.substr(eq + 1);
    if (k == "--mode") a.mode = v;
    else if (k == "--bridge") a.bridge = v;
    else if (k == "--n") a.n = std::stoull(v);
    else if (k == "--work-iters") a.work_iters = std::stoull(v);
    else if (k == "--spin-ns") a.spin_ns = std::stoll(v);
    else if (k == "--work-us") a.work_us = std::stod(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  return a;
}

void Calibrate(double work_us) {
  std::uint64_t iters = 1000;
  while (true) {
    auto t0 = detail::MonotonicNs();
    BusyWork(iters);
    double us = (detail::MonotonicNs() - t0) / 1e3;
    if (us > 20000) {
      std::printf("%llu\n", static_cast<unsigned long long>(iters * work_us / us));
      return;
    }
    iters *= 2;
  }
}

void Work(const Args& a) {
  auto t0 = detail::MonotonicNs();
  for (std::uint64_t i = 0; i < a.n; ++i) BusyWork(a.work_iters);
  std::printf("%.3f\n", (detail::MonotonicNs() - t0) / 1e3 / a.n);
}

// Each step: optional work and one 64-byte record; at the granted horizon, wait for the next grant.
// Python chooses the rhythm: a grant per step (ping-pong), every G steps (horizon) or once (stream).
void Steps(const Args& a) {
  SimEndpoint ep(a.bridge, WaitOptions{100'000'000, a.spin_ns});
  SlotRecord r{};
  for (std::uint64_t i = 0; i < a.n; ++i) {
    if (i >= static_cast<std::uint64_t>(ep.Horizon()) && !ep.AwaitGrant(i, [](const Command&) {})) return;
    if (a.work_iters) BusyWork(a.work_iters);
    r.t_ns = static_cast<std::int64_t>(i);
    ep.PushSlot(r);
  }
  ep.Finish(static_cast<std::int64_t>(a.n));
}

void Floor(const Args& a) {
  auto* w = static_cast<std::atomic<std::uint64_t>*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  auto* ping = &w[0];
  auto* pong = &w[8];  // another cache line
  cpu_set_t mine;
  sched_getaffinity(0, sizeof mine, &mine);
  pid_t child = fork();
  if (child == 0) {
    // Two spinners on one CPU take turns by time slice (ms); give the child the other CPU.
    cpu_set_t other;
    CPU_ZERO(&other);
    for (int c = 0; c < 2; ++c)
      if (!CPU_ISSET(c, &mine)) CPU_SET(c, &other);
    if (CPU_COUNT(&other) > 0) sched_setaffinity(0, sizeof other, &other);
    for (std::uint64_t i = 1; i <= a.n; ++i) {
      while (ping->load(std::memory_order_acquire) != i) {}
      pong->store(i, std::memory_order_release);
    }
    _exit(0);
  }
  std::vector<double> rtt(a.n);
  for (std::uint64_t i = 1; i <= a.n; ++i) {
    auto t0 = detail::MonotonicNs();
    ping->store(i, std::memory_order_release);
    while (pong->load(std::memory_order_acquire) != i) {}
    rtt[i - 1] = (detail::MonotonicNs() - t0) / 1e3;
  }
  waitpid(child, nullptr, 0);
  std::sort(rtt.begin(), rtt.end());
  std::printf("%.3f %.3f\n", rtt[a.n / 2], rtt[a.n * 99 / 100]);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = Parse(argc, argv);
    if (a.mode == "calibrate") Calibrate(a.work_us);
    else if (a.mode == "work") Work(a);
    else if (a.mode == "steps") Steps(a);
    else if (a.mode == "floor") Floor(a);
    else throw std::invalid_argument("unknown mode " + a.mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bridge_peer: %s\n", e.what());
    return 2;
  }
  return 0;
}
