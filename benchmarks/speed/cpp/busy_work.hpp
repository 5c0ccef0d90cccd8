// A fixed amount of computation standing in for one slot of ns-3 work. Counted in iterations,
// not time, so that a peer that steals the CPU makes it take longer, as it would a simulator.
#pragma once
#include <cstdint>

inline std::uint64_t BusyWork(std::uint64_t iters) {
  volatile std::uint64_t x = 88172645463325252ull;
  for (std::uint64_t i = 0; i < iters; ++i) {
    std::uint64_t v = x;
    v ^= v << 13;
    v ^= v >> 7;
    v ^= v << 17;
    x = v;
  }
  return x;
}
