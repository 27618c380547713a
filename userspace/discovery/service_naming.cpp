#include "discovery/service_naming.h"

#include <cstddef>
#include <cstdint>

namespace redeye::discovery {
namespace {

constexpr size_t kMaxNameBytes = 128;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// Characters Kubernetes uses for generated names (k8s.io/apimachinery rand.String).
bool is_generated_char(char c) {
  constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  return kAlphabet.find(c) != std::string_view::npos;
}

bool is_generated(std::string_view token, size_t min_len, size_t max_len) {
  if (token.size() < min_len || token.size() > max_len) return false;
  for (char c : token) {
    if (!is_generated_char(c)) return false;
  }
  return true;
}

bool is_digits(std::string_view token, size_t min_len) {
  if (token.size() < min_len) return false;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Splits "a-b-c" into "a-b" and "c"; false when there is no '-' with text on both sides.
bool split_last_dash(std::string_view text, std::string_view& head, std::string_view& tail) {
  const size_t dash = text.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return false;
  head = text.substr(0, dash);
  tail = text.substr(dash + 1);
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t min_code = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    min_code = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    min_code = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    min_code = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  uint32_t code = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

std::string basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

std::string sanitize_service_name(std::string_view name) {
  name = trim(name);
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    const size_t length = utf8_sequence_length(name, i);
    std::string_view piece = length == 0 ? std::string_view("_") : name.substr(i, length);
    if (length == 1 && (static_cast<unsigned char>(name[i]) < 0x20 || name[i] == 0x7F)) {
      piece = "_";
    }
    if (out.size() + piece.size() > kMaxNameBytes) break;
    out.append(piece);
    i += length == 0 ? 1 : length;
  }
  return out;
}

std::optional<std::string> resource_attribute(std::string_view attributes, std::string_view key) {
  while (!attributes.empty()) {
    const size_t comma = attributes.find(',');
    const std::string_view pair = attributes.substr(0, comma);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos && trim(pair.substr(0, equals)) == key) {
      return percent_decode(trim(pair.substr(equals + 1)));
    }
    if (comma == std::string_view::npos) break;
    attributes.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

std::string workload_name_from_pod(std::string_view pod_name) {
  std::string_view head;
  std::string_view tail;
  if (!split_last_dash(pod_name, head, tail)) return std::string(pod_name);
  if (is_generated(tail, 5, 5)) {
    // <deployment>-<replicaset hash>-<suffix> or <cronjob>-<minute>-<suffix>, else
    // <daemonset|job|replicaset>-<suffix>.
    std::string_view owner;
    std::string_view middle;
    if (split_last_dash(head, owner, middle) &&
        (is_generated(middle, 6, 10) || is_digits(middle, 8))) {
      return std::string(owner);
    }
    return std::string(head);
  }
  if (is_digits(tail, 1)) return std::string(head);  // StatefulSet ordinal
  return std::string(pod_name);
}

ServiceName default_service_name(const ProcessInfo& process) {
  if (std::string name = sanitize_service_name(process.otel_service_name); !name.empty()) {
    return {std::move(name), sanitize_service_name(process.otel_service_namespace), "otel_env"};
  }
  if (std::string_view unit = process.systemd_unit; !unit.empty()) {
    if (unit.ends_with(".service")) unit.remove_suffix(8);
    if (std::string name = sanitize_service_name(unit); !name.empty()) {
      return {std::move(name), "", "systemd"};
    }
  }
  if (!process.container.pod_uid.empty()) {
    const std::string pod = sanitize_service_name(process.hostname_env);
    if (!pod.empty()) return {workload_name_from_pod(pod), "", "kubernetes"};
  }
  if (!process.container.container_id.empty()) {
    return {"container-" + process.container.container_id.substr(0, 12), "", "container"};
  }
  std::string name = sanitize_service_name(basename_of(process.exe));
  if (name.empty()) name = sanitize_service_name(process.comm);
  if (name.empty()) name = "unknown";
  return {std::move(name), "", "exe"};
}

ServiceName service_name(const ProcessInfo& process, const ServiceRule* rule) {
  if (rule != nullptr) return {rule->name, rule->service_namespace, "rule"};
  return default_service_name(process);
}

}  // namespace redeye::discovery
