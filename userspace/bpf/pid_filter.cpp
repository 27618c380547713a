#include "bpf/pid_filter.h"

#include <algorithm>
#include <atomic>
#include <charconv>

#include "redeye/abi.h"

namespace redeye {

bool PidFilter::set(uint32_t tgid, uint8_t action) {
  if (tgid >= bytes_.size()) return false;
  std::atomic_ref<uint8_t>(bytes_[tgid]).store(action, std::memory_order_relaxed);
  return true;
}

bool PidFilter::clear_if(uint32_t tgid, uint8_t action) {
  if (tgid >= bytes_.size()) return false;
  uint8_t expected = action;
  return std::atomic_ref<uint8_t>(bytes_[tgid])
      .compare_exchange_strong(expected, 0, std::memory_order_relaxed);
}

std::optional<uint32_t> pid_filter_capacity(std::string_view pid_max_text) {
  while (!pid_max_text.empty() && (pid_max_text.back() == '\n' || pid_max_text.back() == ' ')) {
    pid_max_text.remove_suffix(1);
  }
  uint64_t pid_max = 0;
  const auto [end, ec] =
      std::from_chars(pid_max_text.data(), pid_max_text.data() + pid_max_text.size(), pid_max);
  if (ec != std::errc() || end != pid_max_text.data() + pid_max_text.size() || pid_max == 0) {
    return std::nullopt;
  }
  const uint64_t rounded = (pid_max + 7) / 8 * 8;
  return static_cast<uint32_t>(std::min<uint64_t>(rounded, REDEYE_PID_FILTER_MAX_PIDS));
}

}  // namespace redeye
