// pybind11 glue over the header-only bridge (layersplit/bridge.hpp): cosim._bridge.
// Waits release the GIL and run in short slices so that Ctrl-C and a dead peer are noticed.
#include "layersplit/bridge.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

namespace py = pybind11;
using namespace layersplit;
using namespace pybind11::literals;

namespace {

template <std::size_t N>
py::dtype MakeDtype(const FieldInfo (&fields)[N], std::size_t itemsize) {
  py::list names, formats, offsets;
  for (const auto& f : fields) {
    names.append(py::str(std::string(f.name)));
    formats.append(py::str(std::string(f.format)));
    offsets.append(f.offset);
  }
  py::dict d("names"_a = names, "formats"_a = formats, "offsets"_a = offsets, "itemsize"_a = itemsize);
  return py::dtype::from_args(d);
}

// Hands a vector to numpy without copying: the capsule owns it.
template <class T>
py::array ToArray(std::vector<T>&& v, const py::dtype& dt) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array(dt, {static_cast<py::ssize_t>(owned->size())}, {static_cast<py::ssize_t>(sizeof(T))},
                   owned->data(), free_when_done);
}

struct PyBridge {
  std::unique_ptr<PyEndpoint> ep;
  py::dtype slot_dtype, event_dtype, command_dtype;
  std::int64_t slice_ns = 50'000'000;
  std::int64_t spin_ns = 20'000;  // as SimEndpoint: see benchmarks/speed/bridge_rtt.py

  PyBridge(const std::string& name, std::uint32_t slot_capacity, std::uint32_t event_capacity,
           std::uint32_t command_capacity, std::uint32_t layout_version)
      : ep(std::make_unique<PyEndpoint>(name, Capacities{slot_capacity, event_capacity, command_capacity}, layout_version)),
        slot_dtype(MakeDtype(kSlotFields, sizeof(SlotRecord))),
        event_dtype(MakeDtype(kEventFields, sizeof(EventRecord))),
        command_dtype(MakeDtype(kCommandFields, sizeof(Command))) {}

  std::uint64_t Grant(std::int64_t horizon_ns, std::optional<py::array> commands) {
    if (!commands || commands->size() == 0) return ep->Grant(horizon_ns, nullptr, 0);
    py::array cmds = py::array::ensure(*commands, py::array::c_style);
    if (!cmds || cmds.itemsize() != static_cast<py::ssize_t>(sizeof(Command)) || cmds.ndim() != 1)
      throw py::value_error("commands: expected a 1-D numpy array of cosim.COMMAND_DTYPE (32-byte records)");
    return ep->Grant(horizon_ns, static_cast<const Command*>(cmds.data()), static_cast<std::size_t>(cmds.size()));
  }

  // Blocks (GIL released) for one slice at most; then lets Python handle pending signals.
  bool WaitSlice() {
    WaitResult r;
    {
      py::gil_scoped_release nogil;
      r = ep->WaitOnce(slice_ns, spin_ns);
    }
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    return r == WaitResult::kReady;
  }

  // Waits until the current grant is done, draining both rings meanwhile; timeout_s < 0: no limit.
  py::tuple Collect(double timeout_s) {
    std::vector<SlotRecord> slots;
    std::vector<EventRecord> events;
    std::int64_t deadline = timeout_s < 0 ? INT64_MAX : detail::MonotonicNs() + std::int64_t(timeout_s * 1e9);
    while (true) {
      bool done = ep->Done();  // read before draining: records precede the ack
      ep->Drain(ep->Slots(), slots);
      ep->Drain(ep->Events(), events);
      if (done) break;
      WaitSlice();
      if (detail::MonotonicNs() > deadline && !ep->Done())
        throw TimeoutErr(timeout_s);
    }
    return py::make_tuple(ToArray(std::move(slots), slot_dtype), ToArray(std::move(events), event_dtype));
  }

  static py::error_already_set TimeoutErr(double timeout_s) {
    PyErr_SetString(PyExc_TimeoutError, ("bridge: the grant did not finish within " + std::to_string(timeout_s) + " s").c_str());
    return py::error_already_set();
  }

  template <class T>
  py::array Read(Ring<T>& ring, const py::dtype& dt, std::size_t max) {
    std::vector<T> out(std::min<std::size_t>(max, ring.Size()));
    out.resize(ring.Pop(out.data(), out.size()));
    return ToArray(std::move(out), dt);
  }
};

}  // namespace

