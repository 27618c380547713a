#include "discovery/service_namer.h"

#include <filesystem>
#include <system_error>

namespace redeye {

ServiceNamer::ServiceNamer(std::string proc_root) : proc_root_(std::move(proc_root)) {}

const std::string& ServiceNamer::name_of(uint32_t tgid, std::string_view comm) {
  auto it = cache_.find(tgid);
  if (it != cache_.end() && it->second.comm == comm) return it->second.name;
  Entry entry{std::string(comm), resolve(tgid, comm)};
  return cache_.insert_or_assign(tgid, std::move(entry)).first->second.name;
}

void ServiceNamer::forget(uint32_t tgid) { cache_.erase(tgid); }

std::string ServiceNamer::resolve(uint32_t tgid, std::string_view comm) const {
  std::error_code ec;
  const auto exe =
      std::filesystem::read_symlink(proc_root_ + "/" + std::to_string(tgid) + "/exe", ec);
  if (!ec) {
    std::string base = exe.filename().string();
    // A replaced binary reads as "name (deleted)".
    constexpr std::string_view kDeleted = " (deleted)";
    if (base.ends_with(kDeleted)) base.resize(base.size() - kDeleted.size());
    if (!base.empty()) return base;
  }
  return comm.empty() ? "unknown" : std::string(comm);
}

}  // namespace redeye
