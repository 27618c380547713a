#include "config/yaml_values.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "config/config_loader.h"

namespace redeye::config_yaml {

[[noreturn]] void fail(const std::string& key, const std::string& problem,
                       const std::string& example) {
  throw ConfigError(key, problem, example);
}

// A user's value inside a message: quoted, and cut when long.
std::string shown(const std::string& value) {
  constexpr std::size_t kMax = 60;
  if (value.size() <= kMax) return "'" + value + "'";
  return "'" + value.substr(0, kMax) + "...'";
}

const char* example_of(std::span<const KeySpec> keys, const std::string& name) {
  for (const KeySpec& spec : keys) {
    if (name == spec.name) return spec.example;
  }
  return "";
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Edits (insert, delete, substitute, swap two neighbours) turning a into b.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The known key closest to an unknown one, or nullptr when none is close enough to be a typo.
const KeySpec* closest_key(std::span<const KeySpec> keys, const std::string& unknown) {
  const std::string lower = lowercase(unknown);
  const KeySpec* best = nullptr;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const KeySpec& spec : keys) {
    const std::size_t distance = edit_distance(lower, spec.name);
    if (distance < best_distance) {
      best = &spec;
      best_distance = distance;
    }
  }
  const std::size_t allowed = std::min<std::size_t>(2, std::max<std::size_t>(1, lower.size() / 3));
  return best_distance <= allowed ? best : nullptr;
}

std::string child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

const char* kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "empty";
    default:
      return "a single value";
  }
}

// Calls visit(key, value) for each entry of a mapping, after checking that every key is known
// and given once.
void for_each_entry(const YAML::Node& map, const std::string& path, std::span<const KeySpec> keys,
                    const std::function<void(const std::string&, const YAML::Node&)>& visit) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      fail(path.empty() ? "(top level)" : path, "has a key that is not a plain name",
           std::string(keys.front().name) + ": " + keys.front().example);
    }
    const std::string key = it->first.Scalar();
    const std::string key_path = child(path, key);
    if (const char* example = example_of(keys, key); *example == '\0') {
      if (const KeySpec* near = closest_key(keys, key)) {
        fail(key_path, std::string("unknown key, did you mean ") + near->name + "?",
             std::string(near->name) + ": " + near->example);
      }
      std::string known;
      for (const KeySpec& spec : keys) known += std::string(known.empty() ? "" : ", ") + spec.name;
      fail(key_path, "unknown key; known here: " + known,
           std::string(keys.front().name) + ": " + keys.front().example);
    }
    if (!seen.insert(key).second) {
      fail(key_path, "is given twice in the same mapping; keep one",
           key + ": " + example_of(keys, key));
    }
    visit(key, it->second);
  }
}