PYBIND11_MODULE(_bridge, m) {
  m.doc() = "Shared-memory bridge between ns-3 programs and Python (see cpp_ext/include/layersplit/).";
  auto base = py::register_exception<BridgeError>(m, "BridgeError", PyExc_RuntimeError);
  py::register_exception<PeerGone>(m, "PeerGone", base.ptr());
  py::register_exception<LayoutMismatch>(m, "LayoutMismatch", base.ptr());

  m.attr("LAYOUT_VERSION") = kLayoutVersion;
  m.attr("LAYOUT_HASH") = LayoutHash();
  m.attr("SLOT_DTYPE") = MakeDtype(kSlotFields, sizeof(SlotRecord));
  m.attr("EVENT_DTYPE") = MakeDtype(kEventFields, sizeof(EventRecord));
  m.attr("COMMAND_DTYPE") = MakeDtype(kCommandFields, sizeof(Command));
  m.attr("EVENT_PACKET") = int(kEventPacket);
  m.attr("EVENT_ECHO") = int(kEventEcho);
  m.attr("EVENT_HANDOVER_START") = int(kEventHandoverStart);
  m.attr("EVENT_HANDOVER_END") = int(kEventHandoverEnd);
  m.attr("EVENT_HANDOVER_FAILURE") = int(kEventHandoverFailure);
  m.attr("SIM_STARTING") = int(kSimStarting);
  m.attr("SIM_ATTACHED") = int(kSimAttached);
  m.attr("SIM_FINISHED") = int(kSimFinished);
  m.attr("SIM_FAILED") = int(kSimFailed);

  py::class_<PyBridge>(m, "Segment", "The launcher's end of one run's shared-memory segment.")
      .def(py::init<const std::string&, std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>(), py::arg("name"),
           py::arg("slot_capacity") = 1u << 16, py::arg("event_capacity") = 1u << 14,
           py::arg("command_capacity") = 1u << 12, py::arg("layout_version") = kLayoutVersion)
      .def_property_readonly("name", [](PyBridge& b) { return b.ep->Name(); })
      .def_property_readonly("linked", [](PyBridge& b) { return b.ep->Linked(); })
      .def_property_readonly("sim_pid", [](PyBridge& b) { return b.ep->SimPid(); })
      .def_property_readonly("sim_state", [](PyBridge& b) { return b.ep->SimState(); })
      .def_property_readonly("sim_error", [](PyBridge& b) { return b.ep->SimError(); })
      .def_property_readonly("sim_now_ns", [](PyBridge& b) { return b.ep->SimNowNs(); })
      .def_property_readonly("sim_busy_s", [](PyBridge& b) { return b.ep->Header()->sim_busy_ns.load() / 1e9; },
                             "Wall seconds the sim spent running grants (its own work, not waiting).")
      .def_property_readonly(
          "geometry",
          [](PyBridge& b) -> py::object {
            const SegmentHeader* h = b.ep->Header();
            if (b.ep->SimState() < kSimAttached || h->geometry_ues == 0) return py::none();
            py::list cells;
            for (std::uint32_t i = 0; i < std::min<std::size_t>(h->geometry_cells, kMaxGeometryCells); ++i) {
              const auto& c = h->cells[i];
              cells.append(py::dict("cell_id"_a = c.cell_id,
                                    "position"_a = py::make_tuple(c.position[0], c.position[1], c.position[2])));
            }
            return py::dict("ues"_a = h->geometry_ues,
                            "cell_position"_a = py::make_tuple(h->cell_position[0], h->cell_position[1], h->cell_position[2]),
                            "cells"_a = cells);
          },
          "What the program built, once attached: {'ues': N, 'cell_position': (x, y, z) of the first cell, "
          "'cells': [{'cell_id': id, 'position': (x, y, z)}, ...] every cell}; None if it did not say.")
      .def_property_readonly("done", [](PyBridge& b) { return b.ep->Done(); })
      .def_property_readonly("pending_slots", [](PyBridge& b) { return b.ep->Slots().Size(); })
      .def_property(
          "slice_s", [](PyBridge& b) { return b.slice_ns / 1e9; },
          [](PyBridge& b, double s) { b.slice_ns = std::int64_t(s * 1e9); })
      .def_property(
          "spin_us", [](PyBridge& b) { return b.spin_ns / 1000.0; },
          [](PyBridge& b, double us) { b.spin_ns = std::int64_t(us * 1000); })
      .def("set_peer_pid", [](PyBridge& b, int pid) { b.ep->SetPeerPid(pid); })
      .def("set_wake_fill", [](PyBridge& b, std::uint32_t n) { b.ep->SetWakeFill(n); })
      .def("unlink", [](PyBridge& b) { b.ep->Unlink(); })
      .def("close", [](PyBridge& b) { b.ep->Close(); })
      .def("check_alive", [](PyBridge& b) { b.ep->CheckSimAlive(); })
      .def("grant", &PyBridge::Grant, py::arg("horizon_ns"), py::arg("commands") = py::none(),
           "Lets the sim run to horizon_ns (exclusive), executing commands first. Non-blocking.")
      .def("wait", &PyBridge::WaitSlice, "Sleeps one slice at most; True when the grant is done or records wait.")
      .def("collect", &PyBridge::Collect, py::arg("timeout_s") = -1.0,
           "Blocks until the current grant is done; returns (slots, events) received meanwhile.")
      .def("read_slots", [](PyBridge& b, std::size_t max) { return b.Read(b.ep->Slots(), b.slot_dtype, max); },
           py::arg("max") = SIZE_MAX)
      .def("read_events", [](PyBridge& b, std::size_t max) { return b.Read(b.ep->Events(), b.event_dtype, max); },
           py::arg("max") = SIZE_MAX);
}
