#include "common/ue-setup.h"

#include <ns3/applications-module.h>
#include <ns3/box.h>
#include <ns3/double.h>
#include <ns3/enum.h>
#include <ns3/inet-socket-address.h>
#include <ns3/mobility-module.h>
#include <ns3/ns2-mobility-helper.h>
#include <ns3/pointer.h>
#include <ns3/rectangle.h>
#include <ns3/string.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace layersplit {

using namespace ns3;

namespace {

std::string Uniform(double lo, double hi) {
  std::ostringstream s;
  s << "ns3::UniformRandomVariable[Min=" << lo << "|Max=" << hi << "]";
  return s.str();
}

std::string Constant(double v) {
  std::ostringstream s;
  s << "ns3::ConstantRandomVariable[Constant=" << v << "]";
  return s.str();
}

}  // namespace

NodeContainer CreateUeNodes(const ScenarioConfig& cfg) {
  const std::size_t nUe = cfg.ues.size();
  if (nUe == 0 || static_cast<std::int64_t>(nUe) != cfg.top.Int("ue_count")) {
    throw std::runtime_error("config: ue_count does not match the number of ue lines");
  }
  NodeContainer ueNodes;
  ueNodes.Create(nUe);
  std::vector<Ptr<Node>> nodes;
  for (std::size_t i = 0; i < nUe; ++i) {
    nodes.push_back(ueNodes.Get(i));
    if (cfg.ues[i].Str("mobility") != "ns2") {
      InstallUeMobility(cfg.ues[i], ueNodes.Get(i));
    }
  }
  InstallNs2Mobility(cfg.ues, nodes);
  return ueNodes;
}

// Installs the mobility model of one UE (all but ns-2, which is installed per trace file).
void InstallUeMobility(const KeyValues& ue, Ptr<Node> node) {
  const std::string& kind = ue.Str("mobility");
  const Vector pos(ue.Num("x"), ue.Num("y"), ue.Num("z"));
  Ptr<MobilityModel> mm;
  if (kind == "constant_position") {
    mm = CreateObject<ConstantPositionMobilityModel>();
  } else if (kind == "constant_velocity") {
    auto cv = CreateObject<ConstantVelocityMobilityModel>();
    node->AggregateObject(cv);
    cv->SetPosition(pos);  // before SetVelocity: ConstantVelocityHelper::SetPosition zeroes the velocity
    cv->SetVelocity(Vector(ue.Num("vx"), ue.Num("vy"), ue.Num("vz")));
    return;
  } else if (kind == "random_walk") {
    auto rw = CreateObject<RandomWalk2dMobilityModel>();
    rw->SetAttribute("Bounds", RectangleValue(Rectangle(ue.Num("xmin"), ue.Num("xmax"),
                                                        ue.Num("ymin"), ue.Num("ymax"))));
    rw->SetAttribute("Speed", StringValue(Uniform(ue.Num("speed_min"), ue.Num("speed_max"))));
    const std::string& mode = ue.Str("walk_mode");
    if (mode == "time") {
      rw->SetAttribute("Mode", EnumValue(RandomWalk2dMobilityModel::MODE_TIME));
      rw->SetAttribute("Time", TimeValue(Seconds(ue.Num("walk_step"))));
    } else {
      rw->SetAttribute("Mode", EnumValue(RandomWalk2dMobilityModel::MODE_DISTANCE));
      rw->SetAttribute("Distance", DoubleValue(ue.Num("walk_step")));
    }
    mm = rw;
  } else if (kind == "random_waypoint") {
    auto wp = CreateObject<RandomWaypointMobilityModel>();
    auto alloc = CreateObject<RandomBoxPositionAllocator>();
    alloc->SetAttribute("X", StringValue(Uniform(ue.Num("xmin"), ue.Num("xmax"))));
    alloc->SetAttribute("Y", StringValue(Uniform(ue.Num("ymin"), ue.Num("ymax"))));
    alloc->SetAttribute("Z", StringValue(Constant(pos.z)));
    wp->SetAttribute("PositionAllocator", PointerValue(alloc));
    wp->SetAttribute("Speed", StringValue(Uniform(ue.Num("speed_min"), ue.Num("speed_max"))));
    wp->SetAttribute("Pause", StringValue(Constant(ue.Num("pause_s"))));
    mm = wp;
  } else if (kind == "gauss_markov") {
    auto gm = CreateObject<GaussMarkovMobilityModel>();
    gm->SetAttribute("Bounds", BoxValue(Box(ue.Num("xmin"), ue.Num("xmax"), ue.Num("ymin"),
                                            ue.Num("ymax"), pos.z, pos.z)));
    gm->SetAttribute("TimeStep", TimeValue(Seconds(ue.Num("time_step_s"))));
    gm->SetAttribute("Alpha", DoubleValue(ue.Num("alpha")));
    gm->SetAttribute("MeanVelocity", StringValue(Constant(ue.Num("mean_speed"))));
    gm->SetAttribute("MeanDirection", StringValue(Uniform(0, 6.283185307)));
    gm->SetAttribute("MeanPitch", StringValue(Constant(0)));
    gm->SetAttribute("NormalPitch",
                     StringValue("ns3::NormalRandomVariable[Mean=0.0|Variance=0.0|Bound=0.0]"));
    mm = gm;
  } else {
    throw std::runtime_error("config: " + ue.context + ": unknown mobility '" + kind + "'");
  }
  node->AggregateObject(mm);
  mm->SetPosition(pos);
}

