#include "system/kernel_features.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace redeye {
namespace {

constexpr const char* kTracefsRoots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool has_effective_cap(const __user_cap_data_struct data[2], int cap) {
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

std::string tracefs_root() {
  for (const char* root : kTracefsRoots) {
    std::error_code ec;
    if (std::filesystem::exists(std::string(root) + "/events", ec)) return root;
  }
  return "";
}

}  // namespace

FeatureCheck check_btf() {
  std::error_code ec;
  if (std::filesystem::exists(kKernelBtfPath, ec)) {
    return {"BTF", true, kKernelBtfPath};
  }
  return {"BTF", false,
          std::string(kKernelBtfPath) +
              " is missing: this kernel was built without CONFIG_DEBUG_INFO_BTF; redeye needs "
              "a kernel with BTF (Debian 11+, Ubuntu 20.10+, RHEL 8.2+ have it)"};
}

FeatureCheck check_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) {
    return {"capabilities", false, std::string("capget failed: ") + std::strerror(errno)};
  }
  if (has_effective_cap(data, CAP_SYS_ADMIN)) return {"capabilities", true, "CAP_SYS_ADMIN"};
  std::string missing;
  if (!has_effective_cap(data, CAP_BPF)) missing += " CAP_BPF";
  if (!has_effective_cap(data, CAP_PERFMON)) missing += " CAP_PERFMON";
  if (missing.empty()) return {"capabilities", true, "CAP_BPF CAP_PERFMON"};
  return {"capabilities", false,
          "missing" + missing +
              ": run as root, or grant CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and "
              "CAP_DAC_READ_SEARCH (e.g. setcap or the container's securityContext)"};
}

FeatureCheck ensure_tracefs() {
  std::string root = tracefs_root();
  if (!root.empty()) return {"tracefs", true, root};
  if (mount("nodev", kTracefsRoots[0], "tracefs", 0, nullptr) == 0 && !tracefs_root().empty()) {
    return {"tracefs", true, std::string(kTracefsRoots[0]) + " (mounted by redeye)"};
  }
  return {"tracefs", false,
          std::string("tracefs is not mounted and mounting it failed (") + std::strerror(errno) +
              "): run 'mount -t tracefs nodev /sys/kernel/tracing' or grant CAP_SYS_ADMIN"};
}

FeatureCheck check_tracepoints(const std::vector<std::string>& names) {
  std::string root = tracefs_root();
  if (root.empty()) return {"tracepoints", false, "tracefs not available"};
  std::string missing;
  size_t checked = 0;
  for (const auto& name : names) {
    // Only "tracepoint/<category>/<event>" sections name tracefs events; BTF tracepoints
    // (tp_btf/...) are checked by the verifier at load.
    constexpr std::string_view kPrefix = "tracepoint/";
    if (!name.starts_with(kPrefix)) continue;
    const std::string event = name.substr(kPrefix.size());
    checked++;
    std::error_code ec;
    if (!std::filesystem::exists(root + "/events/" + event, ec)) missing += " " + event;
  }
  if (missing.empty()) {
    return {"tracepoints", true, std::to_string(checked) + " tracepoints present"};
  }
  return {"tracepoints", false, "missing in this kernel:" + missing};
}

std::string kernel_release() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

}  // namespace redeye
