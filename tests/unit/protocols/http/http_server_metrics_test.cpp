// HttpServerMetrics: the per-server series cache gives the same series as looking them up by
// labels, follows a ServiceInfo address that was reused by another service, and still counts
// route overflows per request.
#include "protocols/http/http_server_metrics.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/self_metrics.h"
#include "metrics/service_labels.h"
#include "metrics/single_writer.h"

namespace redeye {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Histogram sample count (or gauge value) of the series of `name` carrying all of `want`;
// -1 if there is none. Fails if several series match.
double value(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
             const Labels& want) {
  double found = -1;
  int matches = 0;
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : want) {
        bool has = false;
        for (const auto& label : metric.label) has |= label.name == k && label.value == v;
        match &= has;
      }
      if (!match) continue;
      ++matches;
      found = family.type == prometheus::MetricType::Histogram
                  ? static_cast<double>(metric.histogram.sample_count)
                  : metric.gauge.value;
    }
  }
  EXPECT_LE(matches, 1) << name;
  return found;
}

std::size_t series_count(const std::vector<prometheus::MetricFamily>& families,
                         const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return family.metric.size();
  }
  return 0;
}

http::HttpExchange exchange(std::string method, std::string target, int status) {
  http::HttpExchange e;
  e.request.method = std::move(method);
  e.request.target = std::move(target);
  e.status_code = status;
  e.start_ns = 1'000;
  e.end_ns = 2'000'000;
  e.response_body_bytes = 5;
  return e;
}

ServiceInfo service(std::string name) {
  ServiceInfo info;
  info.name = std::move(name);
  info.service_namespace = "ns";
  info.instance_id = "host-1";
  return info;
}

const char kDuration[] = "http_server_request_duration_seconds";
const char kActive[] = "http_server_active_requests";

TEST(HttpServerMetrics, CachedServerAndLabelLookupShareSeries) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpServerMetrics metrics(registry, 100, 16, self);
  const ServiceInfo shop = service("shop");
  HttpServerMetrics::Server& server = metrics.server({shop, 8080});
  EXPECT_EQ(&metrics.server({shop, 8080}), &server);
  EXPECT_NE(&metrics.server({shop, 8081}), &server);

  metrics.request_started(server, "GET");
  metrics.request_started(ServerIdentity{shop, 8080}, "GET");
  metrics.request_started(server, "BREW");
  auto families = registry.Collect();
  EXPECT_EQ(
      value(families, kActive,
            {{"service_name", "shop"}, {"http_request_method", "GET"}, {"server_port", "8080"}}),
      2);
  EXPECT_EQ(value(families, kActive, {{"http_request_method", "_OTHER"}}), 1);

  metrics.request_ended(server, "GET");
  metrics.record(server, exchange("GET", "/orders/42?x=1", 200));
  metrics.request_ended(ServerIdentity{shop, 8080}, "GET");
  metrics.record(ServerIdentity{shop, 8080}, exchange("GET", "/orders/7", 200));
  metrics.record(server, exchange("GET", "/orders/7", 404));
  metrics.record(server, exchange("POST", "/orders/7", 200));
  metrics.record(metrics.server({shop, 8081}), exchange("GET", "/orders/7", 200));
  families = registry.Collect();
  EXPECT_EQ(value(families, kActive, {{"http_request_method", "GET"}, {"server_port", "8080"}}), 0);
  const Labels get_200 = {{"service_name", "shop"},
                          {"service_namespace", "ns"},
                          {"service_instance_id", "host-1"},
                          {"http_request_method", "GET"},
                          {"http_route", "/orders/{id}"},
                          {"http_response_status_code", "200"},
                          {"server_port", "8080"}};
  EXPECT_EQ(value(families, kDuration, get_200), 2);
  EXPECT_EQ(value(families, kDuration, {{"http_response_status_code", "404"}}), 1);
  EXPECT_EQ(value(families, kDuration, {{"http_request_method", "POST"}}), 1);
  EXPECT_EQ(value(families, kDuration, {{"server_port", "8081"}}), 1);
  EXPECT_EQ(series_count(families, kDuration), 4u);
}

