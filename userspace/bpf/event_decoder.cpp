#include "bpf/event_decoder.h"

namespace redeye {

static_assert(sizeof(redeye_event_header) == 32);
static_assert(sizeof(redeye_conn_open_event) == 96);
static_assert(sizeof(redeye_data_event) == 48);
static_assert(sizeof(redeye_conn_close_event) == 48);
static_assert(sizeof(redeye_conn_state) == 48);
static_assert(sizeof(redeye_pg_framing) == 12);
static_assert(sizeof(redeye_process_event) == 40);
static_assert(sizeof(redeye_proc_tcp) == 48);
static_assert(sizeof(redeye_exec_event) == 48 + 2 * REDEYE_EXEC_TEXT);

DecodedEvent decode_event(std::span<const uint8_t> record) {
  if (record.size() < sizeof(redeye_event_header)) return MalformedEvent{};
  const auto* hdr = reinterpret_cast<const redeye_event_header*>(record.data());
  switch (hdr->type) {
    case REDEYE_EV_CONN_OPEN:
      if (record.size() != sizeof(redeye_conn_open_event)) return MalformedEvent{};
      return reinterpret_cast<const redeye_conn_open_event*>(record.data());
    case REDEYE_EV_DATA: {
      if (record.size() < sizeof(redeye_data_event)) return MalformedEvent{};
      const auto* ev = reinterpret_cast<const redeye_data_event*>(record.data());
      if (ev->captured_len > ev->total_len ||
          record.size() < sizeof(redeye_data_event) + ev->captured_len) {
        return MalformedEvent{};
      }
      return DataEvent{ev, record.subspan(sizeof(redeye_data_event), ev->captured_len)};
    }
    case REDEYE_EV_CONN_CLOSE:
      if (record.size() != sizeof(redeye_conn_close_event)) return MalformedEvent{};
      return reinterpret_cast<const redeye_conn_close_event*>(record.data());
    case REDEYE_EV_PROCESS_EXEC: {
      if (record.size() != sizeof(redeye_exec_event)) return MalformedEvent{};
      const auto* ev = reinterpret_cast<const redeye_exec_event*>(record.data());
      if (ev->filename_len >= REDEYE_EXEC_TEXT || ev->args_len > REDEYE_EXEC_TEXT) {
        return MalformedEvent{};
      }
      return ev;
    }
    case REDEYE_EV_PROCESS_EXIT:
    case REDEYE_EV_PROCESS_FORK:
    case REDEYE_EV_LISTEN:
    case REDEYE_EV_OOM_KILL:
      if (record.size() != sizeof(redeye_process_event)) return MalformedEvent{};
      return reinterpret_cast<const redeye_process_event*>(record.data());
    default:
      return MalformedEvent{};
  }
}

}  // namespace redeye
