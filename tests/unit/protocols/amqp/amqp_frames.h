// AMQP 0-9-1 byte strings for the tests, built from the specification's frame and argument
// layouts (and RabbitMQ's field-table types): frames, methods, content headers, field tables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redeye::amqp::testing {

// Big-endian argument encoder.
class Args {
 public:
  Args& u8(uint8_t v) {
    s_.push_back(static_cast<char>(v));
    return *this;
  }
  Args& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Args& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  Args& u64(uint64_t v) {
    return u32(static_cast<uint32_t>(v >> 32)).u32(static_cast<uint32_t>(v));
  }
  Args& shortstr(std::string_view v) {
    u8(static_cast<uint8_t>(v.size()));
    s_.append(v);
    return *this;
  }
  Args& longstr(std::string_view v) {
    u32(static_cast<uint32_t>(v.size()));
    s_.append(v);
    return *this;
  }
  Args& raw(std::string_view v) {
    s_.append(v);
    return *this;
  }
  const std::string& str() const { return s_; }
  operator std::string() const { return s_; }
  operator std::string_view() const { return s_; }

 private:
  std::string s_;
};

inline std::string protocol_header() { return std::string("AMQP\0\0\x09\x01", 8); }

inline std::string frame(uint8_t type, uint16_t channel, std::string_view payload) {
  return Args()
      .u8(type)
      .u16(channel)
      .u32(static_cast<uint32_t>(payload.size()))
      .raw(payload)
      .u8(0xCE)
      .str();
}

inline std::string method(uint16_t channel, uint16_t class_id, uint16_t method_id,
                          std::string_view args = {}) {
  return frame(1, channel, Args().u16(class_id).u16(method_id).raw(args).str());
}

inline std::string heartbeat() { return frame(8, 0, ""); }

// --- field tables: each value is its type octet followed by its encoding
inline std::string field_table(const std::vector<std::pair<std::string, std::string>>& fields) {
  Args body;
  for (const auto& [name, value] : fields) body.shortstr(name).raw(value);
  return Args().longstr(body.str()).str();  // long-uint size + fields
}
inline std::string long_string_value(std::string_view s) { return Args().u8('S').longstr(s); }
inline std::string long_value(int64_t v) { return Args().u8('l').u64(static_cast<uint64_t>(v)); }
inline std::string timestamp_value(uint64_t v) { return Args().u8('T').u64(v); }
inline std::string table_value(const std::vector<std::pair<std::string, std::string>>& fields) {
  return "F" + field_table(fields);
}
inline std::string array_value(const std::vector<std::string>& values) {
  std::string body;
  for (const auto& v : values) body += v;
  return Args().u8('A').longstr(body);
}

// The headers RabbitMQ sets on a message dead-lettered once from `queue`.
inline std::string x_death_headers(std::string_view queue, std::string_view reason) {
  const std::string death =
      table_value({{"count", long_value(1)},
                   {"reason", long_string_value(reason)},
                   {"queue", long_string_value(queue)},
                   {"time", timestamp_value(1700000000)},
                   {"exchange", long_string_value("orders")},
                   {"routing-keys", array_value({long_string_value("new")})}});
  return field_table({{"x-death", array_value({death})},
                      {"x-first-death-exchange", long_string_value("orders")},
                      {"x-first-death-queue", long_string_value(queue)},
                      {"x-first-death-reason", long_string_value(reason)}});
}

// Content header (class Basic, weight 0); `headers` is an encoded field table or empty.
inline std::string content_header(uint16_t channel, uint64_t body_size,
                                  std::string_view headers = {},
                                  std::string_view content_type = {}) {
  uint16_t flags = 0;
  Args props;
  if (!content_type.empty()) {
    flags |= 1u << 15;
    props.shortstr(content_type);
  }
  if (!headers.empty()) {
    flags |= 1u << 13;
    props.raw(headers);
  }
  flags |= 1u << 12;  // delivery-mode
  props.u8(2);
  return frame(2, channel, Args().u16(60).u16(0).u64(body_size).u16(flags).raw(props.str()).str());
}

inline std::string body(uint16_t channel, std::string_view payload) {
  return frame(3, channel, payload);
}

