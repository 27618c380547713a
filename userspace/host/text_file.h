// Reading and splitting the text files of /proc and cgroupfs, for host/ and discovery/ alike.
// They report a size of 0, so files are read until EOF (capped unless told otherwise); any
// read error means "unknown", never an exception.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redeye::host {

inline constexpr size_t kTextFileCap = size_t{1} << 20;
inline constexpr size_t kNoSizeCap = std::numeric_limits<size_t>::max();

// The whole file, or nullopt when it cannot be opened or read (EACCES from /proc/<pid>/io,
// ESRCH when the task exits, EOPNOTSUPP from *.pressure without PSI). Reading stops once
// `max_bytes` are in (the text then holds fewer than max_bytes + 4096 bytes); kNoSizeCap
// reads to EOF (a /proc/net/tcp of the whole host, a long cmdline or environ).
std::optional<std::string> read_text_file(const std::string& path, size_t max_bytes = kTextFileCap);

std::string_view trim(std::string_view s);
std::vector<std::string_view> split_whitespace(std::string_view s);
// The whole of `s` as a number, or nullopt.
std::optional<uint64_t> to_u64(std::string_view s);
std::optional<int64_t> to_i64(std::string_view s);

}  // namespace redeye::host
