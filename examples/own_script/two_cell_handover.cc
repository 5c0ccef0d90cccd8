// A researcher's own two-cell LTE script with handover, joined to layersplit with CosimHelper:
// two eNBs --distance m apart (X2 between them, ns-3's A3-RSRP handover algorithm) and one car
// driving from the first towards the second at --speed m/s. Both eNBs go to CosimHelper, so the
// car's records name its serving cell (1, then 2 after the handover), every uplink measurement in
// them is its serving cell's, and handovers.parquet records the handover with the measurement
// report it was decided on: nothing here beyond plain ns-3 and one Install call.
#include <layersplit/lte/cosim-helper.h>

#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/lte-module.h>
#include <ns3/mobility-module.h>
#include <ns3/point-to-point-module.h>

using namespace ns3;

int main(int argc, char* argv[]) {
  double distance = 400;  // m between the eNBs
  double speed = 30;      // m/s, from 50 m past the first eNB towards the second
  layersplit::CosimHelper cosim;
  CommandLine cmd(__FILE__);
  cmd.AddValue("distance", "distance between the two eNBs, m", distance);
  cmd.AddValue("speed", "the car's speed, m/s", speed);
  cosim.AddCommandLine(cmd);
  cmd.Parse(argc, argv);

  // RLC AM: at a handover ns-3.44 forwards an RLC UM buffer's downlink PDUs over X2 malformed and
  // the UE aborts ("Unknown IP type"); AM forwards them correctly (docs/scenarios.md).
  Config::SetDefault("ns3::LteEnbRrc::EpsBearerToRlcMapping", EnumValue(LteEnbRrc::RLC_AM_ALWAYS));
  Config::SetDefault("ns3::LteRlcAm::TxOpportunityForRetxAlwaysBigEnough", BooleanValue(true));
  Config::SetDefault("ns3::LteEnbRrc::SrsPeriodicity", UintegerValue(40));

  auto lte = CreateObject<LteHelper>();
  auto epc = CreateObject<PointToPointEpcHelper>();
  lte->SetEpcHelper(epc);
  lte->SetPathlossModelType(LogDistancePropagationLossModel::GetTypeId());
  lte->SetPathlossModelAttribute("Exponent", StringValue("3.0"));
  lte->SetHandoverAlgorithmType("ns3::A3RsrpHandoverAlgorithm");
  lte->SetHandoverAlgorithmAttribute("Hysteresis", DoubleValue(3.0));
  lte->SetHandoverAlgorithmAttribute("TimeToTrigger", TimeValue(MilliSeconds(256)));

  // The edge server: a host behind the PGW, 1 ms away.
  Ptr<Node> edge = CreateObject<Node>();
  InternetStackHelper internet;
  internet.Install(edge);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate("100Gbps")));
  p2p.SetChannelAttribute("Delay", TimeValue(MilliSeconds(1)));
  Ipv4AddressHelper ipv4;
  ipv4.SetBase("1.0.0.0", "255.0.0.0");
  Ipv4Address edgeAddress = ipv4.Assign(p2p.Install(epc->GetPgwNode(), edge)).GetAddress(1);
  Ipv4StaticRoutingHelper routing;
  routing.GetStaticRouting(edge->GetObject<Ipv4>())->AddNetworkRouteTo("7.0.0.0", "255.0.0.0", 1);

  NodeContainer enbs;
  enbs.Create(2);
  MobilityHelper fixed;
  auto sites = CreateObject<ListPositionAllocator>();
  sites->Add(Vector(0, 0, 25));
  sites->Add(Vector(distance, 0, 25));
  fixed.SetPositionAllocator(sites);
  fixed.Install(enbs);
  NodeContainer car;
  car.Create(1);
  MobilityHelper driving;
  driving.SetMobilityModel("ns3::ConstantVelocityMobilityModel");
  driving.Install(car);
  car.Get(0)->GetObject<ConstantVelocityMobilityModel>()->SetPosition(Vector(50, 20, 1.5));
  car.Get(0)->GetObject<ConstantVelocityMobilityModel>()->SetVelocity(Vector(speed, 0, 0));

  NetDeviceContainer enbDevs = lte->InstallEnbDevice(enbs);
  NetDeviceContainer ueDevs = lte->InstallUeDevice(car);
  internet.Install(car);
  Ipv4InterfaceContainer ueIfs = epc->AssignUeIpv4Address(ueDevs);
  routing.GetStaticRouting(car.Get(0)->GetObject<Ipv4>())->SetDefaultRoute(epc->GetUeDefaultGatewayAddress(), 1);
  lte->Attach(ueDevs, enbDevs.Get(0));
  lte->AddX2Interface(enbs);

  cosim.Install({DynamicCast<LteEnbNetDevice>(enbDevs.Get(0)), DynamicCast<LteEnbNetDevice>(enbDevs.Get(1))},
                {DynamicCast<LteUeNetDevice>(ueDevs.Get(0))}, edge, edgeAddress, {car.Get(0)}, {ueIfs.GetAddress(0)});
  return cosim.Run();
}
