#include "discovery/cgroup_identity.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace redeye::discovery {
namespace {

constexpr size_t kContainerIdLength = 64;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = text.find(separator);
    const std::string_view part = text.substr(0, at);
    if (!part.empty()) parts.push_back(part);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return !text.empty();
}

bool is_container_id(std::string_view text) {
  return text.size() == kContainerIdLength && is_lower_hex(text);
}

std::string_view strip_suffix(std::string_view text, std::string_view suffix) {
  if (text.ends_with(suffix)) text.remove_suffix(suffix.size());
  return text;
}

enum class SegmentKind { kOther, kContainer, kMonitor };

struct SegmentMatch {
  SegmentKind kind = SegmentKind::kOther;
  std::string_view runtime;
  std::string_view id;
};

// "crio-<id>.scope", "docker-<id>.scope", "cri-containerd-<id>.scope", "libpod-<id>" and
// the systemd cgroupsPath form "<slice>:<prefix>:<id>".
SegmentMatch match_prefixed(std::string_view segment) {
  struct Prefix {
    std::string_view prefix;
    std::string_view runtime;  // "" marks a runtime monitor
  };
  // Longer prefixes first: "crio-conmon-" before "crio-".
  static constexpr std::array<Prefix, 8> kPrefixes{{
      {"crio-conmon-", ""},
      {"libpod-conmon-", ""},
      {"libpod-payload-", "podman"},  // --cgroups=split, e.g. below a Quadlet unit
      {"cri-containerd-", "containerd"},
      {"crio-", "cri-o"},
      {"docker-", "docker"},
      {"libpod-", "podman"},
      {"nerdctl-", "containerd"},
  }};
  const std::string_view base = strip_suffix(segment, ".scope");
  for (const Prefix& p : kPrefixes) {
    if (!base.starts_with(p.prefix)) continue;
    const std::string_view id = base.substr(p.prefix.size());
    if (!is_container_id(id)) return {};
    if (p.runtime.empty()) return {SegmentKind::kMonitor, {}, {}};
    return {SegmentKind::kContainer, p.runtime, id};
  }
  return {};
}

SegmentMatch match_colon_form(std::string_view segment) {
  const std::vector<std::string_view> parts = split(segment, ':');
  if (parts.size() != 3 || !is_container_id(parts[2])) return {};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kRuntimes{{
      {"cri-containerd", "containerd"},
      {"crio", "cri-o"},
      {"docker", "docker"},
      {"libpod", "podman"},
  }};
  for (const auto& [prefix, runtime] : kRuntimes) {
    if (parts[1] == prefix) return {SegmentKind::kContainer, runtime, parts[2]};
  }
  return {SegmentKind::kContainer, "", parts[2]};
}

// A pod segment: "pod<uid>" (cgroupfs) with the uid's dashes, or "pod<uid>" as one token of a
// systemd slice name, with underscores. Static pods have 32-hex uids without separators.
bool parse_pod_token(std::string_view token, std::string& uid) {
  if (!token.starts_with("pod")) return false;
  token.remove_prefix(3);
  if (token.size() < 32 || token.size() > 36) return false;
  std::string normalised;
  for (char c : token) {
    if (c == '_' || c == '-') {
      normalised.push_back('-');
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      normalised.push_back(c);
    } else {
      return false;
    }
  }
  uid = std::move(normalised);
  return true;
}

bool is_qos(std::string_view token) { return token == "burstable" || token == "besteffort"; }

struct PathScan {
  ContainerIdentity identity;
  bool monitor = false;  // the innermost container-like segment is a runtime monitor
  bool in_kubepods = false;
};

