// A researcher's own ns-3 LTE script joined to layersplit with CosimHelper: a serving cell with
// two static UEs (the edge server behind its PGW) and, optionally, an interfering cell 500 m away
// whose eNB serves a UE of its own with a full-buffer downlink on the same carrier.
// With --interferer=false it is the cell of examples/lte_static.yaml, built by hand.
// UE 1 (400 m) is then about 100 m from the interfering eNB: its downlink SINR (dl_sinr_db, the
// control-region SINR) falls from about 3.7 dB to about -17.8 dB and its CQI from 3 to 0.
// --interferer-uplink adds a full-buffer uplink from the neighbour's UE: its data hits the serving
// eNB's uplink data receptions but not the SRS the scheduler picks MCS from, so UE 1's blocks fail.
// --record-neighbour records the interfering cell's UE too (UE 2): both eNBs go to CosimHelper,
// and each record names its UE's serving cell (cell_id 1 or 2). That UE is RNTI 1 in its cell, as
// UE 0 is in the serving cell: the helper tells them apart by (cell id, RNTI).
// --cell-x/--cell-y move the whole layout (the serving eNB's position); layersplit learns it
// from CosimHelper, no YAML key needed.
#include <layersplit/lte/cosim-helper.h>

#include <ns3/applications-module.h>
#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/lte-module.h>
#include <ns3/mobility-module.h>
#include <ns3/point-to-point-module.h>

using namespace ns3;

