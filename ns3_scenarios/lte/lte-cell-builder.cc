#include "lte-cell-builder.h"

#include "common/cell-parts.h"
#include "common/ue-setup.h"

#include <ns3/applications-module.h>
#include <ns3/boolean.h>
#include <ns3/box.h>
#include <ns3/channel-condition-model.h>
#include <ns3/config.h>
#include <ns3/double.h>
#include <ns3/enum.h>
#include <ns3/internet-module.h>
#include <ns3/lte-enb-rrc.h>
#include <ns3/mobility-module.h>
#include <ns3/ns2-mobility-helper.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/pointer.h>
#include <ns3/rectangle.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace layersplit {

using namespace ns3;

void ApplyGlobalConfig(const ScenarioConfig& cfg) {
  const KeyValues& t = cfg.top;
  const bool um = ApplySharedDefaults(t, "Lte");
  Config::SetDefault("ns3::LteEnbRrc::EpsBearerToRlcMapping",
                     EnumValue(um ? LteEnbRrc::RLC_UM_ALWAYS : LteEnbRrc::RLC_AM_ALWAYS));
  // See radio.rlc_am_retx_always_fits in cosim/radio/lte/schema.py: without it an AM bearer stalls for good
  // once a PDU waiting for retransmission is larger than every grant the channel now allows.
  Config::SetDefault("ns3::LteRlcAm::TxOpportunityForRetxAlwaysBigEnough",
                     BooleanValue(t.Bool("rlc_am_retx_always_fits")));
  Config::SetDefault("ns3::LteEnbRrc::SrsPeriodicity", UintegerValue(static_cast<std::uint32_t>(t.Int("srs_periodicity"))));
  Config::SetDefault("ns3::LteEnbPhy::TxPower", DoubleValue(t.Num("enb_tx_power_dbm")));
  Config::SetDefault("ns3::LteUePhy::TxPower", DoubleValue(t.Num("ue_tx_power_dbm")));
  // With uplink power control (ns-3's default) the PUSCH power is the power control's, capped at
  // its Pcmax: the UE's maximum power is that cap, not TxPower.
  Config::SetDefault("ns3::LteUePowerControl::Pcmax", DoubleValue(t.Num("ue_tx_power_dbm")));
  if (t.Has("uplink_power_control")) {
    Config::SetDefault("ns3::LteUePhy::EnableUplinkPowerControl", BooleanValue(t.Bool("uplink_power_control")));
  }
  for (const auto& [name, value] : cfg.powerControlAttrs) {
    Config::SetDefault("ns3::LteUePowerControl::" + name, StringValue(value));
  }
  Config::SetDefault("ns3::LteEnbPhy::NoiseFigure", DoubleValue(t.Num("enb_noise_figure_db")));
  Config::SetDefault("ns3::LteUePhy::NoiseFigure", DoubleValue(t.Num("ue_noise_figure_db")));
  // Radio link failure: with one cell there is nothing to re-attach to, so a UE that declares RLF
  // stays dead for the rest of the run; off unless the scenario asks for it.
  Config::SetDefault("ns3::LteUePhy::EnableRlfDetection", BooleanValue(t.Bool("rlf_detection")));
}

namespace {

/// The eNB nodes: one at enb_x/_y/_z, or with cell_count the cells cell_<i>_x/_y/_z in order.
NodeContainer CreateEnbNodes(const KeyValues& t) {
  NodeContainer nodes;
  if (!t.Has("cell_count")) {
    nodes.Add(CreateBaseStationNode(t, "enb"));
    return nodes;
  }
  const std::int64_t n = t.Int("cell_count");
  if (n < 1) {
    throw std::runtime_error("config: cell_count must be >= 1, got " + std::to_string(n));
  }
  for (std::int64_t i = 0; i < n; ++i) {
    nodes.Add(CreateBaseStationNode(t, "cell_" + std::to_string(i)));
  }
  return nodes;
}

/// Each cell's own transmit power (cell_<i>_tx_power_dbm); LteEnbPhy::TxPower's default (the
/// config's enb_tx_power_dbm) stays for a single cell.
void SetCellPowers(const KeyValues& t, const NetDeviceContainer& enbDevs) {
  if (!t.Has("cell_count")) {
    return;
  }
  for (std::uint32_t i = 0; i < enbDevs.GetN(); ++i) {
    DynamicCast<LteEnbNetDevice>(enbDevs.Get(i))->GetPhy()->SetTxPower(
        t.Num("cell_" + std::to_string(i) + "_tx_power_dbm"));
  }
}

}  // namespace

