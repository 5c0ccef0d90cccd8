// A user's own 5G NR script (5G-LENA, cttc-nr-demo style) joined to a layersplit co-simulation
// with NrCosimHelper: one gNB, --ues UEs on a line, 38.901 urban micro at 28 GHz, numerology 3.
//   layersplit run examples/own_script_nr/nr_cell_script.yaml
#include <layersplit/nr/nr-cosim-helper.h>

#include <ns3/antenna-module.h>
#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/mobility-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/three-gpp-channel-model.h>
#include <ns3/three-gpp-propagation-loss-model.h>
#include <ns3/three-gpp-spectrum-propagation-loss-model.h>
#include <ns3/nr-module.h>

using namespace ns3;

int main(int argc, char* argv[]) {
  uint32_t ues = 2;
  layersplit::NrCosimHelper cosim;
  CommandLine cmd(__FILE__);
  cmd.AddValue("ues", "number of UEs", ues);
  cosim.AddCommandLine(cmd);  // --bridge --duration --seed --run --payload-bytes --loss-timeout-ms
  cmd.Parse(argc, argv);

  NodeContainer gnbNodes(1), ueNodes(ues);
  MobilityHelper mobility;
  auto positions = CreateObject<ListPositionAllocator>();
  positions->Add(Vector(0, 0, 10));
  for (uint32_t i = 0; i < ues; ++i) positions->Add(Vector(20.0 + 30.0 * i, 5, 1.5));
  mobility.SetPositionAllocator(positions);
  mobility.Install(gnbNodes);
  mobility.Install(ueNodes);

  auto epc = CreateObject<NrPointToPointEpcHelper>();
  auto nr = CreateObject<NrHelper>();
  nr->SetEpcHelper(epc);
  nr->SetBeamformingHelper(CreateObject<IdealBeamformingHelper>());
  nr->SetGnbPhyAttribute("Numerology", UintegerValue(3));
  nr->SetGnbAntennaAttribute("NumRows", UintegerValue(4));
  nr->SetGnbAntennaAttribute("NumColumns", UintegerValue(4));
  CcBwpCreator creator;
  CcBwpCreator::SimpleOperationBandConf conf(28e9, 100e6, 1);
  OperationBandInfo band = creator.CreateOperationBandContiguousCc(conf);
  auto channel = CreateObject<NrChannelHelper>();
  channel->ConfigureFactories("UMi", "Default", "ThreeGpp");
  channel->AssignChannelsToBands({band});
  BandwidthPartInfoPtrVector bwps = CcBwpCreator::GetAllBwps({band});
  NetDeviceContainer gnbDevs = nr->InstallGnbDevice(gnbNodes, bwps);
  NetDeviceContainer ueDevs = nr->InstallUeDevice(ueNodes, bwps);
  nr->AssignStreams(gnbDevs, 1);
  nr->AssignStreams(ueDevs, 1000);

  // Edge host behind the core, on a point-to-point link from the PGW.
  Ptr<Node> edge = CreateObject<Node>();
  InternetStackHelper internet;
  internet.Install(edge);
  internet.Install(ueNodes);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate("100Gb/s")));
  NetDeviceContainer link = p2p.Install(epc->GetPgwNode(), edge);
  Ipv4AddressHelper ipv4;
  ipv4.SetBase("1.0.0.0", "255.0.0.0");
  Ipv4Address edgeAddress = ipv4.Assign(link).GetAddress(1);
  Ipv4StaticRoutingHelper routing;
  routing.GetStaticRouting(edge->GetObject<Ipv4>())->AddNetworkRouteTo("7.0.0.0", "255.0.0.0", 1);
  Ipv4InterfaceContainer ueIfs = epc->AssignUeIpv4Address(ueDevs);

  std::vector<Ptr<NrUeNetDevice>> ueDevices;
  std::vector<Ptr<Node>> ueNodeList;
  std::vector<Ipv4Address> ueAddresses;
  for (uint32_t i = 0; i < ues; ++i) {
    routing.GetStaticRouting(ueNodes.Get(i)->GetObject<Ipv4>())->SetDefaultRoute(epc->GetUeDefaultGatewayAddress(), 1);
    nr->AttachToGnb(ueDevs.Get(i), gnbDevs.Get(0));
    ueDevices.push_back(DynamicCast<NrUeNetDevice>(ueDevs.Get(i)));
    ueNodeList.push_back(ueNodes.Get(i));
    ueAddresses.push_back(ueIfs.GetAddress(i));
  }
  cosim.Install(DynamicCast<NrGnbNetDevice>(gnbDevs.Get(0)), ueDevices, edge, edgeAddress, ueNodeList, ueAddresses);
  return cosim.Run();
}
