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
#include <ns3/integer.h>
#include <ns3/lte-enb-rrc.h>
#include <ns3/lte-ue-rrc.h>
#include <ns3/mobility-module.h>
#include <ns3/ns2-mobility-helper.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/pointer.h>
#include <ns3/rectangle.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include <fstream>
#include <map>
#include <memory>
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

/// The eNB devices, in node order. With several cells each has its own transmit power
/// (cell_<i>_tx_power_dbm) and antenna: a sector (cell_<i>_azimuth_deg given) gets ns-3's
/// ParabolicAntennaModel pointed that way, any other cell the isotropic default. LteHelper takes
/// the antenna's type and attributes at install time, hence one eNB at a time.
NetDeviceContainer InstallEnbs(const KeyValues& t, Ptr<LteHelper> lte, const NodeContainer& enbNodes) {
  if (!t.Has("cell_count")) {
    return lte->InstallEnbDevice(enbNodes);  // LteEnbPhy::TxPower's default: enb_tx_power_dbm
  }
  NetDeviceContainer devs;
  for (std::uint32_t i = 0; i < enbNodes.GetN(); ++i) {
    const std::string cell = "cell_" + std::to_string(i);
    if (t.Has(cell + "_azimuth_deg")) {
      lte->SetEnbAntennaModelType("ns3::ParabolicAntennaModel");
      lte->SetEnbAntennaModelAttribute("Orientation", DoubleValue(t.Num(cell + "_azimuth_deg")));
      lte->SetEnbAntennaModelAttribute("Beamwidth", DoubleValue(t.Num(cell + "_beamwidth_deg")));
      lte->SetEnbAntennaModelAttribute("MaxAttenuation", DoubleValue(t.Num(cell + "_max_attenuation_db")));
    } else {
      lte->SetEnbAntennaModelType("ns3::IsotropicAntennaModel");
    }
    devs.Add(lte->InstallEnbDevice(NodeContainer(enbNodes.Get(i))));
    DynamicCast<LteEnbNetDevice>(devs.Get(i))->GetPhy()->SetTxPower(t.Num(cell + "_tx_power_dbm"));
  }
  return devs;
}

/// With several cells each UE must find one to camp on (LteUeRrc initial cell selection): one whose
/// RSRP exceeds the cells' SIB1 q-RxLevMin. A UE that finds none searches silently for ever, never
/// connects and loses every packet; this makes it an error, `deadline` into the run.
void RequireCampedUes(const ScenarioConfig& cfg, const std::vector<Ptr<LteUeNetDevice>>& ues,
                      Ptr<LteEnbNetDevice> enb, Time deadline) {
  std::vector<std::string> groups;  // "ue_groups[g]": the YAML key the UE comes from
  for (const KeyValues& ue : cfg.ues) {
    groups.push_back(ue.Has("group") ? "ue_groups[" + ue.Str("group") + "]" : "");
  }
  // The strongest RSRP each UE measured from any cell, for the message.
  auto best = std::make_shared<std::vector<std::pair<double, std::uint16_t>>>(ues.size(), std::make_pair(-1e9, 0));
  for (std::size_t i = 0; i < ues.size(); ++i) {
    ues[i]->GetPhy()->TraceConnectWithoutContext(
        "ReportUeMeasurements", Callback<void, uint16_t, uint16_t, double, double, bool, uint8_t>(
                                    [best, i](uint16_t, uint16_t cell, double rsrp, double, bool, uint8_t) {
                                      if (rsrp > (*best)[i].first) (*best)[i] = {rsrp, cell};
                                    }));
  }
  IntegerValue qRxLevMin;
  enb->GetRrc()->GetAttribute("QRxLevMin", qRxLevMin);
  Simulator::Schedule(deadline, [ues, best, groups, deadline, minDbm = 2 * qRxLevMin.Get()]() {
    for (std::size_t i = 0; i < ues.size(); ++i) {
      if (ues[i]->GetRrc()->GetState() >= LteUeRrc::IDLE_CAMPED_NORMALLY) {
        continue;
      }
      const Vector p = ues[i]->GetNode()->GetObject<MobilityModel>()->GetPosition();
      std::ostringstream msg;
      msg.precision(1);
      msg << std::fixed << (groups[i].empty() ? "" : groups[i] + ": ") << "UE " << i << " at (" << p.x << ", "
          << p.y << ") found no cell to camp on " << deadline.GetSeconds()
          << " s into the run: it is outside every cell's reach (";
      if ((*best)[i].second == 0) {
        msg << "it measured no cell";
      } else {
        msg << "the strongest cell it measured, cell " << (*best)[i].second << ", had RSRP " << (*best)[i].first
            << " dBm; ns-3's cell selection needs more than " << minDbm << " dBm, the cells' q-RxLevMin";
      }
      msg << "). Move it or the cells closer, or raise the cells' power";
      throw std::runtime_error(msg.str());
    }
  });
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

  NetDeviceContainer enbDevs = InstallEnbs(t, cell.lte, enbNodes);
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
    RequireCampedUes(cfg, cell.ueDevices, cell.enbDevice, Seconds(kCellSearchDeadlineS));
  }
  InstallUeTraffic(cfg, cell.ueNodes, cell.ueAddresses, edge);
  return cell;
}

}  // namespace layersplit
