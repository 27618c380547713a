#include "bpf/event_decoder.h"

#include <cstring>

namespace redeye {

static_assert(sizeof(redeye_event_header) == 32);
static_assert(sizeof(redeye_conn_open_event) == 96);
static_assert(sizeof(redeye_data_event) == 48);
static_assert(sizeof(redeye_conn_close_event) == 48);
static_assert(sizeof(redeye_conn_state) == 80);
static_assert(sizeof(redeye_h2_framing) == 20);
static_assert(sizeof(redeye_span) == 8);
static_assert(sizeof(redeye_pg_framing) == 12);
static_assert(sizeof(redeye_process_event) == 40);
static_assert(sizeof(redeye_proc_tcp) == 48);
static_assert(sizeof(redeye_exec_event) == 48 + 2 * REDEYE_EXEC_TEXT);

redeye_span span_at(std::span<const uint8_t> table, size_t i) {
  redeye_span span;
  std::memcpy(&span, table.data() + i * sizeof(redeye_span), sizeof(span));
  return span;
}

namespace {

// The HTTP/2 walk's event: the spans' bytes, then their table.
DecodedEvent decode_spans(const redeye_data_event* ev, std::span<const uint8_t> captured) {
  const uint64_t count = ev->hidden_messages;
  const uint64_t table_bytes = count * sizeof(redeye_span);
  if (count > REDEYE_MAX_SPANS || table_bytes > captured.size()) return MalformedEvent{};
  const auto bytes = captured.first(captured.size() - table_bytes);
  const auto table = captured.last(table_bytes);
  uint64_t end = 0;
  uint64_t sum = 0;
  for (size_t i = 0; i < count; ++i) {
    const redeye_span span = span_at(table, i);
    if (span.len == 0 || span.offset < end || uint64_t{span.offset} + span.len > ev->total_len) {
      return MalformedEvent{};
    }
    end = uint64_t{span.offset} + span.len;
    sum += span.len;
  }
  if (sum != bytes.size()) return MalformedEvent{};
  return DataEvent{ev, bytes, table};
}

}  // namespace

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
      // A span event's captured bytes include its table, so they may exceed the syscall's.
      const bool spans = ev->flags & REDEYE_DATA_SPANS;
      if ((!spans && ev->captured_len > ev->total_len) ||
          record.size() < sizeof(redeye_data_event) + ev->captured_len) {
        return MalformedEvent{};
      }
      const auto captured = record.subspan(sizeof(redeye_data_event), ev->captured_len);
      if (!spans) return DataEvent{ev, captured};
      return decode_spans(ev, captured);
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
