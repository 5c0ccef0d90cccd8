// CellMain: the main() of the built-in cell programs (lte_cell, nr_cell). It reads the command line
// and the config file (format: common/scenario-config.h), runs the cell and reports errors; a
// radio's program gives only its cell (see lte/lte-cell.cc, nr/nr-cell.cc):
//
//   PROGRAM --config=run.cfg --csv=out/        standalone: out/slots.csv, out/events.csv
//   PROGRAM --config=run.cfg --csv=-           both kinds to stdout
//   PROGRAM --config=run.cfg --no-records      streaming off (speed baseline)
//   PROGRAM --config=run.cfg --bridge=NAME     under the Python launcher (cosim.Simulation)
#pragma once

#include "common/cosim-helper-base.h"
#include "common/scenario-config.h"

#include <cstddef>
#include <string>
#include <vector>

namespace layersplit {

/// What a radio's cell gets from CellMain: the config, and the steps around its helper's Install.
class CellRun {
 public:
  CellRun(const ScenarioConfig& config, const std::string& bridge, const std::string& csv, bool records)
      : cfg(config), m_bridge(bridge), m_csv(csv), m_records(records) {}
  /// Before Install: the command line's options (bridge, CSV, records) and the config's duration and
  /// transfer settings, on the radio's helper.
  void Configure(CosimHelperBase& cosim) const;
  /// After Install: schedules the config's test transfers to the cell's `ueCount` UEs, runs the
  /// simulation and returns the exit status.
  int Run(CosimHelperBase& cosim, std::size_t ueCount) const;

  const ScenarioConfig& cfg;

 private:
  std::string m_bridge;
  std::string m_csv;
  bool m_records;
};

/// A built-in cell program: what its radio adds to CellMain.
struct CellProgram {
  const char* name;          // "lte_cell": error messages
  const char* file;          // its source file (__FILE__): --help
  const char* configWriter;  // the Python module that writes its config: --help
  /// Seeds ns-3 and sets the global defaults the config asks for, before any object is created.
  void (*applyGlobalConfig)(const ScenarioConfig& cfg);
  /// Builds the cell and its helper: run.Configure(helper), helper.Install(...), return run.Run(...).
  int (*runCell)(const CellRun& run);
  /// Options that run a tool instead of the cell (lte_cell --dump-ul-tbs).
  struct Tool {
    const char* option;
    const char* help;
    void (*run)();
  };
  std::vector<Tool> tools;
};

/// The whole main(): returns the exit status (2 on any error, after one line on stderr).
int CellMain(int argc, char* argv[], const CellProgram& program);

}  // namespace layersplit
