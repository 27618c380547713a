// HTTP server hot-path benchmark: N keep-alive exchanges (wrk's request, nginx's response, one
// read and one write each) fed through one server connection of the HTTP protocol handler, i.e.
// the conversation (parser + matcher) and the metrics (active gauge, route, histograms), as the
// connection table drives it. Also times the conversation alone with a sink that does nothing.
// Prints ns per exchange. Not a ctest: timings depend on the machine.
//
//   http_exchange_bench [--exchanges N] [--target PATH] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "discovery/service_registry.h"
#include "exchange_bench.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/http/http_conversation.h"
#include "protocols/http/http_protocol.h"
#include "protocols/protocol.h"

namespace {

using namespace redeye;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class NullSink : public http::HttpEventSink {
 public:
  void on_request_started(const http::HttpRequestHead&) override { ++started; }
  void on_exchange(const http::HttpExchange& e) override { status_sum += e.status_code; }
  void on_request_abandoned(const http::HttpRequestHead&) override {}
  void on_anomaly(http::HttpAnomaly) override { ++anomalies; }
  uint64_t started = 0;
  uint64_t status_sum = 0;
  uint64_t anomalies = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const bench::ExchangeBenchArgs args = bench::parse_args(argc, argv, /*with_target=*/true);
  const std::string request = "GET " + args.target + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
  const std::string response =
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: 2\r\n"
      "Connection: keep-alive\r\n\r\nok";

  Config config;
  metrics::Registry registry;
  SelfMetrics self;
  auto handler = http::make_http_handler({registry, self, config});
  const ServiceInfo service = bench::service("nginx");
  const protocols::ConnectionInfo conn{service, protocols::Role::kServer, 8080, 40000, "127.0.0.1"};

  std::vector<double> full;
  std::vector<double> parse_only;
  for (int round = 0; round < args.rounds; ++round) {
    {
      std::unique_ptr<protocols::Conversation> conversation = handler->open(conn);
      uint64_t ts = 1'000'000;
      full.push_back(bench::ns_per_exchange(args.exchanges, [&](uint64_t) {
        conversation->on_inbound({as_bytes(request), 0, ts += 1000});
        conversation->on_outbound({as_bytes(response), 0, ts += 20'000});
      }));
      conversation->on_close(ts + 1);
    }
    {
      NullSink sink;
      http::HttpConversation conversation(protocols::Role::kServer, sink);
      uint64_t ts = 1'000'000;
      parse_only.push_back(bench::ns_per_exchange(args.exchanges, [&](uint64_t) {
        conversation.on_inbound({as_bytes(request), 0, ts += 1000});
        conversation.on_outbound({as_bytes(response), 0, ts += 20'000});
      }));
      if (sink.started != args.exchanges || sink.anomalies != 0 ||
          sink.status_sum != 200 * args.exchanges) {
        std::fprintf(stderr, "unexpected events: %" PRIu64 " started, %" PRIu64 " anomalies\n",
                     sink.started, sink.anomalies);
        return 1;
      }
    }
  }

  // Sanity: every exchange was recorded once per round.
  uint64_t count = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != "http_server_request_duration_seconds") continue;
    for (const auto& metric : family.metric) count += metric.histogram.sample_count;
  }
  const uint64_t expected = args.exchanges * static_cast<uint64_t>(args.rounds);
  if (count != expected) {
    std::fprintf(stderr, "recorded %" PRIu64 " exchanges, expected %" PRIu64 "\n", count, expected);
    return 1;
  }

  std::printf("exchanges per round: %" PRIu64 ", rounds: %d, target: %s\n", args.exchanges,
              args.rounds, args.target.c_str());
  bench::print_timing("conversation + metrics:", full);
  bench::print_timing("conversation only:     ", parse_only);
  return 0;
}
