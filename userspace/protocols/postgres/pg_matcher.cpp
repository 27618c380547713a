#include "protocols/postgres/pg_matcher.h"

#include "protocols/postgres/pg_wire.h"

namespace redeye::postgres {

PgMatcher::PgMatcher(PgEventSink& sink) : sink_(sink) {}

void PgMatcher::record(OpId op, std::string_view error, uint64_t start, uint64_t end) {
  sink_.on_operation({op, error, start, end >= start ? end : start});
}

void PgMatcher::overflow(uint64_t ts) {
  anomaly(PgAnomaly::kTooManyPending);
  Entry marker{.kind = Kind::kLost, .ts = ts};
  for (const Entry& e : queue_) {
    if (e.kind == Kind::kLost) {
      marker.absorb += e.absorb;
    } else if (terminal(e.kind)) {
      marker.absorb++;
    }
  }
  const Entry& tail = queue_.back();
  marker.open = tail.kind == Kind::kLost ? tail.open : !terminal(tail.kind);
  queue_.clear();
  queue_.push_back(marker);
}

bool PgMatcher::admit(Kind kind, uint64_t ts) {
  while (true) {
    if (!queue_.empty() && queue_.back().kind == Kind::kLost && queue_.back().open) {
      // The rest of a forgotten batch: its Sync is one more ReadyForQuery for the marker.
      Entry& marker = queue_.back();
      if (kind == Kind::kSync) {
        marker.absorb++;
        marker.open = false;
        return false;
      }
      if (kind != Kind::kQuery && kind != Kind::kFunction) return false;
      marker.open = false;
    }
    if (queue_.size() < kMaxPending) return true;
    overflow(ts);
  }
}

void PgMatcher::push(const Entry& entry) {
  if (admit(entry.kind, entry.ts)) queue_.push_back(entry);
}

void PgMatcher::push(Kind kind, OpId op, uint64_t ts) {
  if (!admit(kind, ts)) return;
  // Built in place: copying an Entry just written field by field stalls on store forwarding.
  Entry& entry = queue_.emplace_back();
  entry.kind = kind;
  entry.op = op;
  entry.ts = ts;
}

void PgMatcher::infer_completion(const Entry& entry, uint64_t end_ns) {
  if (entry.kind == Kind::kExecute) {
    record(entry.op, "", entry.ts, end_ns);
    inferred_++;
  } else if (entry.kind == Kind::kQuery && !entry.failed) {
    for (size_t i = entry.answered; i < entry.statements; i++) {
      record(entry.ops[i], "", entry.ts, end_ns);
      inferred_++;
    }
  }
}

// A client that waits for each answer starts a new request only once the previous one is
// done: when everything still open lost its completion to a backend gap, it is done.
void PgMatcher::settle_before_request() {
  if (queue_.empty() || !terminal(queue_.back().kind)) return;
  for (const Entry& e : queue_) {
    if (!e.backend_lost) return;
  }
  for (const Entry& e : queue_) infer_completion(e, last_backend_ts_);
  queue_.clear();
}

void PgMatcher::query(std::span<const uint8_t> body, uint64_t ts) {
  BodyReader reader(body);
  std::string_view sql;
  reader.cstring(sql);  // the captured prefix is enough when the text was cut
  Entry entry{.kind = Kind::kQuery, .ts = ts};
  bool complete = true;
  entry.statements = static_cast<uint8_t>(statement_ops(sql, entry.ops, &complete));
  entry.op = entry.statements > 0 ? entry.ops[0] : kOpOther;
  push(entry);
}

void PgMatcher::on_frontend(uint8_t type, std::span<const uint8_t> body, uint64_t ts) {
  // After an error the server ignores every message up to the next Sync.
  if (skip_until_sync_ && type != 'S') return;
  const bool starts_request = !batch_open_;
  BodyReader reader(body);
  std::string_view name;
  std::string_view text;
  uint8_t what = 0;
  switch (type) {
    case 'Q':
      settle_before_request();
      query(body, ts);
      batch_open_ = false;
      return;
    case 'F':
      settle_before_request();
      push(Kind::kFunction, kOpOther, ts);
      batch_open_ = false;
      return;
    case 'S':
      if (starts_request) settle_before_request();
      push(Kind::kSync, kOpOther, ts);
      batch_open_ = false;
      skip_until_sync_ = false;
      return;
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'C':
      break;
    default:  // Flush, Terminate, CopyData/Done/Fail, password and SASL messages
      return;
  }
  if (starts_request) settle_before_request();
  batch_open_ = true;
  Kind kind;
  OpId op = kOpOther;
  if (type == 'P') {  // Parse: statement name, SQL
    const bool named = reader.cstring(name);
    reader.cstring(text);
    kind = Kind::kParse;
    op = op_from_sql(text);
    if (named && statements_.put(name, op)) anomaly(PgAnomaly::kStatementCacheFull);
  } else if (type == 'B') {  // Bind: portal, statement
    kind = Kind::kBind;
    if (reader.cstring(name) && reader.cstring(text)) {
      op = statements_.get(text).value_or(kOpOther);
      if (portals_.put(name, op)) anomaly(PgAnomaly::kStatementCacheFull);
    }
  } else if (type == 'E') {  // Execute: portal, row limit
    kind = Kind::kExecute;
    if (reader.cstring(name)) op = portals_.get(name).value_or(kOpOther);
  } else {  // Describe / Close: 'S' statement or 'P' portal, name
    kind = type == 'D' ? Kind::kDescribe : Kind::kClose;
    if (reader.byte(what) && reader.cstring(name)) {
      StatementCache& names = what == 'S' ? statements_ : portals_;
      op = names.get(name).value_or(kOpOther);
      if (type == 'C') names.erase(name);
    }
  }
  push(kind, op, ts);
}

void PgMatcher::drop_stale_terminals() {
  // A Sync still at the head while later requests are being answered lost its ReadyForQuery.
  while (queue_.size() > 1 &&
         (queue_.front().kind == Kind::kSync || queue_.front().kind == Kind::kFunction)) {
    queue_.pop_front();
    anomaly(PgAnomaly::kUnmatchedResponse);
  }
}

void PgMatcher::drop_unanswered_acks() {
  while (!queue_.empty() && acknowledged(queue_.front().kind)) {
    queue_.pop_front();
    anomaly(PgAnomaly::kUnmatchedResponse);
  }
}

void PgMatcher::ack(Kind kind) {
  drop_stale_terminals();
  if (queue_.empty()) {
    anomaly(PgAnomaly::kUnmatchedResponse);
    return;
  }
  if (queue_.front().kind == kind) {  // the usual case
    queue_.pop_front();
    return;
  }
  if (queue_.front().kind == Kind::kLost) return;  // an answer to a lost request
  // The expected acknowledgement, or a later one whose predecessors' answers were lost.
  size_t i = 0;
  while (i < queue_.size() && acknowledged(queue_[i].kind) && queue_[i].kind != kind) i++;
  if (i == queue_.size() || queue_[i].kind != kind) {
    anomaly(PgAnomaly::kUnmatchedResponse);
    return;
  }
  if (i > 0) anomaly(PgAnomaly::kUnmatchedResponse, i);
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
}

void PgMatcher::complete(OpId tag_op, uint64_t ts) {
  drop_stale_terminals();
  drop_unanswered_acks();
  if (queue_.empty()) {
    anomaly(PgAnomaly::kUnmatchedResponse);
    return;
  }
  Entry& head = queue_.front();
  switch (head.kind) {
    case Kind::kLost:
      record(tag_op, "", head.ts, ts);
      return;
    case Kind::kQuery: {
      const OpId sql_op = head.answered < head.statements ? head.ops[head.answered] : kOpOther;
      record(tag_op != kOpOther ? tag_op : sql_op, "", head.ts, ts);
      if (head.answered < 255) head.answered++;
      return;
    }
    case Kind::kExecute:
      record(tag_op != kOpOther ? tag_op : head.op, "", head.ts, ts);
      queue_.pop_front();
      return;
    default:
      anomaly(PgAnomaly::kUnmatchedResponse);
      return;
  }
}

// EmptyQueryResponse (count = false) and PortalSuspended (count = true).
void PgMatcher::finish_execute(bool count, uint64_t ts) {
  drop_stale_terminals();
  drop_unanswered_acks();
  if (queue_.empty()) {
    anomaly(PgAnomaly::kUnmatchedResponse);
    return;
  }
  const Entry& head = queue_.front();
  if (head.kind == Kind::kLost || (head.kind == Kind::kQuery && !count)) return;
  if (head.kind != Kind::kExecute) {
    anomaly(PgAnomaly::kUnmatchedResponse);
    return;
  }
  if (count) record(head.op, "", head.ts, ts);
  queue_.pop_front();
}

void PgMatcher::error(std::string_view sqlstate, uint64_t ts) {
  // Outside a request (authentication failure, shutdown) an error is not an operation.
  if (queue_.empty()) return;
  const std::string_view label = sqlstate_label(sqlstate);
  Entry& head = queue_.front();
  switch (head.kind) {
    case Kind::kLost:
      record(kOpOther, label, head.ts, ts);
      return;
    case Kind::kQuery:
      // The failing statement ends the query: the rest do not run.
      if (!head.failed) {
        record(head.answered < head.statements ? head.ops[head.answered] : kOpOther, label, head.ts,
               ts);
        head.failed = true;
        if (head.answered < 255) head.answered++;
      }
      return;
    case Kind::kSync:  // the implicit commit at Sync failed: no statement of its own
    case Kind::kFunction:
      return;
    default:
      break;
  }
  // Parse/Bind/Describe/Execute/Close failed: one failed operation, and the server skips
  // the rest of the batch up to its Sync.
  record(head.op, label, head.ts, ts);
  while (!queue_.empty() && !terminal(queue_.front().kind)) queue_.pop_front();
  if (queue_.empty()) skip_until_sync_ = true;
}

void PgMatcher::ready(uint64_t ts) {
  skip_until_sync_ = false;
  if (queue_.empty()) {
    // The first one ends the startup (or is the last answer before we joined).
    if (ready_seen_) anomaly(PgAnomaly::kUnmatchedResponse);
    ready_seen_ = true;
    return;
  }
  ready_seen_ = true;
  bool unanswered = false;
  while (!queue_.empty()) {
    Entry& front = queue_.front();
    if (front.kind == Kind::kLost && front.absorb > 0) {
      if (--front.absorb == 0 && !front.open) queue_.pop_front();
      break;
    }
    const Entry entry = front;
    queue_.pop_front();
    if (entry.kind == Kind::kLost) continue;  // expects none: this answers what follows it
    if (entry.backend_lost) {
      infer_completion(entry, ts);
    } else if (!terminal(entry.kind)) {
      unanswered = true;
    }
    if (terminal(entry.kind)) break;
  }
  if (unanswered) anomaly(PgAnomaly::kUnmatchedResponse);
}

void PgMatcher::on_backend(uint8_t type, std::span<const uint8_t> body, uint64_t ts) {
  last_backend_ts_ = ts;
  switch (type) {
    case '1':
      ack(Kind::kParse);
      return;
    case '2':
      ack(Kind::kBind);
      return;
    case '3':
      ack(Kind::kClose);
      return;
    case 'n':
      ack(Kind::kDescribe);
      return;
    case 'T':  // RowDescription: answers a Describe, or starts a query's rows
      if (!queue_.empty() && queue_.front().kind == Kind::kDescribe) queue_.pop_front();
      return;
    case 'C': {
      std::string_view tag;
      BodyReader(body).cstring(tag);
      complete(op_from_tag(tag), ts);
      return;
    }
    case 'I':
      finish_execute(false, ts);
      return;
    case 's':
      finish_execute(true, ts);
      return;
    case 'E':
      error(error_sqlstate(body), ts);
      return;
    case 'Z':
      ready(ts);
      return;
    default:  // rows, notices, parameter status, notifications, copy, auth, function results
      return;
  }
}

void PgMatcher::frontend_lost(uint64_t ts) {
  skip_until_sync_ = false;
  batch_open_ = false;
  if (!queue_.empty() && queue_.back().kind == Kind::kLost) return;
  if (queue_.size() >= kMaxPending) overflow(ts);
  // Takes the answers up to the next ReadyForQuery: the lost bytes end a batch, usually.
  queue_.push_back(Entry{.kind = Kind::kLost, .absorb = 1, .ts = ts});
}

void PgMatcher::backend_lost(uint64_t ts) {
  last_backend_ts_ = ts;
  for (Entry& e : queue_) e.backend_lost = true;
}

uint64_t PgMatcher::reset() {
  uint64_t unanswered = 0;
  for (const Entry& e : queue_) {
    if (e.kind == Kind::kExecute) {
      unanswered++;
    } else if (e.kind == Kind::kQuery && !e.failed && e.statements > e.answered) {
      unanswered += e.statements - e.answered;
    }
  }
  queue_.clear();
  statements_.clear();
  portals_.clear();
  skip_until_sync_ = false;
  batch_open_ = false;
  ready_seen_ = false;
  return unanswered;
}

}  // namespace redeye::postgres
