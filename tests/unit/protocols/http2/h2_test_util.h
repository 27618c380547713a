// Byte builders for HTTP/2 tests: frames, gRPC messages, header blocks made by nghttp2's HPACK
// deflater, and a sink that records what a conversation reports.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/http2/h2_events.h"
#include "protocols/protocol.h"

namespace redeye::http2::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string be(uint64_t v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

inline std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  return be(payload.size(), 3) + static_cast<char>(type) + static_cast<char>(flags) +
         be(stream, 4) + std::string(payload);
}

inline const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

inline std::string settings(std::vector<std::pair<uint16_t, uint32_t>> values = {}) {
  std::string payload;
  for (auto [id, v] : values) payload += be(id, 2) + be(v, 4);
  return frame(4, 0, 0, payload);
}
inline std::string settings_ack() { return frame(4, 1, 0, ""); }
inline std::string ping(bool ack = false) { return frame(6, ack ? 1 : 0, 0, std::string(8, 'p')); }
inline std::string window_update(uint32_t stream) { return frame(8, 0, stream, be(65535, 4)); }
inline std::string headers(uint32_t stream, std::string_view block, bool end_stream,
                           bool end_headers = true) {
  return frame(1, (end_stream ? 1 : 0) | (end_headers ? 4 : 0), stream, block);
}
inline std::string continuation(uint32_t stream, std::string_view block, bool end_headers) {
  return frame(9, end_headers ? 4 : 0, stream, block);
}
inline std::string data(uint32_t stream, std::string_view payload, bool end_stream) {
  return frame(0, end_stream ? 1 : 0, stream, payload);
}
inline std::string rst_stream(uint32_t stream, uint32_t code) {
  return frame(3, 0, stream, be(code, 4));
}
inline std::string goaway(uint32_t last_stream, uint32_t code) {
  return frame(7, 0, 0, be(last_stream, 4) + be(code, 4) + "bye");
}
// A gRPC message: compressed flag 0, length, body.
inline std::string message(std::string_view body) {
  return std::string(1, '\0') + be(body.size(), 4) + std::string(body);
}

class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual std::string block(const Headers& headers, bool never_index = false) = 0;
  virtual void change_table_size(size_t size) = 0;
};

// nghttp2's HPACK deflater: the header blocks a real peer would send. (It never indexes
// :path, so a late-joined decoder always sees the path of its requests.)
class Deflater : public Encoder {
 public:
  explicit Deflater(size_t table_size = 4096) {
    if (nghttp2_hd_deflate_new(&deflater_, table_size) != 0) throw std::runtime_error("deflater");
  }
  ~Deflater() { nghttp2_hd_deflate_del(deflater_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  std::string block(const Headers& headers, bool never_index = false) override {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : headers) {
      nva.push_back(
          {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
           reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
           static_cast<uint8_t>(never_index ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)});
    }
    std::string out(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
    const auto n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<uint8_t*>(out.data()),
                                         out.size(), nva.data(), nva.size());
    if (n < 0) throw std::runtime_error("deflate");
    out.resize(static_cast<size_t>(n));
    return out;
  }
  void change_table_size(size_t size) override {
    nghttp2_hd_deflate_change_table_size(deflater_, size);
  }

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
};

// An encoder that indexes every field, as grpc-go's does (its second request on a connection
// is :method and :scheme from the static table, the rest dynamic references). Plain literals,
// no Huffman; the tests check its blocks with nghttp2's inflater.
class IndexingEncoder : public Encoder {
 public:
  std::string block(const Headers& headers, bool /*never_index*/ = false) override {
    std::string out;
    if (pending_update_) {
      integer(out, 0x20, 5, max_);
      pending_update_ = false;
    }
    for (const auto& [name, value] : headers) {
      size_t name_index = 0;
      size_t full = find(name, value, name_index);
      if (full != 0) {
        integer(out, 0x80, 7, full);
        continue;
      }
      integer(out, 0x40, 6, name_index);
      if (name_index == 0) literal(out, name);
      literal(out, value);
      table_.insert(table_.begin(), {name, value});
      size_ += name.size() + value.size() + 32;
      evict();
    }
    return out;
  }
  void change_table_size(size_t size) override {
    max_ = size;
    pending_update_ = true;
    evict();
  }

