// The protocol table: every row's declared metric families are exactly what its handler
// exports, each family, parse-error kind and not-measured reason is documented in
// docs/METRICS.md, the self-metric series a row declares exist at zero once the handlers are
// created, and a protocol looks its per-service settings (HTTP's routes) up in the config by
// the naming rule's index.
#include <gtest/gtest.h>
#include <prometheus/collectable.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "discovery/service_info.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/protocol.h"

namespace redeye {
namespace {

using protocols::ProtocolDescriptor;

std::string metrics_doc() {
  std::ifstream in(REDEYE_METRICS_DOC);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One service named by rule 0, which sets routes and per-user counting.
Config config_with_rule() {
  Config config;
  ServiceRule rule;
  rule.name = "shop";
  rule.routes = {"/users/{name}"};
  rule.users.identity = "header";
  rule.users.header = "X-User-Id";
  rule.users.distinct_interval_ms = 1;
  config.services.push_back(rule);
  config.users_hash_key = "0123456789abcdef0123456789abcdef";
  return config;
}

ServiceInfo service(std::string name, std::optional<uint32_t> rule) {
  ServiceInfo info;
  info.name = std::move(name);
  info.instance_id = "host-1";
  info.rule = rule;
  return info;
}

protocols::Chunk chunk(const std::string& bytes, uint64_t ts_ns) {
  return protocols::Chunk{{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, 0, ts_ns};
}

// Names of the families `collectables` export now.
std::set<std::string> collected_names(
    const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables) {
  std::set<std::string> names;
  for (const auto& weak : collectables) {
    if (auto collectable = weak.lock()) {
      for (const auto& family : collectable->Collect()) names.insert(family.name);
    }
  }
  return names;
}

// The http_route label values of one family.
std::set<std::string> routes(const metrics::Registry& registry, const std::string& family) {
  std::set<std::string> out;
  for (const auto& collected : registry.Collect()) {
    if (collected.name != family) continue;
    for (const auto& metric : collected.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "http_route") out.insert(label.value);
      }
    }
  }
  return out;
}

const ProtocolDescriptor& row_named(std::string_view name) {
  for (const ProtocolDescriptor* row : protocols::registered_protocols()) {
    if (row->name == name) return *row;
  }
  ADD_FAILURE() << "no protocol " << name;
  std::abort();
}

TEST(ProtocolRegistry, RowsAreDistinctAndFoundByKernelId) {
  std::set<std::string> names;
  std::set<uint8_t> ids;
  for (const ProtocolDescriptor* row : protocols::registered_protocols()) {
    EXPECT_TRUE(names.insert(row->name).second) << row->name;
    EXPECT_TRUE(ids.insert(row->kernel_id).second) << row->name;
    EXPECT_NE(row->kernel_id, 0) << row->name << ": 0 is the kernel's 'unknown'";
    EXPECT_EQ(protocols::find_protocol(row->kernel_id), row);
    EXPECT_NE(row->create, nullptr) << row->name;
  }
  EXPECT_GE(names.size(), 3u);
  EXPECT_EQ(protocols::find_protocol(0), nullptr);
}

// Declared families == families the handler puts in the registry, plus those its collectables
// and protocol counters export. HTTP's per-user families exist only once a user was seen, so
// one request of a user is driven through every handler that opens a server conversation.
TEST(ProtocolRegistry, DeclaredFamiliesAreExactlyTheExportedOnes) {
  const Config config = config_with_rule();
  const ServiceInfo shop = service("shop", 0);
  for (const ProtocolDescriptor* row : protocols::registered_protocols()) {
    SCOPED_TRACE(row->name);
    metrics::Registry registry;
    SelfMetrics self;
    const std::set<std::string> self_before = [&] {
      std::set<std::string> names;
      for (const auto& family : self.Collect()) names.insert(family.name);
      return names;
    }();
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables;
    const protocols::ProtocolContext context{
        registry, self, config,
        [&collectables](std::weak_ptr<prometheus::Collectable> c) { collectables.push_back(c); }};
    auto handler = row->create(context);
    ASSERT_NE(handler, nullptr);
    auto conversation = handler->open({shop, protocols::Role::kServer, 8080, 40000, "127.0.0.1"});
    if (conversation && std::string(row->name) == "http") {
      // Two requests a distinct-users interval apart: the estimate of a completed interval.
      for (int i = 0; i < 2; ++i) {
        if (i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        conversation->on_inbound(
            chunk("GET /users/alice HTTP/1.1\r\nHost: a\r\nX-User-Id: u1\r\n\r\n", 1000));
        conversation->on_outbound(chunk("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2000));
      }
    }

    std::set<std::string> exported;
    for (const std::string& name : registry.family_names()) exported.insert(name);
    const std::set<std::string> from_collectables = collected_names(collectables);
    exported.insert(from_collectables.begin(), from_collectables.end());
    for (const auto& family : self.Collect()) {
      if (!self_before.contains(family.name)) exported.insert(family.name);  // protocol counters
    }
    const std::set<std::string> declared(row->metric_families.begin(), row->metric_families.end());
    EXPECT_EQ(declared, exported);
  }
}

// A label value is written `value` in a list or kind="value" in a selector.
bool documented(const std::string& doc, std::string_view value) {
  const std::string v(value);
  return doc.find("`" + v + "`") != std::string::npos ||
         doc.find("\"" + v + "\"") != std::string::npos;
}

TEST(ProtocolRegistry, EveryFamilyKindAndReasonIsDocumented) {
  const std::string doc = metrics_doc();
  ASSERT_FALSE(doc.empty()) << REDEYE_METRICS_DOC;
  for (const ProtocolDescriptor* row : protocols::registered_protocols()) {
    SCOPED_TRACE(row->name);
    for (std::string_view family : row->metric_families) {
      EXPECT_NE(doc.find("`" + std::string(family) + "`"), std::string::npos) << family;
    }
    for (std::string_view kind : row->anomalies) {
      EXPECT_TRUE(documented(doc, kind)) << kind;
    }
    for (std::string_view reason : row->not_measured) {
      EXPECT_TRUE(documented(doc, reason)) << reason;
    }
  }
}

// The value of redeye_parse_errors_total / redeye_requests_not_measured_total for one
// protocol and kind/reason; -1 when there is no such series.
double self_series(const SelfMetrics& self, const std::string& family, const std::string& protocol,
                   const std::string& label, std::string_view value) {
  for (const auto& collected : self.Collect()) {
    if (collected.name != family) continue;
    for (const auto& metric : collected.metric) {
      bool protocol_match = false, value_match = false;
      for (const auto& l : metric.label) {
        protocol_match |= l.name == "protocol" && l.value == protocol;
        value_match |= l.name == label && l.value == value;
      }
      if (protocol_match && value_match) return metric.counter.value;
    }
  }
  return -1;
}

TEST(ProtocolRegistry, CreateHandlersDeclaresEveryKindAndReasonAtZero) {
  metrics::Registry registry;
  SelfMetrics self;
  const Config config;
  const protocols::ProtocolHandlers handlers = protocols::create_handlers({registry, self, config});
  EXPECT_EQ(handlers.owned.size(), protocols::registered_protocols().size());
  for (const ProtocolDescriptor* row : protocols::registered_protocols()) {
    SCOPED_TRACE(row->name);
    ASSERT_TRUE(handlers.by_kernel_id.contains(row->kernel_id));
    for (std::string_view kind : row->anomalies) {
      EXPECT_EQ(self_series(self, "redeye_parse_errors_total", row->name, "kind", kind), 0) << kind;
    }
    for (std::string_view reason : row->not_measured) {
      EXPECT_EQ(
          self_series(self, "redeye_requests_not_measured_total", row->name, "reason", reason), 0)
          << reason;
    }
  }
}

// HTTP finds a rule's routes by ServiceInfo::rule; a service no rule named gets the default
// folding (the path as sent, ids folded).
TEST(ProtocolRegistry, HttpTakesRoutesFromTheRuleThatNamedTheService) {
  const Config config = config_with_rule();
  metrics::Registry registry;
  SelfMetrics self;
  auto handler = row_named("http").create({registry, self, config});
  const ServiceInfo named = service("shop", 0);
  const ServiceInfo unnamed = service("other", std::nullopt);
  const std::string request = "GET /users/alice HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  for (const ServiceInfo* svc : {&named, &unnamed}) {
    auto conversation = handler->open({*svc, protocols::Role::kServer, 8080, 40000, "127.0.0.1"});
    ASSERT_NE(conversation, nullptr);
    conversation->on_inbound(chunk(request, 1000));
    conversation->on_outbound(chunk(response, 2000));
  }
  EXPECT_EQ(routes(registry, "http_server_request_duration_seconds"),
            (std::set<std::string>{"/users/{name}", "/users/alice"}));
}

}  // namespace
}  // namespace redeye
