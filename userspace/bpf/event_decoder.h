// Turns one ring-buffer record into a typed event, checking sizes: a record that does not
// match the ABI is reported as malformed, never read past its end.
#pragma once

#include <cstdint>
#include <span>
#include <variant>

#include "redeye/abi.h"

namespace redeye {

struct DataEvent {
  const redeye_data_event* header;
  // The captured bytes: a prefix of the syscall's, or with REDEYE_DATA_SPANS the spans' bytes
  // one after the other.
  std::span<const uint8_t> payload;
  // REDEYE_DATA_SPANS: header->hidden_messages redeye_span entries (unaligned), checked: in
  // order, not overlapping, inside total_len, their lengths summing to payload.size().
  std::span<const uint8_t> span_table = {};
};

// Entry `i` of a checked span table.
redeye_span span_at(std::span<const uint8_t> table, size_t i);

struct MalformedEvent {};

// Process events (exit, fork, listen, OOM kill) share one layout; see hdr.type. EXEC carries
// the program's path and command line too.
using DecodedEvent = std::variant<MalformedEvent, const redeye_conn_open_event*, DataEvent,
                                  const redeye_conn_close_event*, const redeye_process_event*,
                                  const redeye_exec_event*>;

DecodedEvent decode_event(std::span<const uint8_t> record);

}  // namespace redeye
