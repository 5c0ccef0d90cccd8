// The configuration file the built-in cell programs (lte_cell, nr_cell) read, as written by
// cosim/radio/lte/program_config.py and cosim/radio/nr/program_config.py.
//
// Plain text, one item per line, '#' starts a comment line:
//   <key> <value...>                 top-level value (the rest of the line, trimmed)
//   pathloss_attr <Name> <value>     attribute of the path-loss model (repeatable)
//   handover_attr <Name> <value>     attribute of the handover algorithm (repeatable)
//   power_control_attr <Name> <value>   attribute of the UE uplink power control (repeatable)
//   ue <index> k=v k=v ...           one UE, fully resolved by Python (position, mobility, traffic)
//   transfer <t_s> <ul|dl> <ue> <bytes> <tag> <payload_bytes>   scheduled test transfer (optional)
// Python resolves every default; the C++ side only parses and fails on a missing key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace layersplit {

/// Key/value set with typed getters that throw std::runtime_error naming the missing/bad key.
class KeyValues {
 public:
  void Set(const std::string& key, const std::string& value) { m_kv[key] = value; }
  bool Has(const std::string& key) const { return m_kv.count(key) != 0; }
  const std::string& Str(const std::string& key) const;
  double Num(const std::string& key) const;
  std::int64_t Int(const std::string& key) const;
  bool Bool(const std::string& key) const;  // true/false/1/0
  std::string context;  // for error messages, e.g. "ue 3"

 private:
  std::map<std::string, std::string> m_kv;
};

struct TransferLine {
  double t_s = 0;
  bool uplink = true;
  std::uint16_t ue = 0;
  std::uint32_t bytes = 0;
  std::uint64_t tag = 0;
  std::uint32_t payload_bytes = 0;
};

struct ScenarioConfig {
  KeyValues top;
  std::vector<std::pair<std::string, std::string>> pathlossAttrs;  // name, value (in order)
  std::vector<std::pair<std::string, std::string>> handoverAttrs;  // name, value (in order)
  std::vector<std::pair<std::string, std::string>> powerControlAttrs;  // name, value (in order)
  std::vector<KeyValues> ues;                                      // index order 0..N-1
  std::vector<TransferLine> transfers;
};

/// Parses a config file; throws std::runtime_error("<path>:<line>: ...") on malformed input.
ScenarioConfig ParseScenarioConfig(const std::string& path);

}  // namespace layersplit
