#include "protocols/postgres/pg_conversation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pg_test_util.h"

namespace redeye::postgres {
namespace {

using namespace testing;  // NOLINT: the message builders
using protocols::Role;
using Ops = std::vector<std::string>;

// The start of a plain-text session as libpq does it over TCP.
std::vector<Step> session_start() {
  return {fe(ssl_request()), be("N"), fe(startup()), be(server_hello())};
}

std::vector<Step> with_start(std::vector<Step> steps) {
  std::vector<Step> all = session_start();
  all.insert(all.end(), steps.begin(), steps.end());
  return all;
}

// pgbench's default script ("tpcb-like") in the three query modes.
std::vector<Step> tpcb_simple() {
  std::vector<Step> steps;
  const std::vector<std::pair<std::string, std::string>> statements = {
      {"BEGIN;", "BEGIN"},
      {"UPDATE pgbench_accounts SET abalance = abalance + -1 WHERE aid = 7;", "UPDATE 1"},
      {"SELECT abalance FROM pgbench_accounts WHERE aid = 7;", "SELECT 1"},
      {"UPDATE pgbench_tellers SET tbalance = tbalance + -1 WHERE tid = 3;", "UPDATE 1"},
      {"UPDATE pgbench_branches SET bbalance = bbalance + -1 WHERE bid = 1;", "UPDATE 1"},
      {"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 7, -1, "
       "CURRENT_TIMESTAMP);",
       "INSERT 0 1"},
      {"END;", "COMMIT"}};
  for (const auto& [sql, tag] : statements) {
    steps.push_back(fe(query(sql)));
    std::string answer;
    if (tag == "SELECT 1") answer = row_description() + data_row({"-1"});
    steps.push_back(be(answer + command_complete(tag) + ready(tag == "COMMIT" ? 'I' : 'T')));
  }
  return steps;
}

const std::vector<std::pair<std::string, std::string>> kTpcbExtended = {
    {"BEGIN;", "BEGIN"},
    {"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;", "UPDATE 1"},
    {"SELECT abalance FROM pgbench_accounts WHERE aid = $1;", "SELECT 1"},
    {"UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;", "UPDATE 1"},
    {"UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;", "UPDATE 1"},
    {"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
     "CURRENT_TIMESTAMP);",
     "INSERT 0 1"},
    {"END;", "COMMIT"}};

std::string rows_for(const std::string& tag) {
  return tag == "SELECT 1" ? data_row({"-1"}) : std::string();
}

// -M extended: unnamed statement and portal, Parse/Bind/Describe/Execute/Sync per statement.
std::vector<Step> tpcb_extended() {
  std::vector<Step> steps;
  for (const auto& [sql, tag] : kTpcbExtended) {
    steps.push_back(
        fe(parse("", sql) + bind_msg("", "", {"1"}) + describe('P', "") + execute() + sync()));
    const std::string description = tag == "SELECT 1" ? row_description() : no_data();
    steps.push_back(be(parse_complete() + bind_complete() + description + rows_for(tag) +
                       command_complete(tag) + ready('T')));
  }
  return steps;
}

// -M prepared: each statement prepared once (Parse + Sync), then Bind/Describe/Execute/Sync.
std::vector<Step> tpcb_prepared(bool prepare) {
  std::vector<Step> steps;
  int i = 0;
  for (const auto& [sql, tag] : kTpcbExtended) {
    const std::string name = "P0_" + std::to_string(i++);
    if (prepare) {
      steps.push_back(fe(parse(name, sql) + sync()));
      steps.push_back(be(parse_complete() + ready('T')));
    }
    steps.push_back(fe(bind_msg("", name, {"1"}) + describe('P', "") + execute() + sync()));
    const std::string description = tag == "SELECT 1" ? row_description() : no_data();
    steps.push_back(
        be(bind_complete() + description + rows_for(tag) + command_complete(tag) + ready('T')));
  }
  return steps;
}

const Ops kTpcbOps = {"BEGIN", "UPDATE", "SELECT", "UPDATE", "UPDATE", "INSERT", "COMMIT"};

Ops repeat(const Ops& ops, int n) {
  Ops out;
  for (int i = 0; i < n; i++) out.insert(out.end(), ops.begin(), ops.end());
  return out;
}

// A pipeline whose completions the capture limit hid: each statement is either measured or
// counted as not captured (the kernel counted the hidden completions), never both.
TEST(PgConversationTest, HiddenCompletionsAreCountedOnceAsNotCaptured) {
  for (Role role : {Role::kClient, Role::kServer}) {
    std::string requests;
    for (int i = 0; i < 5; i++) requests += query("SELECT 1;");
    const std::string shown = row_description() + data_row({"1"}) + command_complete("SELECT 1") +
                              ready() + row_description() + data_row({"1"});
    // The rest of the second answer and two whole answers went uncaptured: 3 completions;
    // the fifth answer is captured.
    const std::string hidden = command_complete("SELECT 1") + ready();
    const uint64_t hidden_bytes = hidden.size() * 3;
    const RecordingSink sink = run(with_start({fe(requests), be(shown, hidden_bytes, 3),
                                               be(row_description() + data_row({"1"}) +
                                                  command_complete("SELECT 1") + ready())}),
                                   role);
    EXPECT_EQ(sink.ops.size() + sink.not_captured, 5u) << (role == Role::kClient);
    EXPECT_GT(sink.not_captured, 0u);
    EXPECT_EQ(sink.response_not_seen, 0u);
  }
}

// Statements still waiting when the connection ends, with nothing hidden: not seen.
TEST(PgConversationTest, UnansweredStatementsAtCloseAreNotSeen) {
  const RecordingSink sink = run(with_start(
      {fe(query("SELECT 1;") + query("SELECT 2;")),
       be(row_description() + data_row({"1"}) + command_complete("SELECT 1") + ready())}));
  EXPECT_EQ(sink.names(), (Ops{"SELECT"}));
  EXPECT_EQ(sink.response_not_seen, 1u);
  EXPECT_EQ(sink.not_captured, 0u);
}

TEST(PgConversationTest, SessionStartAloneCountsNothing) {
  for (Role role : {Role::kClient, Role::kServer}) {
    auto sink = run(session_start(), role);
    EXPECT_TRUE(sink.ops.empty());
    EXPECT_EQ(sink.anomaly_count(), 0u);
  }
}

TEST(PgConversationTest, PgbenchSimpleMode) {
  std::vector<Step> steps = session_start();
  for (int t = 0; t < 3; t++) {
    auto tx = tpcb_simple();
    steps.insert(steps.end(), tx.begin(), tx.end());
  }
  steps.push_back(fe(terminate()));
  auto sink = run(steps);
  EXPECT_EQ(sink.names(), repeat(kTpcbOps, 3));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, PgbenchExtendedMode) {
  std::vector<Step> steps = session_start();
  for (int t = 0; t < 3; t++) {
    auto tx = tpcb_extended();
    steps.insert(steps.end(), tx.begin(), tx.end());
  }
  auto sink = run(steps);
  EXPECT_EQ(sink.names(), repeat(kTpcbOps, 3));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, PgbenchPreparedModeReusesNamedStatements) {
  std::vector<Step> steps = session_start();
  for (int t = 0; t < 4; t++) {
    auto tx = tpcb_prepared(t == 0);
    steps.insert(steps.end(), tx.begin(), tx.end());
  }
  auto sink = run(steps);
  EXPECT_EQ(sink.names(), repeat(kTpcbOps, 4));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, NamedStatementGivesTheOperationOfAFailedExecute) {
  // The statement is known only from its Parse: a failing Execute is named by it.
  auto sink = run(with_start({
      fe(parse("ins", "INSERT INTO t VALUES ($1)", 1) + sync()),
      be(parse_complete() + ready()),
      fe(bind_msg("", "ins", {"1"}) + execute() + sync()),
      be(bind_complete() + error_response("23505") + ready()),
      fe(bind_msg("", "ins", {"2"}) + execute() + sync()),
      be(bind_complete() + command_complete("INSERT 0 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"INSERT 23505", "INSERT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, MultiStatementSimpleQueryCountsEachStatement) {
  auto sink = run(with_start({
      fe(query("BEGIN; SELECT 1; /* c; */ UPDATE t SET a = 'x;y'; ; COMMIT")),
      be(command_complete("BEGIN") + row_description() + data_row({"1"}) +
         command_complete("SELECT 1") + command_complete("UPDATE 5") + command_complete("COMMIT") +
         ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"BEGIN", "SELECT", "UPDATE", "COMMIT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, ErrorInAMultiStatementQueryIsNamedByTheFailingStatement) {
  auto sink = run(with_start({
      fe(query("SELECT 1; DELETE FROM missing; SELECT 2")),
      be(row_description() + data_row({"1"}) + command_complete("SELECT 1") +
         error_response("42P01") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT", "DELETE 42P01"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, EmptyQueryCountsNothing) {
  auto sink = run(with_start({fe(query("  ")), be(empty_query() + ready())}));
  EXPECT_TRUE(sink.ops.empty());
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, PipelinedExecutesBeforeOneSync) {
  auto sink = run(with_start({
      fe(parse("a", "SELECT 1") + parse("b", "UPDATE t SET x = 1") + bind_msg("", "a") + execute() +
         bind_msg("", "b") + execute() + bind_msg("", "a") + execute() + sync()),
      be(parse_complete() + parse_complete() + bind_complete() + data_row({"1"}) +
         command_complete("SELECT 1") + bind_complete()),
      be(command_complete("UPDATE 3") + bind_complete() + data_row({"1"}) +
         command_complete("SELECT 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT", "UPDATE", "SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, ErrorMidPipelineSkipsTheRestUntilSync) {
  // The second Execute fails: the third never runs; the batch after the Sync does.
  auto sink = run(with_start({
      fe(parse("", "INSERT INTO t VALUES (1)") + bind_msg("", "") + execute() +
         parse("", "SELECT * FROM missing") + bind_msg("", "") + execute() +
         parse("", "DELETE FROM t") + bind_msg("", "") + execute() + sync() +
         parse("", "SELECT 2") + bind_msg("", "") + execute() + sync()),
      be(parse_complete() + bind_complete() + command_complete("INSERT 0 1") +
         error_response("42P01") + ready('I') + parse_complete() + bind_complete() +
         data_row({"2"}) + command_complete("SELECT 1") + ready('I')),
  }));
  EXPECT_EQ(sink.names(), (Ops{"INSERT", "SELECT 42P01", "SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, ErrorBeforeTheSyncWasSentSkipsUntilIt) {
  // Flush instead of Sync: the error arrives, the client sends more, then Sync.
  auto sink = run(with_start({
      fe(parse("", "SELECT 1/0") + bind_msg("", "") + execute() + flush()),
      be(parse_complete() + bind_complete() + error_response("22012")),
      fe(parse("", "SELECT 1") + bind_msg("", "") + execute() + sync()),  // skipped by the server
      be(ready()),
      fe(query("SELECT 3")),
      be(row_description() + data_row({"3"}) + command_complete("SELECT 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT 22012", "SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, PortalSuspendedCompletesAnExecute) {
  auto sink = run(with_start({
      fe(parse("", "SELECT * FROM big") + bind_msg("c1", "") + execute("c1", 2) + flush()),
      be(parse_complete() + bind_complete() + data_row({"1"}) + data_row({"2"}) +
         portal_suspended()),
      fe(execute("c1", 2) + sync()),
      be(data_row({"3"}) + command_complete("SELECT 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT", "SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, CopyFromStdin) {
  auto sink = run(with_start({
      fe(query("COPY t FROM STDIN")),
      be(copy_in_response()),
      fe(copy_data("1\tx\n") + copy_data("2\ty\n") + copy_done()),
      be(command_complete("COPY 2") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"COPY"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, DurationRunsFromTheRequestChunkToTheCompletionChunk) {
  auto sink = run(with_start({
      fe(query("SELECT pg_sleep(1)")),             // step 5: ts 5000
      be(row_description() + data_row({""})),      // 6000
      be(command_complete("SELECT 1") + ready()),  // 7000
  }));
  ASSERT_EQ(sink.ops.size(), 1u);
  EXPECT_EQ(sink.ops[0].start_ns, 5000u);
  EXPECT_EQ(sink.ops[0].end_ns, 7000u);
}

TEST(PgConversationTest, SslRefusalThenStartupAndScramAuthentication) {
  auto sink = run({
      fe(ssl_request()),
      be("N"),
      fe(startup()),
      be(auth(10, cstr("SCRAM-SHA-256") + cstr(""))),
      fe(msg('p', cstr("SCRAM-SHA-256") + be32(32) + "n,,n=,r=abcdefghijklmnopqrstuvwx")),
      be(auth(11, "r=abc,s=c2FsdA==,i=4096")),
      fe(msg('p', "c=biws,r=abc,p=proof")),
      be(auth(12, "v=signature") + auth_ok() + parameter_status("TimeZone", "UTC") + backend_key() +
         notice("hello") + ready()),
      fe(query("SELECT 1")),
      be(row_description() + data_row({"1"}) + command_complete("SELECT 1") + ready()),
  });
  EXPECT_EQ(sink.names(), (Ops{"SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, GssEncRefusalThenSslRefusalThenStartup) {
  auto sink = run({fe(gssenc_request()), be("N"), fe(ssl_request()), be("N"), fe(startup()),
                   be(server_hello()), fe(query("SHOW x")),
                   be(row_description() + data_row({"1"}) + command_complete("SHOW") + ready())});
  EXPECT_EQ(sink.names(), (Ops{"SHOW"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, AcceptedSslMakesTheConnectionOpaque) {
  RecordingSink sink;
  PgConversation conversation(Role::kClient, sink);
  play(conversation, Role::kClient,
       {fe(ssl_request()), be("S"), fe("\x16\x03\x01\x02\x00" + std::string(100, 'x')),
        be("\x16\x03\x03\x00\x7a" + std::string(100, 'y')), fe(query("SELECT 1")),
        be(command_complete("SELECT 1") + ready())});
  EXPECT_TRUE(conversation.encrypted());
  EXPECT_TRUE(sink.ops.empty());
  EXPECT_EQ(sink.anomalies["tls"], 1u);
  EXPECT_EQ(sink.anomaly_count(), 1u);
}

TEST(PgConversationTest, CancelRequestConnectionCountsNothing) {
  auto sink = run({fe(cancel_request())});
  EXPECT_TRUE(sink.ops.empty());
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, BothRolesSeeTheSameOperations) {
  std::vector<Step> steps = session_start();
  for (auto tx : {tpcb_simple(), tpcb_extended(), tpcb_prepared(true)}) {
    steps.insert(steps.end(), tx.begin(), tx.end());
  }
  steps.push_back(fe(query("SELECT * FROM nope")));
  steps.push_back(be(error_response("42P01") + ready()));
  auto client = run(steps, Role::kClient);
  auto server = run(steps, Role::kServer);
  Ops want = repeat(kTpcbOps, 3);
  want.push_back("SELECT 42P01");
  EXPECT_EQ(client.names(), want);
  EXPECT_EQ(server.names(), want);
  EXPECT_EQ(client.anomaly_count() + server.anomaly_count(), 0u);
}

// Concatenates each stream's steps, cuts each stream once at `cut` and plays the pieces in an
// order that keeps causality (a request before its answer).
TEST(PgConversationTest, SplitAtEveryOffsetGivesTheSameOperations) {
  std::vector<Step> steps = session_start();
  for (auto tx : {tpcb_simple(), tpcb_extended(), tpcb_prepared(true)}) {
    steps.insert(steps.end(), tx.begin(), tx.end());
  }
  const Ops want = repeat(kTpcbOps, 3);
  for (size_t i = 0; i < steps.size(); i++) {
    const std::string& b = steps[i].bytes;
    for (size_t cut = 1; cut < b.size(); cut++) {
      std::vector<Step> split(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(i));
      split.push_back({steps[i].stream, b.substr(0, cut)});
      split.push_back({steps[i].stream, b.substr(cut)});
      split.insert(split.end(), steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, steps.end());
      for (Role role : {Role::kClient, Role::kServer}) {
        auto sink = run(split, role);
        ASSERT_EQ(sink.names(), want) << "step " << i << " cut " << cut;
        ASSERT_EQ(sink.anomaly_count(), 0u) << "step " << i << " cut " << cut;
      }
    }
  }
}

TEST(PgConversationTest, PipelinedTransactionsInFewChunksSplitAnywhere) {
  // Two prepared transactions' requests in one write and their answers in one read, each cut
  // once: whole messages are parsed in place, the cut one is buffered.
  std::string requests;
  std::string answers;
  for (int t = 0; t < 2; t++) {
    for (const Step& s : tpcb_prepared(false))
      (s.stream == Stream::kFrontend ? requests : answers) += s.bytes;
  }
  const Ops want = repeat(kTpcbOps, 3);
  for (size_t cut = 0; cut <= requests.size(); cut += 7) {
    const size_t answer_cut = cut * answers.size() / requests.size();
    std::vector<Step> steps = session_start();
    for (const Step& s : tpcb_prepared(true)) steps.push_back(s);
    steps.push_back(fe(requests.substr(0, cut)));
    steps.push_back(fe(requests.substr(cut)));
    steps.push_back(be(answers.substr(0, answer_cut)));
    steps.push_back(be(answers.substr(answer_cut)));
    for (Role role : {Role::kClient, Role::kServer}) {
      auto sink = run(steps, role);
      ASSERT_EQ(sink.names(), want) << "cut " << cut;
      ASSERT_EQ(sink.anomaly_count(), 0u) << "cut " << cut;
    }
  }
}

TEST(PgConversationTest, ByteByByteGivesTheSameOperations) {
  std::vector<Step> steps = session_start();
  for (auto tx : {tpcb_simple(), tpcb_extended(), tpcb_prepared(true)}) {
    steps.insert(steps.end(), tx.begin(), tx.end());
  }
  std::vector<Step> bytewise;
  for (const Step& s : steps) {
    for (char c : s.bytes) bytewise.push_back({s.stream, std::string(1, c)});
  }
  auto sink = run(bytewise);
  EXPECT_EQ(sink.names(), repeat(kTpcbOps, 3));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, UncapturedBytesInsideADataRowKeepCountsExact) {
  const std::string big = data_row({std::string(20000, 'v')});
  const size_t captured = 300;  // the row's header and a little of its value
  auto sink = run(with_start({
      fe(query("SELECT payload FROM blobs")),
      be(row_description() + big.substr(0, captured), big.size() - captured),
      be(command_complete("SELECT 1") + ready()),
      fe(query("SELECT payload FROM blobs")),
      be(row_description() + big.substr(0, captured), big.size() - captured - 5000),
      be(big.substr(big.size() - 5000) + command_complete("SELECT 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT", "SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, LongQueryCutByTheCaptureLimitIsStillNamed) {
  const std::string q = query("UPDATE t SET v = '" + std::string(10000, 'x') + "' WHERE id = 1");
  auto sink = run(with_start({
      fe(q.substr(0, 4096), q.size() - 4096),
      be(command_complete("UPDATE 1") + ready()),
      fe(q.substr(0, 100), q.size() - 100),
      be(error_response("23514") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"UPDATE", "UPDATE 23514"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, LostCompletionIsCountedWhenTheClientMovesOn) {
  // A big result whose CommandComplete and ReadyForQuery were not captured.
  const std::string rows = row_description() + data_row({std::string(3000, 'r')}) +
                           data_row({std::string(3000, 'r')}) + command_complete("SELECT 2") +
                           ready();
  auto sink = run(with_start({
      fe(query("SELECT * FROM wide")),
      be(rows.substr(0, 1000), rows.size() - 1000),
      fe(query("UPDATE t SET a = 1")),
      be(command_complete("UPDATE 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT", "UPDATE"}));
  EXPECT_EQ(sink.anomalies["capture_gap"], 1u);
}

TEST(PgConversationTest, LostRequestsAreCountedFromTheirCompletions) {
  // A frontend write of two batches whose second half was not captured.
  const std::string batch =
      parse("", "INSERT INTO t VALUES (1)") + bind_msg("", "") + execute() + sync();
  const std::string two = batch + batch;
  auto sink = run(with_start({
      fe(two.substr(0, batch.size() + 10), two.size() - batch.size() - 10),
      be(parse_complete() + bind_complete() + command_complete("INSERT 0 1") + ready() +
         parse_complete() + bind_complete() + command_complete("INSERT 0 1") + ready()),
      fe(query("DELETE FROM t")),
      be(command_complete("DELETE 2") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"INSERT", "INSERT", "DELETE"}));
  EXPECT_EQ(sink.anomalies["capture_gap"], 1u);
  EXPECT_EQ(sink.anomalies["unmatched_response"], 0u);
}

TEST(PgConversationTest, GarbageIsCountedAndSkipped) {
  auto sink = run(with_start({
      fe(query("SELECT 1")),
      be("\xff\xfe garbage \x01\x02" + row_description() + data_row({"1"}) +
         command_complete("SELECT 1") + ready()),
      fe(std::string("\x7f\x00\x01junk", 7) + query("SELECT 2")),
      be(row_description() + data_row({"2"}) + command_complete("SELECT 1") + ready()),
  }));
  EXPECT_EQ(sink.names(), (Ops{"SELECT", "SELECT"}));
  EXPECT_GE(sink.anomalies["malformed_message"], 2u);
}

TEST(PgConversationTest, TruncatedMessageAtCloseCountsNothing) {
  const std::string q = query("SELECT 1");
  auto sink = run(with_start({fe(q.substr(0, 3))}));
  EXPECT_TRUE(sink.ops.empty());
  auto sink2 = run(with_start({fe(q), be(command_complete("SELECT 1").substr(0, 6))}));
  EXPECT_TRUE(sink2.ops.empty());
}

TEST(PgConversationTest, JoinedMidStreamStartsAtTheFirstRequest) {
  // The kernel classified the connection by this Bind: the statement is unknown, the
  // CommandComplete names the operation.
  auto sink = run({
      fe(bind_msg("", "S_7", {"1"}) + execute() + sync()),
      be(bind_complete() + command_complete("UPDATE 1") + ready()),
      fe(query("SELECT 1")),
      be(row_description() + data_row({"1"}) + command_complete("SELECT 1") + ready()),
  });
  EXPECT_EQ(sink.names(), (Ops{"UPDATE", "SELECT"}));
  EXPECT_EQ(sink.anomaly_count(), 0u);
}

TEST(PgConversationTest, StatementCacheIsBounded) {
  std::vector<Step> steps = session_start();
  const size_t n = PgMatcher::kMaxStatements + 10;
  std::string prepares;
  std::string answers;
  for (size_t i = 0; i < n; i++) {
    prepares += parse("s" + std::to_string(i), "SELECT 1");
    answers += parse_complete();
  }
  steps.push_back(fe(prepares + sync()));
  steps.push_back(be(answers + ready()));
  // The first names were forgotten: a failing Execute of one is named OTHER.
  steps.push_back(fe(bind_msg("", "s0") + execute() + sync()));
  steps.push_back(be(error_response("57014") + ready()));
  steps.push_back(fe(bind_msg("", "s" + std::to_string(n - 1)) + execute() + sync()));
  steps.push_back(be(error_response("57014") + ready()));
  auto sink = run(steps);
  EXPECT_EQ(sink.names(), (Ops{"OTHER 57014", "SELECT 57014"}));
  EXPECT_EQ(sink.anomalies["statement_cache_full"], 10u);
}

TEST(PgConversationTest, TooManyRequestsInFlightAreForgottenButCounted) {
  std::vector<Step> steps = session_start();
  std::string requests;
  std::string answers;
  const size_t n = PgMatcher::kMaxPending;  // 2 entries each: twice the limit
  for (size_t i = 0; i < n; i++) {
    requests += execute() + sync();
    answers += command_complete("SELECT 1") + ready();
  }
  steps.push_back(fe(parse("", "SELECT 1") + bind_msg("", "") + requests));
  steps.push_back(be(parse_complete() + bind_complete() + answers));
  RecordingSink sink;
  PgConversation conversation(Role::kClient, sink);
  play(conversation, Role::kClient, steps);
  EXPECT_EQ(sink.ops.size(), n);
  EXPECT_GE(sink.anomalies["too_many_pending"], 1u);
  EXPECT_LE(conversation.pending(), PgMatcher::kMaxPending);
}

TEST(PgConversationTest, UnmatchedResponsesAreCounted) {
  auto sink = run(with_start({be(command_complete("SELECT 1") + ready())}));
  EXPECT_TRUE(sink.ops.empty());
  EXPECT_EQ(sink.anomalies["unmatched_response"], 2u);
}

TEST(PgConversationTest, CloseForgetsOpenRequests) {
  RecordingSink sink;
  PgConversation conversation(Role::kClient, sink);
  play(conversation, Role::kClient, with_start({fe(query("SELECT pg_sleep(100)"))}));
  EXPECT_EQ(conversation.pending(), 1u);
  conversation.on_close(99);
  EXPECT_EQ(conversation.pending(), 0u);
  EXPECT_TRUE(sink.ops.empty());
}

}  // namespace
}  // namespace redeye::postgres
