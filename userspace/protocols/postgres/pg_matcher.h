// Pairs PostgreSQL requests with their completions, on the logical frontend (client -> server)
// and backend (server -> client) message streams, whichever process is followed.
//
// Every frontend message that the server answers is queued in order; backend messages answer
// the head of the queue:
//   Query      -> per statement CommandComplete or ErrorResponse (one operation each, named
//                 by the command tag, else by the statement's SQL), then ReadyForQuery;
//   Parse      -> ParseComplete (the statement's operation is remembered by name);
//   Bind       -> BindComplete; Describe -> RowDescription/NoData; Close -> CloseComplete;
//   Execute    -> CommandComplete / EmptyQueryResponse / PortalSuspended / ErrorResponse
//                 (one operation, named by the tag, else by its statement);
//   Sync       -> ReadyForQuery.
// After an error in the extended protocol the server skips everything up to the next Sync:
// the rest of that batch is dropped from the queue without operations.
//
// Lost bytes (capture gaps, garbage) are handled so that operation counts stay exact where
// the protocol allows: a frontend loss queues a marker that takes the responses of the lost
// requests (named by their tags) up to the next ReadyForQuery; requests whose completion was
// in lost backend bytes count as successful when the server shows it moved on (ReadyForQuery,
// or the client's next request after an idle connection). Past kMaxPending requests in
// flight the queue is folded into one such marker that knows how many ReadyForQuery it takes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string_view>

#include "protocols/postgres/pg_events.h"
#include "protocols/postgres/pg_operation.h"
#include "protocols/postgres/pg_statement_cache.h"

namespace redeye::postgres {

class PgMatcher {
 public:
  static constexpr size_t kMaxPending = 4096;
  static constexpr size_t kMaxStatements = 1024;
  static constexpr size_t kMaxPortals = 64;
  static constexpr size_t kMaxStatementsPerQuery = 16;

  explicit PgMatcher(PgEventSink& sink);

  // A typed message; `body` is what was captured of it after the type and length.
  void on_frontend(uint8_t type, std::span<const uint8_t> body, uint64_t ts_ns);
  void on_backend(uint8_t type, std::span<const uint8_t> body, uint64_t ts_ns);
  // Bytes of that stream were lost at this point.
  void frontend_lost(uint64_t ts_ns);
  void backend_lost(uint64_t ts_ns);
  // The connection ended: requests still open are dropped without an operation. Returns how
  // many operations they would have been.
  uint64_t reset();
  // Operations recorded as successes because their completion was lost with backend bytes.
  uint64_t inferred() const { return inferred_; }

  size_t pending() const { return queue_.size(); }

 private:
  enum class Kind : uint8_t {
    kQuery,
    kParse,
    kBind,
    kDescribe,
    kExecute,
    kClose,
    kSync,
    kFunction,
    kLost,  // unknown requests (lost frontend bytes)
  };
  struct Entry {
    Kind kind;
    OpId op = kOpOther;
    bool backend_lost = false;  // backend bytes were lost while this was open
    bool failed = false;        // kQuery: a statement failed (the rest did not run)
    uint8_t answered = 0;       // kQuery: statements completed or failed so far
    uint8_t statements = 0;     // kQuery: entries of `ops` known
    bool open = false;          // kLost: lost in mid-batch, the batch's rest merges into it
    uint32_t absorb = 0;        // kLost: ReadyForQuery messages it takes
    std::array<OpId, kMaxStatementsPerQuery> ops{};
    uint64_t ts = 0;
  };
  static bool terminal(Kind kind) {
    return kind == Kind::kQuery || kind == Kind::kSync || kind == Kind::kFunction ||
           kind == Kind::kLost;
  }
  static bool acknowledged(Kind kind) {
    return kind == Kind::kParse || kind == Kind::kBind || kind == Kind::kDescribe ||
           kind == Kind::kClose;
  }

  // Queues a request, merging it into a forgotten batch it continues.
  void push(const Entry& entry);
  void push(Kind kind, OpId op, uint64_t ts);
  // Makes room for a request of `kind`: false when a forgotten batch it continues took it.
  bool admit(Kind kind, uint64_t ts);
  // Too many requests in flight: forgets them, keeping how many ReadyForQuery they expect.
  void overflow(uint64_t ts);
  void settle_before_request();
  void query(std::span<const uint8_t> body, uint64_t ts);
  void ack(Kind kind);
  void drop_unanswered_acks();
  void drop_stale_terminals();
  void complete(OpId tag_op, uint64_t ts);
  void finish_execute(bool count, uint64_t ts);
  void error(std::string_view sqlstate, uint64_t ts);
  void ready(uint64_t ts);
  // A request whose completion was lost with backend bytes: counted as a success.
  void infer_completion(const Entry& entry, uint64_t end_ns);
  void record(OpId op, std::string_view error, uint64_t start, uint64_t end);
  void anomaly(PgAnomaly kind, uint64_t n = 1) { sink_.on_anomaly(kind, n); }

  PgEventSink& sink_;
  std::deque<Entry> queue_;
  StatementCache statements_{kMaxStatements};
  StatementCache portals_{kMaxPortals};
  bool skip_until_sync_ = false;  // the server ignores the frontend until Sync (error)
  bool batch_open_ = false;       // frontend messages since the last Sync/Query
  bool ready_seen_ = false;       // a ReadyForQuery went by (startup or a request)
  uint64_t last_backend_ts_ = 0;
  uint64_t inferred_ = 0;
};

}  // namespace redeye::postgres
