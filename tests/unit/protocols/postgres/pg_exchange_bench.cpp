// PostgreSQL hot-path benchmark: N prepared-statement exchanges as pgbench -M prepared sends
// them (tpcb-like: BEGIN, 3 UPDATEs, a SELECT, an INSERT, END, cycling over statements
// P0_0..P0_6): one write of Bind/Execute/Sync, one read of BindComplete/[DataRow]/
// CommandComplete/ReadyForQuery. Fed through a client and a server connection of the
// PostgreSQL protocol handler (conversation + metrics, as the connection table drives it:
// every message is seen twice, as when both pgbench and postgres are followed), then through
// one conversation with a sink that does nothing. Prints ns per exchange. Not a ctest:
// timings depend on the machine.
//
//   pg_exchange_bench [--exchanges N] [--rounds R]
#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "discovery/service_registry.h"
#include "exchange_bench.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "pg_test_util.h"
#include "protocols/postgres/postgres_protocol.h"
#include "protocols/protocol.h"

namespace {

using namespace redeye;
using namespace redeye::postgres::testing;
namespace testing = redeye::postgres::testing;

struct Statement {
  std::string sql;
  std::string tag;
  std::vector<std::string> params;
  bool returns_row;
};

const std::array<Statement, 7> kTpcb = {{
    {"BEGIN;", "BEGIN", {}, false},
    {"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;",
     "UPDATE 1",
     {"-1234", "56789"},
     false},
    {"SELECT abalance FROM pgbench_accounts WHERE aid = $1;", "SELECT 1", {"56789"}, true},
    {"UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;",
     "UPDATE 1",
     {"-1234", "7"},
     false},
    {"UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;",
     "UPDATE 1",
     {"-1234", "1"},
     false},
    {"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
     "CURRENT_TIMESTAMP);",
     "INSERT 0 1",
     {"7", "1", "56789", "-1234"},
     false},
    {"END;", "COMMIT", {}, false},
}};

struct Exchange {
  std::string request;   // frontend
  std::string response;  // backend
};

class NullSink : public postgres::PgEventSink {
 public:
  void on_operation(const postgres::PgOperation& o) override { ops += o.op != 0 ? 1 : 0; }
  void on_anomaly(postgres::PgAnomaly, uint64_t n) override { anomalies += n; }
  uint64_t ops = 0;
  uint64_t anomalies = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const bench::ExchangeBenchArgs args = bench::parse_args(argc, argv, /*with_target=*/false);

  // Session start and the statements' preparation (not timed).
  std::string prepare_request;
  std::string prepare_response;
  std::vector<Exchange> exchanges;
  for (size_t i = 0; i < kTpcb.size(); i++) {
    const Statement& s = kTpcb[i];
    const std::string name = "P0_" + std::to_string(i);
    prepare_request += parse(name, s.sql, static_cast<uint16_t>(s.params.size())) + testing::sync();
    prepare_response += parse_complete() + ready('I');
    exchanges.push_back({bind_msg("", name, s.params) + execute() + testing::sync(),
                         bind_complete() + (s.returns_row ? data_row({"-4711"}) : "") +
                             command_complete(s.tag) + ready(i + 1 == kTpcb.size() ? 'I' : 'T')});
  }

  Config config;
  metrics::Registry registry;
  SelfMetrics self;
  auto handler = postgres::make_postgres_handler({registry, self, config});
  const ServiceInfo client_service = bench::service("pgbench");
  const ServiceInfo server_service = bench::service("postgres");
  const protocols::ConnectionInfo client{client_service, protocols::Role::kClient, 40000, 5432,
                                         "127.0.0.1"};
  const protocols::ConnectionInfo server{server_service, protocols::Role::kServer, 5432, 40000,
                                         "127.0.0.1"};

  std::vector<double> full;
  std::vector<double> parse_only;
  for (int round = 0; round < args.rounds; ++round) {
    {
      std::unique_ptr<protocols::Conversation> c = handler->open(client);
      std::unique_ptr<protocols::Conversation> s = handler->open(server);
      uint64_t ts = 1'000'000;
      const std::string hello_request = startup("bench", "bench");
      const std::string hello_response = server_hello();
      c->on_outbound({bytes(hello_request), 0, ts});
      s->on_inbound({bytes(hello_request), 0, ts});
      c->on_inbound({bytes(hello_response), 0, ts});
      s->on_outbound({bytes(hello_response), 0, ts});
      c->on_outbound({bytes(prepare_request), 0, ts});
      s->on_inbound({bytes(prepare_request), 0, ts});
      c->on_inbound({bytes(prepare_response), 0, ts});
      s->on_outbound({bytes(prepare_response), 0, ts});
      full.push_back(bench::ns_per_exchange(args.exchanges, [&](uint64_t i) {
        const Exchange& e = exchanges[i % exchanges.size()];
        const protocols::Chunk request{bytes(e.request), 0, ts += 1000};
        c->on_outbound(request);
        s->on_inbound({request.captured, 0, ts += 1000});
        const protocols::Chunk response{bytes(e.response), 0, ts += 20'000};
        s->on_outbound(response);
        c->on_inbound({response.captured, 0, ts += 1000});
      }));
      c->on_close(ts + 1);
      s->on_close(ts + 1);
    }
    {
      NullSink sink;
      postgres::PgConversation conversation(protocols::Role::kServer, sink);
      uint64_t ts = 1'000'000;
      play(conversation, protocols::Role::kServer,
           {fe(startup("bench", "bench")), be(server_hello()), fe(prepare_request),
            be(prepare_response)});
      parse_only.push_back(bench::ns_per_exchange(args.exchanges, [&](uint64_t i) {
        const Exchange& e = exchanges[i % exchanges.size()];
        conversation.on_inbound({bytes(e.request), 0, ts += 1000});
        conversation.on_outbound({bytes(e.response), 0, ts += 20'000});
      }));
      if (sink.ops != args.exchanges || sink.anomalies != 0) {
        std::fprintf(stderr,
                     "unexpected events: %" PRIu64 " named operations, %" PRIu64 " anomalies\n",
                     sink.ops, sink.anomalies);
        return 1;
      }
    }
  }

  // Sanity: every exchange was recorded once per side and round, with its name.
  uint64_t count = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != "db_client_operation_duration_seconds" &&
        family.name != "db_server_operation_duration_seconds") {
      continue;
    }
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "db_operation_name" && label.value == "OTHER") {
          std::fprintf(stderr, "an exchange was not named\n");
          return 1;
        }
      }
      count += metric.histogram.sample_count;
    }
  }
  const uint64_t expected = 2 * args.exchanges * static_cast<uint64_t>(args.rounds);
  if (count != expected) {
    std::fprintf(stderr, "recorded %" PRIu64 " operations, expected %" PRIu64 "\n", count,
                 expected);
    return 1;
  }

  std::printf("exchanges per round: %" PRIu64 ", rounds: %d\n", args.exchanges, args.rounds);
  bench::print_timing("client + server conversations + metrics:", full);
  bench::print_timing("one conversation only:                  ", parse_only);
  return 0;
}
