// What the running kernel and our privileges allow, checked before loading probes so that a
// failure is one clear line instead of a verifier dump.
#pragma once

#include <string>
#include <vector>

namespace redeye {

struct FeatureCheck {
  std::string name;    // e.g. "BTF"
  bool ok = false;
  std::string detail;  // what was found, or why not and how to fix it
};

// Path of the kernel's own BTF, needed for CO-RE relocations.
inline constexpr const char* kKernelBtfPath = "/sys/kernel/btf/vmlinux";

FeatureCheck check_btf();
// Capabilities needed to load and attach: CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN.
FeatureCheck check_capabilities();
// tracefs must be mounted for tracepoint attach; mounts it when missing and allowed.
FeatureCheck ensure_tracefs();
// Whether every "tracepoint/<category>/<event>" among the program sections `names` exists in
// tracefs (other section kinds are skipped).
FeatureCheck check_tracepoints(const std::vector<std::string>& names);

std::string kernel_release();

}  // namespace redeye
