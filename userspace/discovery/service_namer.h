// tgid -> service_name. Until service configuration exists this is the executable's basename
// (/proc/<pid>/exe), falling back to the kernel's comm when the process is already gone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace redeye {

class ServiceNamer {
 public:
  explicit ServiceNamer(std::string proc_root = "/proc");

  // `comm` is the task name the kernel reported with the event; it also detects a reused PID.
  const std::string& name_of(uint32_t tgid, std::string_view comm);
  void forget(uint32_t tgid);
  size_t cached() const { return cache_.size(); }

 private:
  struct Entry {
    std::string comm;
    std::string name;
  };
  std::string resolve(uint32_t tgid, std::string_view comm) const;

  std::string proc_root_;
  std::unordered_map<uint32_t, Entry> cache_;
};

}  // namespace redeye