LteCell BuildLteCell(const ScenarioConfig& cfg) {
  const KeyValues& t = cfg.top;
  LteCell cell;
  cell.lte = CreateObject<LteHelper>();
  cell.epc = CreateObject<PointToPointEpcHelper>();
  cell.lte->SetEpcHelper(cell.epc);

  // Radio.
  const auto rbs = static_cast<std::uint16_t>(t.Int("bandwidth_rbs"));
  cell.lte->SetEnbDeviceAttribute("DlBandwidth", UintegerValue(rbs));
  cell.lte->SetEnbDeviceAttribute("UlBandwidth", UintegerValue(rbs));
  cell.lte->SetEnbDeviceAttribute("DlEarfcn", UintegerValue(static_cast<std::uint32_t>(t.Int("dl_earfcn"))));
  cell.lte->SetEnbDeviceAttribute("UlEarfcn", UintegerValue(static_cast<std::uint32_t>(t.Int("ul_earfcn"))));
  cell.lte->SetUeDeviceAttribute("DlEarfcn", UintegerValue(static_cast<std::uint32_t>(t.Int("dl_earfcn"))));
  LookupTypeOrThrow(t.Str("scheduler"), "scheduler");
  cell.lte->SetSchedulerType(t.Str("scheduler"));
  cell.lte->SetSchedulerAttribute("HarqEnabled", BooleanValue(t.Bool("harq")));

  // Channel: path loss (+ channel condition for 3GPP models), optional trace fading.
  cell.lte->SetPathlossModelType(LookupTypeOrThrow(t.Str("pathloss_model"), "pathloss_model"));
  for (const auto& [name, value] : cfg.pathlossAttrs) {
    cell.lte->SetPathlossModelAttribute(name, StringValue(value));
  }
  if (t.Str("channel_condition") != "none") {
    ObjectFactory f(t.Str("channel_condition"));
    cell.lte->SetPathlossModelAttribute("ChannelConditionModel", PointerValue(f.Create<ChannelConditionModel>()));
  }
  if (t.Str("fading") == "trace") {
    const std::string& file = t.Str("fading_trace_file");
    if (!std::ifstream(file)) {
      throw std::runtime_error("config: fading trace file not found: '" + file + "'");
    }
    cell.lte->SetFadingModel("ns3::TraceFadingLossModel");
    cell.lte->SetFadingModelAttribute("TraceFilename", StringValue(file));
    cell.lte->SetFadingModelAttribute("TraceLength", TimeValue(Seconds(t.Num("fading_trace_length_s"))));
    cell.lte->SetFadingModelAttribute("SamplesNum", UintegerValue(static_cast<std::uint32_t>(t.Int("fading_samples"))));
    cell.lte->SetFadingModelAttribute("WindowSize", TimeValue(Seconds(t.Num("fading_window_s"))));
    cell.lte->SetFadingModelAttribute("RbNum", UintegerValue(static_cast<std::uint32_t>(t.Int("fading_rb_num"))));
  } else if (t.Str("fading") != "none") {
    throw std::runtime_error("config: fading must be none or trace");
  }

  // Handover (several cells): the algorithm and its attributes under their ns-3 names; the RRC
  // (ideal: messages as direct calls; real: encoded and sent over the air on SRBs).
  if (t.Has("handover_algorithm")) {
    const TypeId algorithm = LookupTypeOrThrow(t.Str("handover_algorithm"), "handover_algorithm");
    cell.lte->SetHandoverAlgorithmType(algorithm.GetName());
    for (const auto& [name, value] : cfg.handoverAttrs) {
      TypeId::AttributeInformation info;
      if (!algorithm.LookupAttributeByName(name, &info)) {  // ns-3 would abort
        throw std::runtime_error("config: handover_attr: " + algorithm.GetName() + " has no attribute '" + name + "'");
      }
      cell.lte->SetHandoverAlgorithmAttribute(name, StringValue(value));
    }
  }
  if (t.Has("rrc")) {
    cell.lte->SetAttribute("UseIdealRrc", BooleanValue(t.Str("rrc") == "ideal"));
  }

  const EdgeHost edge = InstallEdgeHost(t, cell.epc->GetPgwNode());
  cell.edgeNode = edge.node;
  cell.edgeAddress = edge.address;

  // eNB and UEs with mobility.
  NodeContainer enbNodes = CreateEnbNodes(t);
  cell.enbNode = enbNodes.Get(0);
  NodeContainer ueNodes = CreateUeNodes(cfg);
  const std::size_t nUe = ueNodes.GetN();
  for (std::size_t i = 0; i < nUe; ++i) {
    cell.ueNodes.push_back(ueNodes.Get(i));
  }

  NetDeviceContainer enbDevs = cell.lte->InstallEnbDevice(enbNodes);
  SetCellPowers(t, enbDevs);
  NetDeviceContainer ueDevs = cell.lte->InstallUeDevice(ueNodes);
  for (std::uint32_t i = 0; i < enbDevs.GetN(); ++i) {
    cell.enbDevices.push_back(DynamicCast<LteEnbNetDevice>(enbDevs.Get(i)));
  }
  cell.enbDevice = cell.enbDevices[0];
  InternetStackHelper().Install(ueNodes);
  Ipv4InterfaceContainer ueIfs = cell.epc->AssignUeIpv4Address(ueDevs);
  Ipv4StaticRoutingHelper routing;
  for (std::size_t i = 0; i < nUe; ++i) {
    cell.ueDevices.push_back(DynamicCast<LteUeNetDevice>(ueDevs.Get(i)));
    cell.ueAddresses.push_back(ueIfs.GetAddress(i));
    routing.GetStaticRouting(ueNodes.Get(i)->GetObject<Ipv4>())
        ->SetDefaultRoute(cell.epc->GetUeDefaultGatewayAddress(), 1);
  }
  if (enbDevs.GetN() == 1) {
    cell.lte->Attach(ueDevs, enbDevs.Get(0));
  } else {
    // Initial cell selection (LteUeRrc, idle mode): each UE camps on the cell with the strongest
    // RSRP it measures, then connects. X2 between every pair of eNBs, for handover.
    cell.lte->Attach(ueDevs);
    cell.lte->AddX2Interface(enbNodes);
  }
  InstallUeTraffic(cfg, cell.ueNodes, cell.ueAddresses, edge);
  return cell;
}

}  // namespace layersplit