std::string scalar_text(const YAML::Node& node, const std::string& key, const char* example) {
  if (node.IsNull()) fail(key, "has no value", example);
  if (!node.IsScalar()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a single value", example);
  }
  return node.Scalar();
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A decimal whole number that fits in uint64_t, or nullopt.
std::optional<uint64_t> whole_number(const std::string& text) {
  if (!all_digits(text)) return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

uint32_t parse_uint32(const std::string& raw, const std::string& key, const char* example) {
  const std::string text = trimmed(raw);
  if (text.empty()) fail(key, "has no value", example);
  if (text.front() == '-' && all_digits(text.substr(1))) {
    fail(key, shown(raw) + " is negative", example);
  }
  if (!all_digits(text)) fail(key, shown(raw) + " is not a whole number", example);
  const std::optional<uint64_t> value = whole_number(text);
  if (!value || *value > std::numeric_limits<uint32_t>::max()) {
    fail(key, shown(raw) + " is too large; at most 4294967295", example);
  }
  return static_cast<uint32_t>(*value);
}

bool parse_bool(const std::string& raw, const std::string& key, const char* example) {
  const std::string text = lowercase(trimmed(raw));
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  fail(key, shown(raw) + " is not true or false", example);
}

// "500ms", "5s", "1m", "1h" or a whole number of milliseconds.
uint32_t parse_duration_ms(const std::string& raw, const std::string& key, const char* example) {
  const std::string text = trimmed(raw);
  if (text.empty()) fail(key, "has no value", example);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  uint64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 60 * 60 * 1000;
  }
  if (text.front() == '-') fail(key, shown(raw) + " is negative", example);
  if (digits == 0 || scale == 0) {
    fail(key, shown(raw) + " is not a duration: a whole number followed by ms, s, m or h", example);
  }
  const std::optional<uint64_t> count = whole_number(text.substr(0, digits));
  if (!count || *count > std::numeric_limits<uint32_t>::max() / scale) {
    fail(key, shown(raw) + " is too long; at most 49 days", example);
  }
  return static_cast<uint32_t>(*count * scale);
}

constexpr const char* kPortExample = "8080, \"8000-8100\" or [80, 443]";

uint16_t parse_port_number(const std::string& text, const std::string& raw,
                           const std::string& key) {
  if (text.empty() || !all_digits(text)) {
    if (text.size() > 1 && text.front() == '-' && all_digits(text.substr(1))) {
      fail(key, shown(raw) + " is negative; ports are 1..65535", kPortExample);
    }
    fail(key, shown(raw) + " is not a port or a FIRST-LAST range", kPortExample);
  }
  const std::optional<uint64_t> value = whole_number(text);
  if (!value || *value == 0 || *value > 65535) {
    fail(key, text + " is outside the ports 1..65535", kPortExample);
  }
  return static_cast<uint16_t>(*value);
}

PortRange parse_port_range(const std::string& raw, const std::string& key) {
  const std::string text = trimmed(raw);
  // A '-' after the first character separates a range; a leading one is a minus sign.
  const auto dash = text.find('-', 1);
  if (dash == std::string::npos) {
    const uint16_t port = parse_port_number(text, raw, key);
    return PortRange{port, port};
  }
  const uint16_t first = parse_port_number(trimmed(text.substr(0, dash)), raw, key);
  const uint16_t last = parse_port_number(trimmed(text.substr(dash + 1)), raw, key);
  if (first > last) {
    fail(key, "range " + shown(raw) + " starts after it ends", "\"8000-8100\"");
  }
  return PortRange{first, last};
}

std::vector<PortRange> parse_ports(const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) return {parse_port_range(node.Scalar(), key)};
  if (!node.IsSequence()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a port, a range or a list of them",
         kPortExample);
  }
  if (node.size() == 0) fail(key, "is an empty list", kPortExample);
  std::vector<PortRange> ports;
  std::size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    const std::string item_key = element(key, index);
    if (!it->IsScalar()) {
      fail(item_key, std::string("is ") + kind_of(*it) + ", expected a port or a range",
           "8080 or \"8000-8100\"");
    }
    ports.push_back(parse_port_range(it->Scalar(), item_key));
  }
  return ports;
}

// A string value that may not be empty.
std::string non_empty_text(const YAML::Node& node, const std::string& key, const char* example) {
  std::string text = scalar_text(node, key, example);
  if (text.empty()) fail(key, "is empty", example);
  return text;
}
YAML::Node parse_yaml(const std::string& text, const std::string& source, const char* example) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    fail(source,
         "is not valid YAML: " + e.msg + " at line " + std::to_string(e.mark.line + 1) +
             ", column " + std::to_string(e.mark.column + 1),
         example);
  }
  if (documents.empty()) return YAML::Node();
  if (documents.size() > 1) {
    fail(source, "holds " + std::to_string(documents.size()) + " YAML documents, expected one",
         example);
  }
  return documents.front();
}

std::string read_file(const std::string& path) {
  constexpr const char* kExample = "--config /etc/redeye/redeye.yaml";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    fail(path, "cannot read the configuration file: it is a directory", kExample);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path, std::string("cannot read the configuration file: ") + std::strerror(errno),
         kExample);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    fail(path, std::string("cannot read the configuration file: ") + std::strerror(errno),
         kExample);
  }
  return text.str();
}

}  // namespace redeye::config_yaml
