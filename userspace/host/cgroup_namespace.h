// An agent in its own cgroup namespace (a Kubernetes pod on cgroup v2) reads other processes'
// cgroup paths relative to its own cgroup: "0::/../../kubepods.slice/...". With the host's
// cgroupfs mounted, it finds its own cgroup's directory there once, and resolves such paths
// against it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace redeye::host {

// The path (relative to `v2_root`, starting with '/') of the cgroup directory whose
// cgroup.procs lists `pid`, searching at most `max_dirs` directories breadth-first.
std::optional<std::string> find_cgroup_of(uint32_t pid, const std::string& v2_root,
                                          size_t max_dirs = 100000);

// `namespace_root` + `relative`, normalised ("/a/b" + "/../c" -> "/a/c"); nullopt when it would
// climb above "/".
std::optional<std::string> resolve_cgroup_path(std::string_view namespace_root,
                                               std::string_view relative);

// Whether `proc_cgroup_text` (a /proc/<pid>/cgroup) shows a unified path outside our namespace.
bool shows_outside_namespace(std::string_view proc_cgroup_text);

}  // namespace redeye::host
