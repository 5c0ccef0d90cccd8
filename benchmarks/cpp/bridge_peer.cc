// The C++ side of benchmarks/bridge_rtt.py. Modes:
//   calibrate --work-us W          print the BusyWork iterations that take W us here
//   work      --n N --work-iters K print the mean step time of the work alone
//   pingpong  --bridge S --n N [--work-iters K] [--spin-ns T]   a record, then wait for a grant, N times
//   horizon   --bridge S --n N --grant-every G [--work-iters K]  a record per step, a grant every G steps
//   stream    --bridge S --n N     N records under one grant (throughput)
//   floor     --n N                two processes ping-pong on shared memory, spinning: the floor
#include "busy_work.hpp"
#include "layersplit/bridge.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <vector>

using namespace layersplit;

namespace {

struct Args {
  std::string mode, bridge;
  std::uint64_t n = 100000, work_iters = 0, grant_every = 100;
  std::int64_t spin_ns = 0;
  double work_us = 300;
};

Args Parse(int argc, char** argv) {
  Args a;
  if (argc < 2) throw std::invalid_argument("usage: bridge_peer MODE [--bridge S] [--n N] ...");
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--bridge") a.bridge = v;
    else if (k == "--n") a.n = std::stoull(v);
    else if (k == "--work-iters") a.work_iters = std::stoull(v);
    else if (k == "--grant-every") a.grant_every = std::stoull(v);
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

// Each step: optional work, one 64-byte record, then (every grant_every steps) wait for a grant.
void Steps(const Args& a, std::uint64_t grant_every) {
  SimEndpoint ep(a.bridge, WaitOptions{100'000'000, a.spin_ns});
  SlotRecord r{};
  for (std::uint64_t i = 0; i < a.n; ++i) {
    if (i >= static_cast<std::uint64_t>(ep.Horizon()) && !ep.AwaitGrant(i, [](const Command&) {})) return;
    if (a.work_iters) BusyWork(a.work_iters);
    r.t_ns = static_cast<std::int64_t>(i);
    ep.PushSlot(r);
    (void)grant_every;
  }
  ep.Finish(static_cast<std::int64_t>(a.n));
}

void Floor(const Args& a) {
  auto* w = static_cast<std::atomic<std::uint64_t>*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  auto* ping = &w[0];
  auto* pong = &w[8];  // another cache line
  pid_t child = fork();
  if (child == 0) {
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
    else if (a.mode == "pingpong") Steps(a, 1);
    else if (a.mode == "horizon" || a.mode == "stream") Steps(a, a.grant_every);
    else if (a.mode == "floor") Floor(a);
    else throw std::invalid_argument("unknown mode " + a.mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bridge_peer: %s\n", e.what());
    return 2;
  }
  return 0;
}
