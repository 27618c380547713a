// server_port_limit: each service keeps its first N server_port values, the rest are
// "_OTHER" and counted in redeye_server_port_overflow_total{protocol}, for HTTP servers and
// clients and PostgreSQL; forget_service gives the service a fresh budget.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "adhoc_agent_test_support.h"
#include "metrics/self_metrics.h"
#include "metrics/service_labels.h"
#include "metrics/single_writer.h"
#include "protocols/http/http_client_metrics.h"
#include "protocols/http/http_server_metrics.h"
#include "protocols/postgres/postgres_metrics.h"

namespace redeye {
namespace {

ServiceInfo service(std::string name) {
  ServiceInfo info;
  info.name = std::move(name);
  info.instance_id = "host-1";
  return info;
}

http::HttpExchange get() {
  http::HttpExchange e;
  e.request.method = "GET";
  e.request.target = "/";
  e.status_code = 200;
  return e;
}

// The server_port values of `family`'s series of service `name`.
std::multiset<std::string> ports(metrics::Registry& registry, const std::string& family_name,
                                 const std::string& name) {
  std::multiset<std::string> out;
  for (const auto& family : registry.Collect()) {
    if (family.name != family_name) continue;
    for (const auto& metric : family.metric) {
      std::string port;
      bool ours = false;
      for (const auto& label : metric.label) {
        if (label.name == "server_port") port = label.value;
        ours |= label.name == "service_name" && label.value == name;
      }
      if (ours) out.insert(port);
    }
  }
  return out;
}

double overflows(SelfMetrics& self, const std::string& protocol) {
  return test::value_of(self.Collect(), "redeye_server_port_overflow_total",
                        {{"protocol", protocol}});
}

TEST(ServerPortLimit, HttpServerFoldsPortsBeyondTheLimitPerService) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpServerMetrics metrics(registry, 100, 2, self);
  const ServiceInfo jobs = service("jobs");
  const ServiceInfo shop = service("shop");
  for (uint16_t port : {40001, 40002, 40003, 40004, 40001}) {
    metrics.record(ServerIdentity{jobs, port}, get());
  }
  metrics.record(ServerIdentity{shop, 8080}, get());
  const char* kDuration = "http_server_request_duration_seconds";
  EXPECT_EQ(ports(registry, kDuration, "jobs"),
            (std::multiset<std::string>{"40001", "40002", "_OTHER"}));
  EXPECT_EQ(ports(registry, kDuration, "shop"), (std::multiset<std::string>{"8080"}));
  EXPECT_EQ(overflows(self, "http"), 2);

  // Expired: the series go (the registry's part), and the next ports start a fresh budget.
  metrics.forget_service(identity_of(jobs));
  registry.remove_series(service_labels(identity_of(jobs)));
  metrics.record(ServerIdentity{jobs, 40004}, get());
  EXPECT_EQ(ports(registry, kDuration, "jobs"), (std::multiset<std::string>{"40004"}));
}

TEST(ServerPortLimit, HttpClientFoldsTheServersItCalls) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpClientMetrics metrics(registry, 1, self);
  const ServiceInfo caller = service("caller");
  const std::string address = "127.0.0.1";
  for (uint16_t port : {80, 81, 82, 80}) metrics.record({caller, address, port}, get());
  EXPECT_EQ(ports(registry, "http_client_request_duration_seconds", "caller"),
            (std::multiset<std::string>{"80", "_OTHER"}));
  EXPECT_EQ(overflows(self, "http"), 2);
  metrics.forget_service(identity_of(caller));
  registry.remove_series(service_labels(identity_of(caller)));
  metrics.record({caller, address, 82}, get());
  EXPECT_EQ(ports(registry, "http_client_request_duration_seconds", "caller"),
            (std::multiset<std::string>{"82"}));
}

TEST(ServerPortLimit, PostgresFoldsServerAndClientPortsSeparately) {
  metrics::Registry registry;
  SelfMetrics self;
  postgres::PostgresMetrics metrics(registry, 1, self);
  const ServiceInfo db = service("db");
  for (uint16_t port : {5432, 5433, 5433}) {
    metrics.observe(metrics.series({db, false, "", port}, "SELECT", ""), 0.001);
    metrics.observe(metrics.series({db, true, "10.0.0.1", port}, "SELECT", ""), 0.001);
  }
  EXPECT_EQ(ports(registry, "db_server_operation_duration_seconds", "db"),
            (std::multiset<std::string>{"5432", "_OTHER"}));
  EXPECT_EQ(ports(registry, "db_client_operation_duration_seconds", "db"),
            (std::multiset<std::string>{"5432", "_OTHER"}));
  EXPECT_EQ(overflows(self, "postgresql"), 4);
}

TEST(ServerPortLimit, PostgresForgetServiceGivesBothSidesAFreshBudget) {
  metrics::Registry registry;
  SelfMetrics self;
  postgres::PostgresMetrics metrics(registry, 1, self);
  const ServiceInfo db = service("db");
  for (uint16_t port : {5432, 5433}) {
    metrics.observe(metrics.series({db, false, "", port}, "SELECT", ""), 0.001);
    metrics.observe(metrics.series({db, true, "10.0.0.1", port}, "SELECT", ""), 0.001);
  }
  const char* kServer = "db_server_operation_duration_seconds";
  const char* kClient = "db_client_operation_duration_seconds";
  ASSERT_EQ(ports(registry, kServer, "db"), (std::multiset<std::string>{"5432", "_OTHER"}));
  ASSERT_EQ(ports(registry, kClient, "db"), (std::multiset<std::string>{"5432", "_OTHER"}));
  ASSERT_EQ(overflows(self, "postgresql"), 2);

  // Expired: the series go (the registry's part), and the next ports start a fresh budget.
  metrics.forget_service(identity_of(db));
  registry.remove_series(service_labels(identity_of(db)));
  EXPECT_TRUE(ports(registry, kServer, "db").empty());
  EXPECT_TRUE(ports(registry, kClient, "db").empty());
  // 5433 was folded into _OTHER before: now it is the first port of the budget, on each side.
  metrics.observe(metrics.series({db, false, "", 5433}, "SELECT", ""), 0.001);
  metrics.observe(metrics.series({db, true, "10.0.0.1", 5433}, "SELECT", ""), 0.001);
  EXPECT_EQ(ports(registry, kServer, "db"), (std::multiset<std::string>{"5433"}));
  EXPECT_EQ(ports(registry, kClient, "db"), (std::multiset<std::string>{"5433"}));
  EXPECT_EQ(overflows(self, "postgresql"), 2);  // nothing folded since
  // And the budget is one port again: the next one folds.
  metrics.observe(metrics.series({db, false, "", 5434}, "SELECT", ""), 0.001);
  metrics.observe(metrics.series({db, true, "10.0.0.1", 5434}, "SELECT", ""), 0.001);
  EXPECT_EQ(ports(registry, kServer, "db"), (std::multiset<std::string>{"5433", "_OTHER"}));
  EXPECT_EQ(ports(registry, kClient, "db"), (std::multiset<std::string>{"5433", "_OTHER"}));
  EXPECT_EQ(overflows(self, "postgresql"), 4);
}

}  // namespace
}  // namespace redeye
