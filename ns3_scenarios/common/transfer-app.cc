#include "common/transfer-app.h"

#include <ns3/inet-socket-address.h>
#include <ns3/log.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>
#include <ns3/uinteger.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace layersplit {

using namespace ns3;

NS_LOG_COMPONENT_DEFINE("LayersplitTransferApp");
NS_OBJECT_ENSURE_REGISTERED(TransferApp);

namespace {
// On-the-wire header: id (8), tag (8), send time ns (8), packet index (4), n packets (4).
struct WireHeader {
  std::uint64_t id;
  std::uint64_t tag;
  std::int64_t sendNs;
  std::uint32_t packet;
  std::uint32_t nPackets;
};
static_assert(sizeof(WireHeader) == TransferApp::kHeaderBytes);
}  // namespace

TypeId TransferApp::GetTypeId() {
  static TypeId tid =
      TypeId("layersplit::TransferApp")
          .SetParent<Object>()
          .AddConstructor<TransferApp>()
          .AddAttribute("LossTimeout",
                        "A packet not received this long after it was sent is reported lost.",
                        TimeValue(MilliSeconds(1000)), MakeTimeAccessor(&TransferApp::m_lossTimeout),
                        MakeTimeChecker(MilliSeconds(1)))
          .AddAttribute("PayloadBytes", "Default data bytes per UDP packet (header excluded).",
                        UintegerValue(1000), MakeUintegerAccessor(&TransferApp::m_payloadBytes),
                        MakeUintegerChecker<std::uint32_t>(1, 65000))
          .AddAttribute("UplinkPort", "UDP port of the edge host's receiving socket.",
                        UintegerValue(7000), MakeUintegerAccessor(&TransferApp::m_ulPort),
                        MakeUintegerChecker<std::uint16_t>())
          .AddAttribute("DownlinkPort", "UDP port of each UE's receiving socket.", UintegerValue(7001),
                        MakeUintegerAccessor(&TransferApp::m_dlPort),
                        MakeUintegerChecker<std::uint16_t>());
  return tid;
}

TransferApp::TransferApp() = default;
TransferApp::~TransferApp() = default;

void TransferApp::DoDispose() {
  for (auto& [id, p] : m_pending) {
    p.timeout.Cancel();
  }
  m_pending.clear();
  m_edgeSocket = nullptr;
  m_ueSockets.clear();
  Object::DoDispose();
}

void TransferApp::Setup(Ptr<Node> edge, Ipv4Address edgeAddress, const std::vector<Ptr<Node>>& ues,
                        const std::vector<Ipv4Address>& ueAddresses) {
  m_edgeAddress = edgeAddress;
  m_ueAddresses = ueAddresses;
  m_edgeSocket = Socket::CreateSocket(edge, UdpSocketFactory::GetTypeId());
  m_edgeSocket->Bind(InetSocketAddress(Ipv4Address::GetAny(), m_ulPort));
  m_edgeSocket->SetRecvCallback(MakeCallback(&TransferApp::OnReceive, this));
  for (std::size_t i = 0; i < ues.size(); ++i) {
    Ptr<Socket> s = Socket::CreateSocket(ues[i], UdpSocketFactory::GetTypeId());
    s->Bind(InetSocketAddress(Ipv4Address::GetAny(), m_dlPort));
    s->SetRecvCallback(MakeCallback(&TransferApp::OnReceive, this));
    m_ueSockets.push_back(s);
  }
}

void TransferApp::SendUplink(std::uint16_t ue, std::uint32_t bytes, std::uint64_t tag, std::uint32_t payload) {
  Send(true, ue, bytes, tag, payload);
}

void TransferApp::SendDownlink(std::uint16_t ue, std::uint32_t bytes, std::uint64_t tag, std::uint32_t payload) {
  Send(false, ue, bytes, tag, payload);
}