void InstallNs2Mobility(const std::vector<KeyValues>& ues, const std::vector<Ptr<Node>>& nodes) {
  std::map<std::string, std::map<std::int64_t, Ptr<Node>>> byFile;
  for (std::size_t i = 0; i < ues.size(); ++i) {
    if (ues[i].Str("mobility") == "ns2") {
      byFile[ues[i].Str("ns2_file")][ues[i].Int("ns2_node")] = nodes[i];
    }
  }
  for (const auto& [file, idToNode] : byFile) {
    if (!std::ifstream(file)) {
      throw std::runtime_error("config: ns-2 mobility trace file not found: '" + file + "'");
    }
    NodeContainer c;
    std::int64_t expect = 0;
    for (const auto& [id, node] : idToNode) {
      if (id != expect++) {
        throw std::runtime_error("config: ns2_node ids of '" + file + "' must be 0..n-1");
      }
      c.Add(node);
    }
    Ns2MobilityHelper(file).Install(c.Begin(), c.End());
    for (const auto& [id, node] : idToNode) {
      if (!node->GetObject<MobilityModel>()) {
        throw std::runtime_error("config: '" + file + "' has no movement for $node_(" +
                                 std::to_string(id) + ")");
      }
    }
  }
}

void InstallTraffic(const KeyValues& ue, Ptr<Node> ueNode, Ipv4Address ueAddr, Ptr<Node> edge,
                    Ipv4Address edgeAddr, std::uint16_t ulPort, std::uint16_t dlPort) {
  const std::string& kind = ue.Str("traffic");
  if (kind == "none") {
    return;
  }
  if (kind != "cbr" && kind != "full_buffer") {
    throw std::runtime_error("config: " + ue.context + ": unknown traffic '" + kind + "'");
  }
  const std::string& dir = ue.Str("traffic_dir");
  const double rate = ue.Num("traffic_rate_bps");
  const auto size = static_cast<std::uint32_t>(ue.Int("traffic_packet_bytes"));
  const Time start = Seconds(ue.Num("traffic_start_s"));
  auto install = [&](Ptr<Node> from, Ptr<Node> to, Ipv4Address toAddr, std::uint16_t port) {
    OnOffHelper onoff("ns3::UdpSocketFactory", InetSocketAddress(toAddr, port));
    onoff.SetConstantRate(DataRate(static_cast<std::uint64_t>(rate)), size);
    ApplicationContainer a = onoff.Install(from);
    a.Start(start);
    PacketSinkHelper sink("ns3::UdpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
    sink.Install(to).Start(Seconds(0));
  };
  if (dir == "ul" || dir == "both") {
    install(ueNode, edge, edgeAddr, ulPort);
  }
  if (dir == "dl" || dir == "both") {
    install(edge, ueNode, ueAddr, dlPort);
  }
}

}  // namespace layersplit
