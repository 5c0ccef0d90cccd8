#include "common/scenario-config.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace layersplit {

namespace {
std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return "";
  }
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}
}  // namespace

const std::string& KeyValues::Str(const std::string& key) const {
  auto it = m_kv.find(key);
  if (it == m_kv.end()) {
    throw std::runtime_error("config: " + context + (context.empty() ? "" : ": ") + "missing key '" +
                             key + "'");
  }
  return it->second;
}

double KeyValues::Num(const std::string& key) const {
  const std::string& s = Str(key);
  // strtod, not stod: Python writes a subnormal the schema accepted (e.g. 2.225073858507e-311) and
  // stod refuses it for its ERANGE underflow, though the value read is right. Overflow reads as
  // infinity and is refused with nan and inf, which Python never writes.
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(v)) {
    return v;
  }
  throw std::runtime_error("config: " + context + (context.empty() ? "" : ": ") + "key '" + key +
                           "' is not a number: '" + s + "'");
}

std::int64_t KeyValues::Int(const std::string& key) const {
  const std::string& s = Str(key);
  try {
    std::size_t pos = 0;
    long long v = std::stoll(s, &pos);
    if (pos == s.size()) {
      return v;
    }
  } catch (const std::exception&) {
  }
  throw std::runtime_error("config: " + context + (context.empty() ? "" : ": ") + "key '" + key +
                           "' is not an integer: '" + s + "'");
}

bool KeyValues::Bool(const std::string& key) const {
  const std::string& s = Str(key);
  if (s == "true" || s == "1") {
    return true;
  }
  if (s == "false" || s == "0") {
    return false;
  }
  throw std::runtime_error("config: key '" + key + "' is not a boolean: '" + s + "'");
}

ScenarioConfig ParseScenarioConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("config: cannot open '" + path + "'");
  }
  ScenarioConfig cfg;
  std::string line;
  int lineNo = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(path + ":" + std::to_string(lineNo) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++lineNo;
    line = Trim(line);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::istringstream ss(line);
    std::string key;
    ss >> key;
    if (key == "ue") {
      std::size_t idx = 0;
      if (!(ss >> idx) || idx != cfg.ues.size()) {
        fail("ue lines must be numbered 0, 1, 2, ... in order");
      }
      KeyValues kv;
      kv.context = "ue " + std::to_string(idx);
      std::string tok;
      while (ss >> tok) {
        auto eq = tok.find('=');
        if (eq == std::string::npos || eq == 0) {
          fail("expected key=value, got '" + tok + "'");
        }
        kv.Set(tok.substr(0, eq), tok.substr(eq + 1));
      }
      cfg.ues.push_back(std::move(kv));
    } else if (key == "pathloss_attr" || key == "handover_attr" || key == "power_control_attr") {
      std::string name;
      ss >> name;
      std::string value;
      std::getline(ss, value);
      value = Trim(value);
      if (name.empty() || value.empty()) {
        fail(key + " needs a name and a value");
      }
      auto& attrs = key == "pathloss_attr" ? cfg.pathlossAttrs
                    : key == "handover_attr" ? cfg.handoverAttrs
                                             : cfg.powerControlAttrs;
      attrs.emplace_back(name, value);
    } else if (key == "transfer") {
      TransferLine t;
      std::string dir;
      if (!(ss >> t.t_s >> dir >> t.ue >> t.bytes >> t.tag >> t.payload_bytes) ||
          (dir != "ul" && dir != "dl")) {
        fail("transfer needs: <t_s> <ul|dl> <ue> <bytes> <tag> <payload_bytes>");
      }
      t.uplink = dir == "ul";
      cfg.transfers.push_back(t);
    } else {
      std::string value;
      std::getline(ss, value);
      value = Trim(value);
      if (value.empty()) {
        fail("key '" + key + "' has no value");
      }
      cfg.top.Set(key, value);
    }
  }
  return cfg;
}

}  // namespace layersplit
