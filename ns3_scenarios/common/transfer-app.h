// TransferApp: "UE u sends B bytes tagged r now" (uplink) and "the edge sends B bytes to UE u"
// (downlink), carried as real UDP packets through the radio stack (LTE or NR, with its EPC).
//
// A transfer of B bytes becomes n = ceil(B / payload) packets; packet i carries min(payload,
// B - i*payload) data bytes plus a 32-byte TransferHeader (tag, packet index, n, send time, ...),
// so each UDP datagram is data + 32 bytes. Every packet yields exactly one EventRecord:
//   delivered: t_recv_ns = arrival time at the receiving socket;
//   lost:      no arrival within LossTimeout of sending -> reported at t_send + LossTimeout with
//              t_recv_ns = -1; a later arrival of that packet is ignored.
// Finish() reports every packet still outstanding as lost (call at the end of the run).
// Loss is thus decided in simulated time only, so runs stay deterministic.
#pragma once

#include "common/record-sink.h"

#include <ns3/event-id.h>
#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/object.h>
#include <ns3/socket.h>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace layersplit {

class TransferApp : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId();
  TransferApp();
  ~TransferApp() override;

  static constexpr std::uint32_t kHeaderBytes = 32;

  void SetSink(RecordSink* sink) { m_sink = sink; }
  /// Opens the sockets: one per UE (downlink receive + uplink send) and one on the edge host.
  void Setup(ns3::Ptr<ns3::Node> edge, ns3::Ipv4Address edgeAddress,
             const std::vector<ns3::Ptr<ns3::Node>>& ues, const std::vector<ns3::Ipv4Address>& ueAddresses);
  /// UE `ue` sends `bytes` to the edge now. payloadBytes 0 = the PayloadBytes attribute.
  void SendUplink(std::uint16_t ue, std::uint32_t bytes, std::uint64_t tag, std::uint32_t payloadBytes = 0);
  /// The edge sends `bytes` to UE `ue` now.
  void SendDownlink(std::uint16_t ue, std::uint32_t bytes, std::uint64_t tag, std::uint32_t payloadBytes = 0);
  /// Executes a bridge Command (kCmdUplink / kCmdDownlink) now; throws std::invalid_argument on a
  /// bad kind or UE index.
  void Execute(const Command& cmd);
  /// Reports every outstanding packet as lost (t_recv = -1), in send order.
  void Finish();

  /// Called when every packet of a transfer (a tag) has its fate, right after its last event.
  void SetDoneCallback(std::function<void(std::uint64_t tag)> done) { m_done = std::move(done); }

  std::uint64_t GetEventCount() const { return m_eventSeq; }
  std::size_t GetOutstanding() const { return m_pending.size(); }

 protected:
  void DoDispose() override;

 private:
  struct Pending {
    EventRecord rec;
    ns3::EventId timeout;
  };
  void Send(bool uplink, std::uint16_t ue, std::uint32_t bytes, std::uint64_t tag, std::uint32_t payload);
  void OnReceive(ns3::Ptr<ns3::Socket> socket);
  void OnTimeout(std::uint64_t id);
  void Emit(const EventRecord& rec, std::int64_t tRecvNs);

  RecordSink* m_sink = nullptr;
  ns3::Time m_lossTimeout;
  std::uint32_t m_payloadBytes = 1000;
  std::uint16_t m_ulPort = 7000;
  std::uint16_t m_dlPort = 7001;
  ns3::Ptr<ns3::Socket> m_edgeSocket;
  std::vector<ns3::Ptr<ns3::Socket>> m_ueSockets;
  ns3::Ipv4Address m_edgeAddress;
  std::vector<ns3::Ipv4Address> m_ueAddresses;
  std::map<std::uint64_t, Pending> m_pending;  // by packet id (send order)
  std::map<std::uint64_t, std::uint32_t> m_unfated;  // tag -> packets without a fate yet
  std::function<void(std::uint64_t)> m_done;
  std::uint64_t m_nextId = 0;
  std::uint64_t m_eventSeq = 0;
};

}  // namespace layersplit
