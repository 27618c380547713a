// Reading and splitting the small text files of /proc and cgroupfs. They report a size of 0,
// so files are read until EOF (capped); any read error means "unknown", never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redeye::host {

// The whole file (at most 1 MiB), or nullopt when it cannot be opened or read (EACCES from
// /proc/<pid>/io, ESRCH when the task exits, EOPNOTSUPP from *.pressure without PSI).
std::optional<std::string> read_text_file(const std::string& path);

std::string_view trim(std::string_view s);
std::vector<std::string_view> split_whitespace(std::string_view s);
// The whole of `s` as a number, or nullopt.
std::optional<uint64_t> to_u64(std::string_view s);
std::optional<int64_t> to_i64(std::string_view s);

}  // namespace redeye::host