 private:
  static void integer(std::string& out, uint8_t first, int prefix, size_t v) {
    const size_t max_prefix = (1u << prefix) - 1;
    if (v < max_prefix) {
      out += static_cast<char>(first | v);
      return;
    }
    out += static_cast<char>(first | max_prefix);
    v -= max_prefix;
    while (v >= 128) {
      out += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    out += static_cast<char>(v);
  }
  static void literal(std::string& out, const std::string& s) {
    integer(out, 0, 7, s.size());
    out += s;
  }
  // The index of (name, value), or 0; `name_index` the index of an entry with that name.
  size_t find(const std::string& name, const std::string& value, size_t& name_index) const {
    static const std::vector<std::pair<std::string, std::string>> kStatic = {
        {":authority", ""},       {":method", "GET"},  {":method", "POST"},  {":path", "/"},
        {":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
        {":status", "204"},       {":status", "206"},  {":status", "304"},   {":status", "400"},
        {":status", "404"},       {":status", "500"}};
    name_index = 0;
    for (size_t i = 0; i < kStatic.size(); ++i) {
      if (kStatic[i].first == name && kStatic[i].second == value) return i + 1;
      if (kStatic[i].first == name && name_index == 0) name_index = i + 1;
    }
    if (name == "content-type" && name_index == 0) name_index = 31;
    if (name == "user-agent" && name_index == 0) name_index = 58;
    for (size_t i = 0; i < table_.size(); ++i) {
      if (table_[i].first == name && table_[i].second == value) return 62 + i;
      if (table_[i].first == name && name_index == 0) name_index = 62 + i;
    }
    return 0;
  }
  void evict() {
    while (size_ > max_ && !table_.empty()) {
      size_ -= table_.back().first.size() + table_.back().second.size() + 32;
      table_.pop_back();
    }
  }

  std::vector<std::pair<std::string, std::string>> table_;  // newest first
  size_t size_ = 0;
  size_t max_ = 4096;
  bool pending_update_ = false;
};

inline Headers grpc_request(const std::string& path, std::optional<std::string> timeout = {}) {
  Headers h = {{":method", "POST"},
               {":scheme", "http"},
               {":path", path},
               {":authority", "localhost:50051"},
               {"content-type", "application/grpc"},
               {"user-agent", "grpc-go/1.33.3"},
               {"te", "trailers"}};
  if (timeout) h.emplace_back("grpc-timeout", *timeout);
  return h;
}
inline Headers grpc_response() {
  return {{":status", "200"}, {"content-type", "application/grpc"}};
}
inline Headers grpc_trailers(int status, const std::string& message = "") {
  return {{"grpc-status", std::to_string(status)}, {"grpc-message", message}};
}

// What a conversation reported, as comparable strings.
class Recorder : public Http2EventSink {
 public:
  void on_call(const GrpcCall& c) override {
    std::string line = (c.method.empty() ? "?" : std::string(c.method)) + " " +
                       (c.status.empty() ? "?" : std::string(c.status));
    line += " " + (c.requests ? std::to_string(*c.requests) : std::string("-"));
    line += "/" + (c.responses ? std::to_string(*c.responses) : std::string("-"));
    calls.push_back(line);
    durations.push_back(c.end_ns - c.start_ns);
  }
  void on_anomaly(H2Anomaly a, uint64_t n) override {
    anomalies[std::string(anomaly_name(a))] += n;
  }
  void on_not_measured(H2NotMeasured w, uint64_t n) override {
    not_measured[std::string(not_measured_name(w))] += n;
  }
  uint64_t anomaly(const std::string& kind) const {
    auto it = anomalies.find(kind);
    return it == anomalies.end() ? 0 : it->second;
  }
  uint64_t unmeasured(const std::string& reason) const {
    auto it = not_measured.find(reason);
    return it == not_measured.end() ? 0 : it->second;
  }

  std::vector<std::string> calls;
  std::vector<uint64_t> durations;
  std::map<std::string, uint64_t> anomalies;
  std::map<std::string, uint64_t> not_measured;
};

inline protocols::Chunk chunk(std::string_view s, uint64_t ts, uint64_t uncaptured = 0) {
  return protocols::Chunk{bytes(s), uncaptured, ts};
}

}  // namespace redeye::http2::test
