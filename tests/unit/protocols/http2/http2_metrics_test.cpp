// The rpc_* families: labels of both sides, _OTHER for undecoded methods and statuses (counted
// in redeye_http2_unresolved_total), the per-service method limit, messages per call.
#include "protocols/http2/http2_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config.h"
#include "h2_test_util.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/http2/http2_protocol.h"

namespace redeye::http2 {
namespace {

ServiceInfo service() {
  ServiceInfo s;
  s.name = "greeter";
  s.instance_id = "host-1";
  return s;
}

// Label maps of the series of `family`, with their sample counts.
std::map<std::map<std::string, std::string>, uint64_t> series(const metrics::Registry& registry,
                                                              const std::string& family) {
  std::map<std::map<std::string, std::string>, uint64_t> out;
  for (const auto& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      out[labels] = f.type == prometheus::MetricType::Histogram
                        ? m.histogram.sample_count
                        : static_cast<uint64_t>(m.counter.value);
    }
  }
  return out;
}

GrpcCall call(std::string_view method, std::string_view status) {
  GrpcCall c;
  c.method = method;
  c.status = status;
  c.start_ns = 1'000'000;
  c.end_ns = 3'000'000;
  c.requests = 1;
  c.responses = 3;
  return c;
}

TEST(Http2Metrics, ServerAndClientSeries) {
  metrics::Registry registry;
  SelfMetrics self;
  Http2Metrics m(registry, 100, 16, self);
  const ServiceInfo svc = service();
  m.record({svc, false, "", 50051}, call("helloworld.Greeter/SayHello", "OK"));
  m.record({svc, true, "10.0.0.2", 443}, call("helloworld.Greeter/SayHello", "NOT_FOUND"));

  const auto server = series(registry, "rpc_server_call_duration_seconds");
  ASSERT_EQ(server.size(), 1u);
  const auto& labels = server.begin()->first;
  EXPECT_EQ(labels.at("rpc_system_name"), "grpc");
  EXPECT_EQ(labels.at("rpc_method"), "helloworld.Greeter/SayHello");
  EXPECT_EQ(labels.at("rpc_response_status_code"), "OK");
  EXPECT_EQ(labels.at("server_port"), "50051");
  EXPECT_EQ(labels.at("service_name"), "greeter");
  EXPECT_FALSE(labels.contains("server_address"));

  const auto client = series(registry, "rpc_client_call_duration_seconds");
  ASSERT_EQ(client.size(), 1u);
  EXPECT_EQ(client.begin()->first.at("server_address"), "10.0.0.2");
  EXPECT_EQ(client.begin()->first.at("server_port"), "443");
  EXPECT_EQ(client.begin()->first.at("rpc_response_status_code"), "NOT_FOUND");
  EXPECT_EQ(series(registry, "rpc_server_requests_per_rpc").begin()->second, 1u);
  EXPECT_EQ(series(registry, "rpc_client_responses_per_rpc").begin()->second, 1u);
}

TEST(Http2Metrics, UndecodedLabelsAreOtherAndCounted) {
  metrics::Registry registry;
  SelfMetrics self;
  Http2Metrics m(registry, 100, 16, self);
  const ServiceInfo svc = service();
  auto unresolved = [&registry](const std::string& what) {
    return series(registry, "redeye_http2_unresolved_total").at({{"what", what}});
  };
  EXPECT_EQ(unresolved("method"), 0u);  // declared at zero
  EXPECT_EQ(unresolved("status"), 0u);
  GrpcCall c = call("", "");
  c.requests.reset();  // unknown count: no observation
  m.record({svc, false, "", 50051}, c);
  EXPECT_EQ(unresolved("method"), 1u);
  EXPECT_EQ(unresolved("status"), 1u);
  const auto server = series(registry, "rpc_server_call_duration_seconds");
  ASSERT_EQ(server.size(), 1u);
  EXPECT_EQ(server.begin()->first.at("rpc_method"), "_OTHER");
  EXPECT_EQ(server.begin()->first.at("rpc_response_status_code"), "_OTHER");
  EXPECT_EQ(series(registry, "rpc_server_requests_per_rpc").begin()->second, 0u);
}

TEST(Http2Metrics, MethodLimitPerService) {
  metrics::Registry registry;
  SelfMetrics self;
  Http2Metrics m(registry, 2, 16, self);
  const ServiceInfo svc = service();
  for (const char* method : {"a.S/A", "a.S/B", "a.S/C", "a.S/A", "a.S/D"}) {
    m.record({svc, false, "", 50051}, call(method, "OK"));
  }
  const auto server = series(registry, "rpc_server_call_duration_seconds");
  std::map<std::string, uint64_t> by_method;
  for (const auto& [labels, n] : server) by_method[labels.at("rpc_method")] += n;
  EXPECT_EQ(by_method,
            (std::map<std::string, uint64_t>{{"a.S/A", 2}, {"a.S/B", 1}, {"_OTHER", 2}}));
  EXPECT_EQ(self.protocol_counter("redeye_rpc_method_overflow_total", "").load(), 2u);
  // Forgotten: a fresh budget.
  m.forget_service(svc);
  registry.remove_series({{"service_name", "greeter"}});
  m.record({svc, false, "", 50051}, call("a.S/C", "OK"));
  EXPECT_EQ(series(registry, "rpc_server_call_duration_seconds").begin()->first.at("rpc_method"),
            "a.S/C");
}

TEST(Http2Metrics, ServerPortLimit) {
  metrics::Registry registry;
  SelfMetrics self;
  Http2Metrics m(registry, 100, 1, self);
  const ServiceInfo svc = service();
  m.record({svc, false, "", 50051}, call("a.S/A", "OK"));
  m.record({svc, false, "", 50052}, call("a.S/A", "OK"));
  std::map<std::string, uint64_t> by_port;
  for (const auto& [labels, n] : series(registry, "rpc_server_call_duration_seconds")) {
    by_port[labels.at("server_port")] += n;
  }
  EXPECT_EQ(by_port, (std::map<std::string, uint64_t>{{"50051", 1}, {"_OTHER", 1}}));
  EXPECT_EQ(self.server_port_overflows("http2").load(), 1u);
}

// Through the handler: each role's calls in its family, repeated calls through the
// connection's cached targets, undecoded labels still counted each time.
TEST(Http2Handler, RecordsCallsOfBothRoles) {
  metrics::Registry registry;
  SelfMetrics self;
  const Config config;
  auto handler = descriptor().create({registry, self, config});
  const ServiceInfo svc = service();
  for (protocols::Role role : {protocols::Role::kServer, protocols::Role::kClient}) {
    auto conversation = handler->open({svc, role, 50051, 40000, "10.0.0.9"});
    ASSERT_NE(conversation, nullptr);
    test::Deflater client_enc, server_enc;
    auto to_server = [&](const std::string& b, uint64_t ts) {
      const auto c = test::chunk(b, ts);
      role == protocols::Role::kServer ? conversation->on_inbound(c) : conversation->on_outbound(c);
    };
    auto to_client = [&](const std::string& b, uint64_t ts) {
      const auto c = test::chunk(b, ts);
      role == protocols::Role::kServer ? conversation->on_outbound(c) : conversation->on_inbound(c);
    };
    to_server(test::kPreface + test::settings(), 1);
    to_client(test::settings() + test::settings_ack(), 2);
    for (uint32_t i = 0; i < 3; ++i) {
      const uint32_t stream = 2 * i + 1;
      to_server(test::headers(stream, client_enc.block(test::grpc_request("/a.S/Get")), false) +
                    test::data(stream, test::message("q"), true),
                1000 * (i + 1));
      to_client(test::headers(stream, server_enc.block(test::grpc_response()), false) +
                    test::data(stream, test::message("r"), false) +
                    test::headers(stream, server_enc.block(test::grpc_trailers(0)), true),
                1000 * (i + 1) + 500);
    }
    to_server(test::headers(7, "\x80", true), 5000);  // undecodable: counted
    conversation->on_close(6000);
  }
  const auto server = series(registry, "rpc_server_call_duration_seconds");
  ASSERT_EQ(server.size(), 1u);
  EXPECT_EQ(server.begin()->second, 3u);
  EXPECT_EQ(server.begin()->first.at("server_port"), "50051");
  const auto client = series(registry, "rpc_client_call_duration_seconds");
  ASSERT_EQ(client.size(), 1u);
  EXPECT_EQ(client.begin()->second, 3u);
  EXPECT_EQ(client.begin()->first.at("server_port"), "40000");
  EXPECT_EQ(client.begin()->first.at("server_address"), "10.0.0.9");
  bool counted = false;
  for (const auto& f : self.Collect()) {
    if (f.name != "redeye_parse_errors_total") continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["protocol"] == "http2" && labels["kind"] == "header_block_undecodable") {
        counted = m.counter.value == 2;
      }
    }
  }
  EXPECT_TRUE(counted);
}

}  // namespace
}  // namespace redeye::http2