void TransferApp::Execute(const Command& cmd) {
  if (cmd.kind == kCmdUplink) {
    SendUplink(cmd.ue, cmd.bytes, cmd.tag, cmd.payload_bytes);
  } else if (cmd.kind == kCmdDownlink) {
    SendDownlink(cmd.ue, cmd.bytes, cmd.tag, cmd.payload_bytes);
  } else {
    throw std::invalid_argument("TransferApp: unsupported command kind " + std::to_string(cmd.kind));
  }
}

void TransferApp::Send(bool uplink, std::uint16_t ue, std::uint32_t bytes, std::uint64_t tag,
                       std::uint32_t payload) {
  if (ue >= m_ueSockets.size()) {
    throw std::invalid_argument("TransferApp: UE " + std::to_string(ue) + " out of range 0.." +
                                std::to_string(m_ueSockets.size() - 1));
  }
  if (payload == 0) {
    payload = m_payloadBytes;
  }
  if (payload > 65000) {
    throw std::invalid_argument("TransferApp: payload_bytes " + std::to_string(payload) + " > 65000");
  }
  const std::uint32_t n = bytes == 0 ? 1 : (bytes + payload - 1) / payload;
  const std::int64_t now = Simulator::Now().GetNanoSeconds();
  Ptr<Socket> from = uplink ? m_ueSockets[ue] : m_edgeSocket;
  const InetSocketAddress to = uplink ? InetSocketAddress(m_edgeAddress, m_ulPort)
                                      : InetSocketAddress(m_ueAddresses[ue], m_dlPort);
  m_unfated[tag] += n;
  std::vector<std::uint8_t> buf;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t data = std::min<std::uint32_t>(payload, bytes - std::min(bytes, i * payload));
    const std::uint64_t id = m_nextId++;
    WireHeader h{id, tag, now, i, n};
    buf.assign(kHeaderBytes + data, 0);
    std::memcpy(buf.data(), &h, sizeof h);
    Pending p;
    p.rec = EventRecord{};
    p.rec.t_send_ns = now;
    p.rec.tag = tag;
    p.rec.packet = i;
    p.rec.bytes = data;
    p.rec.ue = ue;
    p.rec.direction = uplink ? kUplink : kDownlink;
    p.rec.kind = kEventPacket;
    p.rec.n_packets = n;
    p.timeout = Simulator::Schedule(m_lossTimeout, &TransferApp::OnTimeout, this, id);
    m_pending.emplace(id, p);
    from->SendTo(Create<Packet>(buf.data(), buf.size()), 0, to);
  }
}

void TransferApp::OnReceive(Ptr<Socket> socket) {
  Ptr<Packet> pkt;
  while ((pkt = socket->Recv())) {
    if (pkt->GetSize() < kHeaderBytes) {
      continue;
    }
    WireHeader h;
    pkt->CopyData(reinterpret_cast<std::uint8_t*>(&h), sizeof h);
    auto it = m_pending.find(h.id);
    if (it == m_pending.end()) {
      continue;  // already reported lost (late arrival) or a duplicate
    }
    it->second.timeout.Cancel();
    const EventRecord rec = it->second.rec;
    m_pending.erase(it);
    Emit(rec, Simulator::Now().GetNanoSeconds());
  }
}

void TransferApp::OnTimeout(std::uint64_t id) {
  auto it = m_pending.find(id);
  if (it == m_pending.end()) {
    return;
  }
  const EventRecord rec = it->second.rec;
  m_pending.erase(it);
  Emit(rec, -1);
}

void TransferApp::Finish() {
  for (auto& [id, p] : m_pending) {
    p.timeout.Cancel();
    Emit(p.rec, -1);
  }
  m_pending.clear();
}

void TransferApp::Emit(const EventRecord& rec, std::int64_t tRecvNs) {
  EventRecord e = rec;
  e.t_recv_ns = tRecvNs;
  e.seq = m_eventSeq++;
  if (m_sink != nullptr) {
    m_sink->PushEvent(e);
  }
  auto it = m_unfated.find(rec.tag);
  if (it != m_unfated.end() && --it->second == 0) {
    m_unfated.erase(it);
    if (m_done) m_done(rec.tag);
  }
}

}  // namespace layersplit