// --- connection and channel
inline std::string connection_start() {
  return method(0, 10, 10,
                Args()
                    .u8(0)
                    .u8(9)
                    .raw(field_table({{"product", long_string_value("RabbitMQ")}}))
                    .longstr("PLAIN AMQPLAIN")
                    .longstr("en_US"));
}
inline std::string connection_start_ok() {
  return method(0, 10, 11,
                Args()
                    .raw(field_table({{"product", long_string_value("pika")}}))
                    .shortstr("PLAIN")
                    .longstr(std::string("\0guest\0guest", 12))
                    .shortstr("en_US"));
}
inline std::string connection_tune(uint16_t ok = 0) {
  return method(0, 10, 30 + ok, Args().u16(2047).u32(131072).u16(60));
}
inline std::string connection_open() {
  return method(0, 10, 40, Args().shortstr("/").shortstr("").u8(0));
}
inline std::string connection_open_ok() { return method(0, 10, 41, Args().shortstr("")); }
inline std::string connection_close() {
  return method(0, 10, 50, Args().u16(200).shortstr("Normal shutdown").u16(0).u16(0));
}
inline std::string connection_close_ok() { return method(0, 10, 51); }
inline std::string channel_open(uint16_t ch) { return method(ch, 20, 10, Args().shortstr("")); }
inline std::string channel_open_ok(uint16_t ch) { return method(ch, 20, 11, Args().longstr("")); }
inline std::string channel_close(uint16_t ch) {
  return method(ch, 20, 40, Args().u16(200).shortstr("Normal shutdown").u16(0).u16(0));
}
inline std::string channel_close_ok(uint16_t ch) { return method(ch, 20, 41); }

// --- basic and confirm
inline std::string qos(uint16_t ch, uint16_t prefetch) {
  return method(ch, 60, 10, Args().u32(0).u16(prefetch).u8(0));
}
inline std::string qos_ok(uint16_t ch) { return method(ch, 60, 11); }
inline std::string confirm_select(uint16_t ch) { return method(ch, 85, 10, Args().u8(0)); }
inline std::string confirm_select_ok(uint16_t ch) { return method(ch, 85, 11); }
inline std::string publish(uint16_t ch, std::string_view exchange, std::string_view key) {
  return method(ch, 60, 40, Args().u16(0).shortstr(exchange).shortstr(key).u8(0));
}
// Publish with its content: method, header and one body frame.
inline std::string publish_message(uint16_t ch, std::string_view exchange, std::string_view key,
                                   std::string_view payload) {
  return publish(ch, exchange, key) + content_header(ch, payload.size()) + body(ch, payload);
}
inline std::string consume(uint16_t ch, std::string_view queue, std::string_view tag,
                           bool no_ack = false, bool no_wait = false) {
  const uint8_t bits = static_cast<uint8_t>((no_ack ? 2 : 0) | (no_wait ? 8 : 0));
  return method(ch, 60, 20,
                Args().u16(0).shortstr(queue).shortstr(tag).u8(bits).raw(field_table({})));
}
inline std::string consume_ok(uint16_t ch, std::string_view tag) {
  return method(ch, 60, 21, Args().shortstr(tag));
}
inline std::string cancel(uint16_t ch, std::string_view tag, bool no_wait = false) {
  return method(ch, 60, 30, Args().shortstr(tag).u8(no_wait ? 1 : 0));
}
inline std::string cancel_ok(uint16_t ch, std::string_view tag) {
  return method(ch, 60, 31, Args().shortstr(tag));
}
inline std::string deliver(uint16_t ch, std::string_view tag, uint64_t delivery_tag) {
  return method(ch, 60, 60,
                Args().shortstr(tag).u64(delivery_tag).u8(0).shortstr("orders").shortstr("new"));
}
// Deliver with its content; `headers` as for content_header.
inline std::string deliver_message(uint16_t ch, std::string_view tag, uint64_t delivery_tag,
                                   std::string_view payload, std::string_view headers = {}) {
  return deliver(ch, tag, delivery_tag) + content_header(ch, payload.size(), headers) +
         body(ch, payload);
}
inline std::string get(uint16_t ch, std::string_view queue, bool no_ack = false) {
  return method(ch, 60, 70, Args().u16(0).shortstr(queue).u8(no_ack ? 1 : 0));
}
inline std::string get_ok(uint16_t ch, uint64_t delivery_tag, uint32_t remaining = 0) {
  return method(
      ch, 60, 71,
      Args().u64(delivery_tag).u8(0).shortstr("orders.dlx").shortstr("new").u32(remaining));
}
inline std::string get_empty(uint16_t ch) { return method(ch, 60, 72, Args().shortstr("")); }
inline std::string ack(uint16_t ch, uint64_t tag, bool multiple = false) {
  return method(ch, 60, 80, Args().u64(tag).u8(multiple ? 1 : 0));
}
inline std::string nack(uint16_t ch, uint64_t tag, bool multiple, bool requeue) {
  return method(ch, 60, 120,
                Args().u64(tag).u8(static_cast<uint8_t>((multiple ? 1 : 0) | (requeue ? 2 : 0))));
}
inline std::string reject(uint16_t ch, uint64_t tag, bool requeue) {
  return method(ch, 60, 90, Args().u64(tag).u8(requeue ? 1 : 0));
}
inline std::string recover(uint16_t ch, bool requeue) {
  return method(ch, 60, 110, Args().u8(requeue ? 1 : 0));
}
inline std::string queue_declare(uint16_t ch, std::string_view queue) {
  return method(ch, 50, 10, Args().u16(0).shortstr(queue).u8(0).raw(field_table({})));
}

}  // namespace redeye::amqp::testing
