// Ties an ns-3 simulation to the bridge: an event at every slot boundary flushes the records of
// the slot that just ended and, when the granted horizon is reached, waits for Python's next grant.
#pragma once

#include "layersplit/bridge.hpp"

#include "ns3/nstime.h"
#include "ns3/simulator.h"

#include <functional>
#include <memory>

namespace layersplit {

// A clock-level command (never passed to the command hook): this grant ends early, at the first
// slot boundary after a transfer's last packet fate (TransferDone), so Python can react to it
// at the same boundary a one-slot grant would have given, without a grant per slot.
constexpr std::uint8_t kCmdStopOnDone = 8;

class CosimClock {
 public:
  using SlotHook = std::function<void(ns3::Time slotStart)>;
  using CommandHook = std::function<void(const Command&)>;
  using EndHook = std::function<void(ns3::Time end)>;

  // endpoint may be null: the simulation then runs free to its end (the "bridge off" mode).
  CosimClock(SimEndpoint* endpoint, ns3::Time slot, ns3::Time duration)
      : ep_(endpoint), slot_(slot), duration_(duration) {}

  void SetSlotHook(SlotHook hook) { slotHook_ = std::move(hook); }
  void SetCommandHook(CommandHook hook) { commandHook_ = std::move(hook); }
  // Runs at the end, before Python is told the simulation finished (e.g. to report lost packets).
  void SetEndHook(EndHook hook) { endHook_ = std::move(hook); }
  void Start() { ns3::Simulator::ScheduleNow(&CosimClock::OnBoundary, this); }
  // A transfer's last packet has its fate: with kCmdStopOnDone, the grant ends at the next boundary.
  void TransferDone() { stopNow_ = stopNow_ || stopOnDone_; }

 private:
  void OnBoundary() {
    ns3::Time now = ns3::Simulator::Now();
    if (now > ns3::Time(0) && slotHook_) slotHook_(now - slot_);
    if (now >= duration_) {
      if (endHook_) endHook_(now);
      if (ep_) ep_->Finish(now.GetNanoSeconds());
      ns3::Simulator::Stop();
      return;
    }
    if (ep_ && (now.GetNanoSeconds() >= ep_->Horizon() || stopNow_)) {
      stopOnDone_ = stopNow_ = false;
      auto onCommand = [this](const Command& c) {
        if (c.kind == kCmdStopOnDone) {
          stopOnDone_ = true;
        } else if (commandHook_) {
          commandHook_(c);
        }
      };
      if (!ep_->AwaitGrant(now.GetNanoSeconds(), onCommand)) {
        ns3::Simulator::Stop();  // Python closed the run early
        return;
      }
    }
    ns3::Simulator::Schedule(slot_, &CosimClock::OnBoundary, this);
  }

  SimEndpoint* ep_;
  ns3::Time slot_;
  ns3::Time duration_;
  SlotHook slotHook_;
  CommandHook commandHook_;
  EndHook endHook_;
  bool stopOnDone_ = false;  // this grant ends after a transfer's last fate
  bool stopNow_ = false;     // ... and one has happened
};

// Runs body(endpoint-or-null) and turns bridge failures into an exit status and a message that
// both the terminal and the Python side (through the segment) see. geometry (the cell the
// program built) is published to Python as the program attaches.
inline int RunWithBridge(const std::string& bridgeName, const std::function<void(SimEndpoint*)>& body,
                         const Geometry* geometry = nullptr) {
  std::unique_ptr<SimEndpoint> ep;
  try {
    if (!bridgeName.empty()) ep = std::make_unique<SimEndpoint>(bridgeName, WaitOptions{}, geometry);
    body(ep.get());
    ns3::Simulator::Destroy();
    return 0;
  } catch (const LayoutMismatch& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 3;
  } catch (const PeerGone& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    if (ep) ep->Fail(e.what());
    return 2;
  }
}

}  // namespace layersplit
