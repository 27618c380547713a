#include "host/cgroup_namespace.h"

#include <deque>
#include <filesystem>
#include <vector>

#include "host/text_file.h"

namespace redeye::host {

std::optional<std::string> find_cgroup_of(uint32_t pid, const std::string& v2_root,
                                          size_t max_dirs) {
  namespace fs = std::filesystem;
  const std::string wanted = std::to_string(pid);
  std::deque<std::string> queue{""};
  size_t visited = 0;
  while (!queue.empty() && visited++ < max_dirs) {
    const std::string rel = std::move(queue.front());
    queue.pop_front();
    if (auto procs = read_text_file(v2_root + rel + "/cgroup.procs")) {
      for (auto field : split_whitespace(*procs)) {
        if (field == wanted) return rel.empty() ? "/" : rel;
      }
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(v2_root + rel, ec)) {
      std::error_code type_ec;
      if (entry.is_directory(type_ec) && !entry.is_symlink(type_ec)) {
        queue.push_back(rel + "/" + entry.path().filename().string());
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> resolve_cgroup_path(std::string_view namespace_root,
                                               std::string_view relative) {
  std::vector<std::string_view> parts;
  for (std::string_view source : {namespace_root, relative}) {
    size_t pos = 0;
    while (pos <= source.size()) {
      size_t next = source.find('/', pos);
      if (next == std::string_view::npos) next = source.size();
      const std::string_view part = source.substr(pos, next - pos);
      if (part == "..") {
        if (parts.empty()) return std::nullopt;
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      pos = next + 1;
    }
  }
  std::string out;
  for (auto part : parts) {
    out.push_back('/');
    out.append(part);
  }
  return out.empty() ? "/" : out;
}

bool shows_outside_namespace(std::string_view proc_cgroup_text) {
  return proc_cgroup_text.find("0::/..") != std::string_view::npos;
}

}  // namespace redeye::host
