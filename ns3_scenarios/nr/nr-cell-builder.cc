#include "nr-cell-builder.h"

#include "common/cell-parts.h"
#include "common/ue-setup.h"

#include <ns3/antenna-module.h>
#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/double.h>
#include <ns3/enum.h>
#include <ns3/internet-module.h>
#include <ns3/mobility-module.h>
// nr-module.h lists nr-initial-association.h early, which needs these declared first.
#include <ns3/three-gpp-channel-model.h>
#include <ns3/three-gpp-propagation-loss-model.h>
#include <ns3/three-gpp-spectrum-propagation-loss-model.h>
#include <ns3/nr-module.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/pointer.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include <stdexcept>

namespace layersplit {

using namespace ns3;

namespace {

Ptr<AntennaModel> AntennaElement(const std::string& kind) {
  if (kind == "isotropic") {
    return CreateObject<IsotropicAntennaModel>();
  }
  if (kind == "3gpp") {
    return CreateObject<ThreeGppAntennaModel>();
  }
  throw std::runtime_error("config: antenna_element must be isotropic or 3gpp, got '" + kind + "'");
}

// Radio settings that 5G-LENA takes through NrHelper before the devices are installed.
void ConfigureRadio(const KeyValues& t, NrHelper& nr) {
  nr.SetGnbPhyAttribute("Numerology", UintegerValue(static_cast<uint32_t>(t.Int("numerology"))));
  nr.SetGnbPhyAttribute("Pattern", StringValue(t.Str("tdd_pattern")));
  nr.SetGnbPhyAttribute("TxPower", DoubleValue(t.Num("gnb_tx_power_dbm")));
  nr.SetGnbPhyAttribute("NoiseFigure", DoubleValue(t.Num("gnb_noise_figure_db")));
  nr.SetUePhyAttribute("TxPower", DoubleValue(t.Num("ue_tx_power_dbm")));
  nr.SetUePhyAttribute("NoiseFigure", DoubleValue(t.Num("ue_noise_figure_db")));
  nr.SetSchedulerTypeId(LookupTypeOrThrow(t.Str("scheduler"), "scheduler"));
  nr.SetSchedulerAttribute("EnableHarqReTx", BooleanValue(t.Bool("harq")));
  // One error model for both directions: it fixes the MCS table (LTE, NR table 1 or 2) that the
  // AMC, the scheduler's TB sizes and the PHY's decoding all refer to.
  LookupTypeOrThrow(t.Str("error_model"), "error_model");
  nr.SetUlErrorModel(t.Str("error_model"));
  nr.SetDlErrorModel(t.Str("error_model"));
  nr.SetGnbAntennaAttribute("NumRows", UintegerValue(static_cast<uint32_t>(t.Int("gnb_antenna_rows"))));
  nr.SetGnbAntennaAttribute("NumColumns", UintegerValue(static_cast<uint32_t>(t.Int("gnb_antenna_cols"))));
  nr.SetGnbAntennaAttribute("AntennaElement", PointerValue(AntennaElement(t.Str("antenna_element"))));
  nr.SetUeAntennaAttribute("NumRows", UintegerValue(static_cast<uint32_t>(t.Int("ue_antenna_rows"))));
  nr.SetUeAntennaAttribute("NumColumns", UintegerValue(static_cast<uint32_t>(t.Int("ue_antenna_cols"))));
  nr.SetUeAntennaAttribute("AntennaElement", PointerValue(AntennaElement(t.Str("antenna_element"))));
  auto bf = CreateObject<IdealBeamformingHelper>();
  bf->SetAttribute("BeamformingMethod", TypeIdValue(LookupTypeOrThrow(t.Str("beamforming"), "beamforming")));
  nr.SetBeamformingHelper(bf);
}

// One band of one component carrier with one BWP, and its TR 38.901 channel.
BandwidthPartInfoPtrVector ConfigureBand(const KeyValues& t, OperationBandInfo& band) {
  CcBwpCreator creator;
  CcBwpCreator::SimpleOperationBandConf conf(t.Num("frequency_hz"), t.Num("bandwidth_hz"), 1);
  band = creator.CreateOperationBandContiguousCc(conf);
  auto channel = CreateObject<NrChannelHelper>();
  channel->ConfigureFactories(t.Str("channel_scenario"), t.Str("channel_condition"), "ThreeGpp");
  if (t.Str("channel_condition") == "Default") {  // the forced LOS / NLOS models have no period
    channel->SetChannelConditionModelAttribute("UpdatePeriod", TimeValue(MilliSeconds(t.Num("channel_update_ms"))));
  }
  channel->SetPathlossAttribute("ShadowingEnabled", BooleanValue(t.Bool("shadowing")));
  // Fast fading off: path loss (+ shadowing) alone, no 38.901 small-scale channel matrix.
  const uint8_t flags = NrChannelHelper::INIT_PROPAGATION | (t.Bool("fading") ? NrChannelHelper::INIT_FADING : 0);
  channel->AssignChannelsToBands({band}, flags);
  return CcBwpCreator::GetAllBwps({band});
}

}  // namespace

void ApplyNrGlobalConfig(const ScenarioConfig& cfg) {
  const KeyValues& t = cfg.top;
  const bool um = ApplySharedDefaults(t, "Nr");
  Config::SetDefault("ns3::NrGnbRrc::EpsBearerToRlcMapping",
                     EnumValue(um ? NrGnbRrc::RLC_UM_ALWAYS : NrGnbRrc::RLC_AM_ALWAYS));
  // Small-scale channel: a new 38.901 channel matrix every channel_update_ms (0: drawn once).
  Config::SetDefault("ns3::ThreeGppChannelModel::UpdatePeriod", TimeValue(MilliSeconds(t.Num("channel_update_ms"))));
  // With one cell there is nothing to re-attach to: radio link failure would end the UE for good.
  Config::SetDefault("ns3::NrUePhy::EnableRlfDetection", BooleanValue(false));
}

NrCell BuildNrCell(const ScenarioConfig& cfg) {
  const KeyValues& t = cfg.top;
  NrCell cell;
  cell.epc = CreateObject<NrPointToPointEpcHelper>();
  cell.nr = CreateObject<NrHelper>();
  cell.nr->SetEpcHelper(cell.epc);
  ConfigureRadio(t, *cell.nr);
  cell.band = std::make_shared<OperationBandInfo>();
  BandwidthPartInfoPtrVector bwps = ConfigureBand(t, *cell.band);

  // Not NrEpcHelper::SetupRemoteHost: in NR-v4.0 it returns the PGW's address on that link instead
  // of the host's, so uplink packets sent to it end at the PGW.
  const EdgeHost edge = InstallEdgeHost(t, cell.epc->GetPgwNode());
  cell.edgeNode = edge.node;
  cell.edgeAddress = edge.address;

  // gNB and UEs with mobility.
  cell.gnbNode = CreateBaseStationNode(t, "gnb");
  NodeContainer ueNodes = CreateUeNodes(cfg);
  const std::size_t nUe = ueNodes.GetN();
  for (std::size_t i = 0; i < nUe; ++i) {
    cell.ueNodes.push_back(ueNodes.Get(i));
  }

  NetDeviceContainer gnbDevs = cell.nr->InstallGnbDevice(NodeContainer(cell.gnbNode), bwps);
  NetDeviceContainer ueDevs = cell.nr->InstallUeDevice(ueNodes, bwps);
  int64_t stream = 1;  // fixed streams: the same seed gives the same channel and scheduling
  stream += cell.nr->AssignStreams(gnbDevs, stream);
  cell.nr->AssignStreams(ueDevs, stream);
  cell.gnbDevice = DynamicCast<NrGnbNetDevice>(gnbDevs.Get(0));

  InternetStackHelper internet;
  internet.Install(ueNodes);
  Ipv4InterfaceContainer ueIfs = cell.epc->AssignUeIpv4Address(ueDevs);
  Ipv4StaticRoutingHelper routing;
  for (std::size_t i = 0; i < nUe; ++i) {
    cell.ueDevices.push_back(DynamicCast<NrUeNetDevice>(ueDevs.Get(i)));
    cell.ueAddresses.push_back(ueIfs.GetAddress(i));
    routing.GetStaticRouting(ueNodes.Get(i)->GetObject<Ipv4>())
        ->SetDefaultRoute(cell.epc->GetUeDefaultGatewayAddress(), 1);
    cell.nr->AttachToGnb(ueDevs.Get(i), gnbDevs.Get(0));
  }
  InstallUeTraffic(cfg, cell.ueNodes, cell.ueAddresses, edge);
  return cell;
}

}  // namespace layersplit