TEST(HttpServerMetrics, SameIdentityAtTwoAddressesSharesSeries) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpServerMetrics metrics(registry, 100, 16, self);
  const ServiceInfo a = service("shop");
  const ServiceInfo b = service("shop");
  metrics.record(metrics.server({a, 80}), exchange("GET", "/", 200));
  metrics.record(metrics.server({b, 80}), exchange("GET", "/", 200));
  const auto families = registry.Collect();
  EXPECT_EQ(series_count(families, kDuration), 1u);
  EXPECT_EQ(value(families, kDuration, {{"service_name", "shop"}}), 2);
}

TEST(HttpServerMetrics, ReusedServiceAddressGetsItsOwnLabels) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpServerMetrics metrics(registry, 100, 16, self);
  std::optional<ServiceInfo> slot(service("old"));
  const ServiceInfo* address = &*slot;
  HttpServerMetrics::Server* server = &metrics.server({*slot, 80});
  metrics.request_started(*server, "GET");
  metrics.record(*server, exchange("GET", "/", 200));
  // The service went away; another one is created at the same address.
  slot.reset();
  slot.emplace(service("new"));
  ASSERT_EQ(&*slot, address);
  server = &metrics.server({*slot, 80});
  metrics.request_started(*server, "GET");
  metrics.record(*server, exchange("GET", "/", 200));
  metrics.record(ServerIdentity{*slot, 80}, exchange("GET", "/", 200));
  const auto families = registry.Collect();
  EXPECT_EQ(value(families, kDuration, {{"service_name", "old"}}), 1);
  EXPECT_EQ(value(families, kDuration, {{"service_name", "new"}}), 2);
  EXPECT_EQ(value(families, kActive, {{"service_name", "old"}}), 1);
  EXPECT_EQ(value(families, kActive, {{"service_name", "new"}}), 1);
}

// An expired service: forget_service, then the registry erases its series. A new ServiceInfo
// at the same address, with the same labels, must get new series, not the erased ones.
TEST(HttpServerMetrics, ForgottenServiceAtAReusedAddressGetsFreshSeries) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpServerMetrics metrics(registry, 100, 16, self);
  std::optional<ServiceInfo> slot(service("job"));
  const ServiceInfo* address = &*slot;
  metrics.record(metrics.server({*slot, 80}), exchange("GET", "/", 200));
  metrics.request_started(metrics.server({*slot, 80}), "GET");
  const ServiceIdentity job = identity_of(*slot);
  slot.reset();
  metrics.forget_service(job);
  EXPECT_EQ(registry.remove_series(service_labels(job)), 4u);
  slot.emplace(service("job"));
  ASSERT_EQ(&*slot, address);
  metrics.record(metrics.server({*slot, 80}), exchange("GET", "/", 200));
  metrics.request_ended(metrics.server({*slot, 80}), "GET");
  const auto families = registry.Collect();
  EXPECT_EQ(value(families, kDuration, {{"service_name", "job"}}), 1);
  EXPECT_EQ(value(families, kActive, {{"service_name", "job"}}), -1);
  EXPECT_EQ(registry.series_count(), 4u);
}

double route_overflows(SelfMetrics& self) {
  for (const auto& family : self.Collect()) {
    if (family.name == "redeye_http_route_overflow_total" && !family.metric.empty()) {
      return family.metric[0].counter.value;
    }
  }
  return -1;
}

TEST(HttpServerMetrics, RouteOverflowIsCountedPerRequest) {
  metrics::Registry registry;
  SelfMetrics self;
  HttpServerMetrics metrics(registry, 1, 16, self);
  const ServiceInfo shop = service("shop");
  HttpServerMetrics::Server& server = metrics.server({shop, 80});
  metrics.record(server, exchange("GET", "/a", 200));
  metrics.record(server, exchange("GET", "/b", 200));
  metrics.record(server, exchange("GET", "/b", 200));
  metrics.record(server, exchange("GET", "/a", 200));
  // The route budget is per service, shared by its ports.
  metrics.record(metrics.server({shop, 81}), exchange("GET", "/c", 200));
  const auto families = registry.Collect();
  EXPECT_EQ(value(families, kDuration, {{"http_route", "/a"}, {"server_port", "80"}}), 2);
  EXPECT_EQ(value(families, kDuration, {{"http_route", "_OTHER"}, {"server_port", "80"}}), 2);
  EXPECT_EQ(value(families, kDuration, {{"http_route", "_OTHER"}, {"server_port", "81"}}), 1);
  EXPECT_EQ(route_overflows(self), 3);
}

}  // namespace
}  // namespace redeye
