// The ZeroMQ REQ side of benchmarks/speed/bridge_rtt.py (the transport ns3-gym uses): sends a 64-byte
// state, waits for a 16-byte reply, N times, with optional work before each exchange.
#include "busy_work.hpp"

#include <zmq.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: zmq_peer ENDPOINT N WORK_ITERS\n");
    return 2;
  }
  std::uint64_t n = std::strtoull(argv[2], nullptr, 10), iters = std::strtoull(argv[3], nullptr, 10);
  void* ctx = zmq_ctx_new();
  void* sock = zmq_socket(ctx, ZMQ_REQ);
  int linger = 0;
  zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_connect(sock, argv[1]) != 0) {
    std::fprintf(stderr, "zmq_peer: connect %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
    return 2;
  }
  char state[64] = {0}, reply[16];
  for (std::uint64_t i = 0; i < n; ++i) {
    if (iters) BusyWork(iters);
    std::memcpy(state, &i, sizeof i);
    if (zmq_send(sock, state, sizeof state, 0) < 0 || zmq_recv(sock, reply, sizeof reply, 0) < 0) {
      std::fprintf(stderr, "zmq_peer: %s\n", zmq_strerror(zmq_errno()));
      return 2;
    }
  }
  zmq_close(sock);
  zmq_ctx_term(ctx);
  return 0;
}
