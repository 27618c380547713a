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
  std::span<const uint8_t> payload;  // header->captured_len bytes
};

struct MalformedEvent {};

// Process events (exit, fork, listen, OOM kill) share one layout; see hdr.type. EXEC carries
// the program's path and command line too.
using DecodedEvent =
    std::variant<MalformedEvent, const redeye_conn_open_event*, DataEvent,
                 const redeye_conn_close_event*, const redeye_process_event*,
                 const redeye_exec_event*>;

DecodedEvent decode_event(std::span<const uint8_t> record);

}  // namespace redeye