int main(int argc, char* argv[]) {
  bool interferer = true;
  bool interfererUplink = false;
  bool recordNeighbour = false;
  double interfererDistance = 500;  // m from the serving eNB
  double cellX = 0, cellY = 0;      // the serving eNB
  layersplit::CosimHelper cosim;
  CommandLine cmd(__FILE__);
  cmd.AddValue("interferer", "add an interfering cell with a full-buffer downlink", interferer);
  cmd.AddValue("interferer-distance", "distance of the interfering eNB, m", interfererDistance);
  cmd.AddValue("interferer-uplink", "the interfering cell's UE also sends a full-buffer uplink", interfererUplink);
  cmd.AddValue("record-neighbour", "with --interferer: record the interfering cell's UE too (UE 2)",
               recordNeighbour);
  cmd.AddValue("cell-x", "x of the serving eNB, m (the layout moves with it)", cellX);
  cmd.AddValue("cell-y", "y of the serving eNB, m (the layout moves with it)", cellY);
  cosim.AddCommandLine(cmd);
  cmd.Parse(argc, argv);

  Config::SetDefault("ns3::LteEnbRrc::EpsBearerToRlcMapping", EnumValue(LteEnbRrc::RLC_UM_ALWAYS));
  Config::SetDefault("ns3::LteRlcUm::MaxTxBufferSize", UintegerValue(8 * 1024 * 1024));
  Config::SetDefault("ns3::LteRlcAm::MaxTxBufferSize", UintegerValue(8 * 1024 * 1024));
  Config::SetDefault("ns3::LteRlcAm::TxOpportunityForRetxAlwaysBigEnough", BooleanValue(true));
  Config::SetDefault("ns3::LteEnbRrc::SrsPeriodicity", UintegerValue(40));
  Config::SetDefault("ns3::LteUePhy::TxPower", DoubleValue(23.0));
  Config::SetDefault("ns3::LteUePhy::EnableRlfDetection", BooleanValue(false));
  Config::SetDefault("ns3::DropTailQueue<Packet>::MaxSize", StringValue("1000000p"));

  auto lte = CreateObject<LteHelper>();
  auto epc = CreateObject<PointToPointEpcHelper>();
  lte->SetEpcHelper(epc);
  lte->SetEnbDeviceAttribute("DlBandwidth", UintegerValue(25));
  lte->SetEnbDeviceAttribute("UlBandwidth", UintegerValue(25));
  lte->SetEnbDeviceAttribute("DlEarfcn", UintegerValue(100));
  lte->SetEnbDeviceAttribute("UlEarfcn", UintegerValue(18100));
  lte->SetUeDeviceAttribute("DlEarfcn", UintegerValue(100));
  lte->SetSchedulerType("ns3::PfFfMacScheduler");
  lte->SetSchedulerAttribute("HarqEnabled", BooleanValue(true));
  lte->SetPathlossModelType(LogDistancePropagationLossModel::GetTypeId());
  lte->SetPathlossModelAttribute("Exponent", StringValue("3.0"));
  lte->SetPathlossModelAttribute("ReferenceLoss", StringValue("46.6777"));

  // The edge server: a host behind the PGW, 1 ms away.
  Ptr<Node> edge = CreateObject<Node>();
  InternetStackHelper internet;
  internet.Install(edge);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate("100Gbps")));
  p2p.SetDeviceAttribute("Mtu", UintegerValue(1500));
  p2p.SetChannelAttribute("Delay", TimeValue(MilliSeconds(1)));
  Ipv4AddressHelper ipv4;
  ipv4.SetBase("1.0.0.0", "255.0.0.0");
  Ipv4Address edgeAddress = ipv4.Assign(p2p.Install(epc->GetPgwNode(), edge)).GetAddress(1);
  Ipv4StaticRoutingHelper routing;
  routing.GetStaticRouting(edge->GetObject<Ipv4>())->AddNetworkRouteTo("7.0.0.0", "255.0.0.0", 1);

  // Serving eNB at (cell-x, cell-y) (25 m mast), two static UEs 60 m and 400 m east of it.
  Ptr<Node> enb = CreateObject<Node>();
  auto enbPos = CreateObject<ConstantPositionMobilityModel>();
  enbPos->SetPosition(Vector(cellX, cellY, 25));
  enb->AggregateObject(enbPos);
  NodeContainer ues;
  ues.Create(2);
  const Vector uePos[] = {{cellX + 60, cellY, 1.5}, {cellX + 400, cellY, 1.5}};
  for (uint32_t i = 0; i < ues.GetN(); ++i) {
    auto m = CreateObject<ConstantPositionMobilityModel>();
    ues.Get(i)->AggregateObject(m);
    m->SetPosition(uePos[i]);
  }
  NetDeviceContainer enbDevs = lte->InstallEnbDevice(NodeContainer(enb));
  NetDeviceContainer ueDevs = lte->InstallUeDevice(ues);
  internet.Install(ues);
  Ipv4InterfaceContainer ueIfs = epc->AssignUeIpv4Address(ueDevs);
  std::vector<Ptr<LteUeNetDevice>> ueDevices;
  std::vector<Ptr<Node>> ueNodes;
  std::vector<Ipv4Address> ueAddresses;
  for (uint32_t i = 0; i < ues.GetN(); ++i) {
    routing.GetStaticRouting(ues.Get(i)->GetObject<Ipv4>())->SetDefaultRoute(epc->GetUeDefaultGatewayAddress(), 1);
    ueDevices.push_back(DynamicCast<LteUeNetDevice>(ueDevs.Get(i)));
    ueNodes.push_back(ues.Get(i));
    ueAddresses.push_back(ueIfs.GetAddress(i));
  }
  lte->Attach(ueDevs, enbDevs.Get(0));

  std::vector<Ptr<LteEnbNetDevice>> enbDevices{DynamicCast<LteEnbNetDevice>(enbDevs.Get(0))};
  if (interferer) {  // a neighbour cell on the same carrier, busy with a full-buffer downlink
    NodeContainer other;
    other.Create(2);
    MobilityHelper mob;
    auto pos = CreateObject<ListPositionAllocator>();
    pos->Add(Vector(cellX + interfererDistance, cellY, 25));
    pos->Add(Vector(cellX + interfererDistance - 100, cellY + 50, 1.5));
    mob.SetPositionAllocator(pos);
    mob.Install(other);
    NetDeviceContainer otherEnb = lte->InstallEnbDevice(NodeContainer(other.Get(0)));
    NetDeviceContainer otherUe = lte->InstallUeDevice(NodeContainer(other.Get(1)));
    internet.Install(other.Get(1));
    Ipv4Address otherAddr = epc->AssignUeIpv4Address(otherUe).GetAddress(0);
    routing.GetStaticRouting(other.Get(1)->GetObject<Ipv4>())->SetDefaultRoute(epc->GetUeDefaultGatewayAddress(), 1);
    lte->Attach(otherUe, otherEnb.Get(0));
    if (recordNeighbour) {  // its UE gets records too; its eNB must then be hooked as well
      enbDevices.push_back(DynamicCast<LteEnbNetDevice>(otherEnb.Get(0)));
      ueDevices.push_back(DynamicCast<LteUeNetDevice>(otherUe.Get(0)));
      ueNodes.push_back(other.Get(1));
      ueAddresses.push_back(otherAddr);
    }
    OnOffHelper flood("ns3::UdpSocketFactory", InetSocketAddress(otherAddr, 9999));
    flood.SetConstantRate(DataRate("20Mbps"), 1200);
    flood.Install(edge).Start(Seconds(0.1));
    if (interfererUplink) {
      OnOffHelper up("ns3::UdpSocketFactory", InetSocketAddress(edgeAddress, 9998));
      up.SetConstantRate(DataRate("20Mbps"), 1200);
      up.Install(other.Get(1)).Start(Seconds(0.1));
      PacketSinkHelper("ns3::UdpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), 9998)).Install(edge);
    }
  }

  cosim.Install(enbDevices, ueDevices, edge, edgeAddress, ueNodes, ueAddresses);
  return cosim.Run();
}