// Updates pod state from one segment; returns true when the segment was Kubernetes-specific.
bool scan_kubernetes(std::string_view segment, PathScan& scan) {
  if (segment == "kubepods") {
    scan.in_kubepods = true;
    return true;
  }
  if (segment.ends_with(".slice")) {
    // kubepods.slice, kubepods-burstable.slice, kubepods-burstable-pod<uid>.slice, possibly
    // behind a cgroup root: kubelet-kubepods-besteffort-pod<uid>.slice.
    const std::vector<std::string_view> tokens = split(strip_suffix(segment, ".slice"), '-');
    bool after_kubepods = false;
    for (std::string_view token : tokens) {
      if (token == "kubepods") {
        after_kubepods = true;
        scan.in_kubepods = true;
      } else if (after_kubepods && is_qos(token)) {
        scan.identity.k8s_qos = std::string(token);
      } else if (after_kubepods) {
        parse_pod_token(token, scan.identity.pod_uid);
      }
    }
    return after_kubepods;
  }
  if (!scan.in_kubepods) return false;
  if (is_qos(segment)) {
    scan.identity.k8s_qos = std::string(segment);
    return true;
  }
  return parse_pod_token(segment, scan.identity.pod_uid);
}

SegmentMatch match_segment(std::string_view segment, std::string_view parent_runtime) {
  if (segment.find(':') != std::string_view::npos) return match_colon_form(segment);
  if (is_container_id(segment)) return {SegmentKind::kContainer, parent_runtime, segment};
  return match_prefixed(segment);
}

PathScan scan_path(std::string_view cgroup_path) {
  PathScan scan;
  std::string_view parent_runtime;  // runtime a bare 64-hex segment below here belongs to
  for (std::string_view segment : split(cgroup_path, '/')) {
    if (segment.find(':') != std::string_view::npos) {
      // "<pod slice>:cri-containerd:<id>": the slice part carries the pod.
      scan_kubernetes(segment.substr(0, segment.find(':')), scan);
    } else if (scan_kubernetes(segment, scan)) {
      continue;
    }
    const SegmentMatch match = match_segment(segment, parent_runtime);
    if (match.kind == SegmentKind::kContainer) {
      scan.identity.runtime = std::string(match.runtime);
      scan.identity.container_id = std::string(match.id);
      scan.monitor = false;
    } else if (match.kind == SegmentKind::kMonitor) {
      scan.monitor = true;
    } else if (segment == "docker" || segment == "docker.service") {
      parent_runtime = "docker";
    } else if (segment == "containerd.service") {
      parent_runtime = "containerd";
    }
  }
  if (!scan.identity.pod_uid.empty() && scan.identity.k8s_qos.empty()) {
    scan.identity.k8s_qos = "guaranteed";
  }
  if (scan.identity.pod_uid.empty()) scan.identity.k8s_qos.clear();
  return scan;
}

}  // namespace

ContainerIdentity parse_container_identity(std::string_view cgroup_path) {
  PathScan scan = scan_path(cgroup_path);
  if (scan.monitor) return {};
  return std::move(scan.identity);
}

std::string systemd_unit_from_cgroup(std::string_view cgroup_path) {
  const std::vector<std::string_view> segments = split(cgroup_path, '/');
  size_t unit = segments.size();
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string_view s = segments[i];
    if (s.find(':') != std::string_view::npos) continue;
    if (s.size() > 8 && s.ends_with(".service") && !s.starts_with("user@")) unit = i;
  }
  if (unit == segments.size()) return "";
  // A pod below the unit, or a container below a container runtime's own unit, is what the
  // process belongs to, not the unit. A container below any other unit (podman under a
  // Quadlet or "podman generate systemd" unit) keeps the unit: it names the service.
  static constexpr std::array<std::string_view, 4> kRuntimeUnits{
      "containerd.service", "docker.service", "crio.service", "podman.service"};
  const bool runtime_unit =
      std::find(kRuntimeUnits.begin(), kRuntimeUnits.end(), segments[unit]) != kRuntimeUnits.end();
  for (size_t i = unit + 1; i < segments.size(); ++i) {
    PathScan below;
    below.in_kubepods = true;
    std::string_view segment = segments[i];
    if (segment.find(':') != std::string_view::npos) return "";  // "<pod slice>:<rt>:<id>"
    if (scan_kubernetes(segment, below)) return "";
    if (runtime_unit && match_segment(segment, "").kind != SegmentKind::kOther) return "";
  }
  return std::string(segments[unit]);
}

}  // namespace redeye::discovery
