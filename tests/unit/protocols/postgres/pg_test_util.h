// Byte-string builders for PostgreSQL protocol messages (from the protocol documentation's
// "Message Formats") and a sink that records what a conversation reports.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "protocols/postgres/pg_conversation.h"
#include "protocols/postgres/pg_events.h"

namespace redeye::postgres::testing {

inline std::string be16(uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}
inline std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}
inline std::string cstr(const std::string& s) { return s + std::string(1, '\0'); }
inline std::string msg(char type, const std::string& body) {
  return std::string(1, type) + be32(static_cast<uint32_t>(body.size() + 4)) + body;
}
inline std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// ---- frontend, startup phase (untyped)
inline std::string ssl_request() { return be32(8) + be32(80877103); }
inline std::string gssenc_request() { return be32(8) + be32(80877104); }
inline std::string cancel_request() { return be32(16) + be32(80877102) + be32(4242) + be32(7); }
inline std::string startup(const std::string& user = "shop", const std::string& db = "shop") {
  const std::string body = be32(196608) + cstr("user") + cstr(user) + cstr("database") + cstr(db) +
                           cstr("application_name") + cstr("pgbench") + cstr("");
  return be32(static_cast<uint32_t>(body.size() + 4)) + body;
}

// ---- frontend, typed
inline std::string query(const std::string& sql) { return msg('Q', cstr(sql)); }
inline std::string parse(const std::string& name, const std::string& sql, uint16_t params = 0) {
  std::string body = cstr(name) + cstr(sql) + be16(params);
  for (uint16_t i = 0; i < params; i++) body += be32(0);
  return msg('P', body);
}
inline std::string bind_msg(const std::string& portal, const std::string& statement,
                            const std::vector<std::string>& values = {}) {
  std::string body =
      cstr(portal) + cstr(statement) + be16(0) + be16(static_cast<uint16_t>(values.size()));
  for (const auto& v : values) body += be32(static_cast<uint32_t>(v.size())) + v;
  return msg('B', body + be16(0));
}
inline std::string describe(char what, const std::string& name) {
  return msg('D', std::string(1, what) + cstr(name));
}
inline std::string execute(const std::string& portal = "", uint32_t max_rows = 0) {
  return msg('E', cstr(portal) + be32(max_rows));
}
inline std::string close_statement(const std::string& name) { return msg('C', "S" + cstr(name)); }
inline std::string sync() { return msg('S', ""); }
inline std::string flush() { return msg('H', ""); }
inline std::string terminate() { return msg('X', ""); }
inline std::string password(const std::string& pw) { return msg('p', cstr(pw)); }
inline std::string copy_data(const std::string& data) { return msg('d', data); }
inline std::string copy_done() { return msg('c', ""); }

// ---- backend
inline std::string auth(uint32_t code, const std::string& extra = "") {
  return msg('R', be32(code) + extra);
}
inline std::string auth_ok() { return auth(0); }
inline std::string parameter_status(const std::string& k, const std::string& v) {
  return msg('S', cstr(k) + cstr(v));
}
inline std::string backend_key() { return msg('K', be32(4242) + be32(7)); }
inline std::string ready(char status = 'I') { return msg('Z', std::string(1, status)); }
inline std::string command_complete(const std::string& tag) { return msg('C', cstr(tag)); }
inline std::string row_description(int columns = 1) {
  std::string body = be16(static_cast<uint16_t>(columns));
  for (int i = 0; i < columns; i++) {
    body += cstr("col" + std::to_string(i)) + be32(0) + be16(0) + be32(23) + be16(4) + be32(0) +
            be16(0);
  }
  return msg('T', body);
}
inline std::string data_row(const std::vector<std::string>& values) {
  std::string body = be16(static_cast<uint16_t>(values.size()));
  for (const auto& v : values) body += be32(static_cast<uint32_t>(v.size())) + v;
  return msg('D', body);
}
inline std::string error_response(const std::string& sqlstate, const std::string& text = "boom") {
  return msg('E', "S" + cstr("ERROR") + "V" + cstr("ERROR") + "C" + cstr(sqlstate) + "M" +
                      cstr(text) + std::string(1, '\0'));
}
inline std::string notice(const std::string& text) {
  return msg('N',
             "S" + cstr("NOTICE") + "C" + cstr("00000") + "M" + cstr(text) + std::string(1, '\0'));
}
inline std::string parse_complete() { return msg('1', ""); }
inline std::string bind_complete() { return msg('2', ""); }
inline std::string close_complete() { return msg('3', ""); }
inline std::string no_data() { return msg('n', ""); }
inline std::string empty_query() { return msg('I', ""); }
inline std::string portal_suspended() { return msg('s', ""); }
inline std::string copy_in_response() { return msg('G', std::string(1, '\0') + be16(1) + be16(0)); }

