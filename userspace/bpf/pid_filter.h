// Userspace's side of the kernel's process filter (map `pid_filter`, bpf/maps.h): one byte per
// pid holding an enum redeye_filter_action (0: no decision), read by every socket hook. The
// agent writes single bytes through a shared mapping of the map, never whole elements: the
// kernel sets bytes of the same elements itself (a followed process's forked child, a new
// program, an exit), and a read-modify-write of an element would undo those.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace redeye {

class PidFilter {
 public:
  PidFilter() = default;
  // `bytes` is the mapped map (or a test's buffer): byte i belongs to pid i.
  explicit PidFilter(std::span<uint8_t> bytes) : bytes_(bytes) {}

  // Pids 0 .. capacity()-1 can be held; higher ones are never followed (follow_all: never
  // ignored).
  uint32_t capacity() const { return static_cast<uint32_t>(bytes_.size()); }
  // Sets the action of `tgid`. False when the pid is beyond the filter.
  bool set(uint32_t tgid, uint8_t action);
  // Clears `tgid` if its action is still `action` (and not one written since). False when it
  // was not.
  bool clear_if(uint32_t tgid, uint8_t action);

 private:
  std::span<uint8_t> bytes_;
};

// How many pids the filter must hold, from the text of /proc/sys/kernel/pid_max (pids are
// always below it): the value rounded up to whole elements of 8 pids, at most
// REDEYE_PID_FILTER_MAX_PIDS. nullopt when the text is not a number.
std::optional<uint32_t> pid_filter_capacity(std::string_view pid_max_text);

}  // namespace redeye