// A plain-text session start: SSLRequest refused, startup, trust authentication.
inline std::string server_hello() {
  return auth_ok() + parameter_status("server_version", "15.18") +
         parameter_status("client_encoding", "UTF8") + backend_key() + ready();
}

// ---- recording
struct Recorded {
  std::string op;  // "SELECT" or "SELECT 42P01"
  uint64_t start_ns;
  uint64_t end_ns;
};

class RecordingSink : public PgEventSink {
 public:
  void on_operation(const PgOperation& o) override {
    std::string op(op_name(o.op));
    if (!o.error_type.empty()) op += " " + std::string(o.error_type);
    ops.push_back({op, o.start_ns, o.end_ns});
  }
  void on_anomaly(PgAnomaly a, uint64_t n) override {
    anomalies[std::string(anomaly_name(a))] += n;
  }
  void on_not_measured(NotMeasured why, uint64_t n) override {
    (why == NotMeasured::kNotCaptured ? not_captured : response_not_seen) += n;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& r : ops) out.push_back(r.op);
    return out;
  }
  uint64_t anomaly_count() const {
    uint64_t n = 0;
    for (const auto& [k, v] : anomalies) n += v;
    return n;
  }

  std::vector<Recorded> ops;
  std::map<std::string, uint64_t> anomalies;
  uint64_t not_captured = 0;
  uint64_t response_not_seen = 0;
};

// One read or write: which logical stream, its bytes, and bytes after them not captured.
// `hidden`: completions the kernel counted in the uncaptured bytes (backend stream).
struct Step {
  Stream stream;
  std::string bytes;
  uint64_t uncaptured = 0;
  uint32_t hidden = 0;
};
inline Step fe(std::string b, uint64_t uncaptured = 0) {
  return {Stream::kFrontend, std::move(b), uncaptured};
}
inline Step be(std::string b, uint64_t uncaptured = 0, uint32_t hidden = 0) {
  return {Stream::kBackend, std::move(b), uncaptured, hidden};
}

// Feeds the steps as the process with `role` sees them: a client writes the frontend stream,
// a server reads it. Step i has timestamp (i + 1) * 1000.
inline void play(PgConversation& conversation, protocols::Role role, const std::vector<Step>& steps,
                 uint64_t first_ts = 1000) {
  uint64_t ts = first_ts;
  for (const Step& step : steps) {
    const protocols::Chunk chunk{bytes(step.bytes), step.uncaptured, ts, step.hidden};
    const bool outbound = (step.stream == Stream::kFrontend) == (role == protocols::Role::kClient);
    if (outbound) {
      conversation.on_outbound(chunk);
    } else {
      conversation.on_inbound(chunk);
    }
    ts += 1000;
  }
}

inline RecordingSink run(const std::vector<Step>& steps,
                         protocols::Role role = protocols::Role::kClient) {
  RecordingSink sink;
  PgConversation conversation(role, sink);
  play(conversation, role, steps);
  conversation.on_close(0);
  return sink;
}

}  // namespace redeye::postgres::testing
