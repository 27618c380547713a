// The glue: conversations opened by the handler feed the Prometheus families with the
// service's labels.
#include "protocols/amqp/amqp_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "amqp_frames.h"
#include "amqp_test_support.h"
#include "config/config.h"
#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "metrics/service_labels.h"
#include "metrics/single_writer.h"
#include "protocols/amqp/amqp_protocol.h"

namespace redeye::amqp::testing {
namespace {

using protocols::Role;

class AmqpMetricsTest : public ::testing::Test {
 protected:
  AmqpMetricsTest() : handler_(make_amqp_handler({registry_, self_, config_})) {
    service_.name = "mes-worker";
    service_.service_namespace = "plant";
    service_.instance_id = "host-1";
  }

  std::unique_ptr<protocols::Conversation> open(Role role) {
    return handler_->open({service_, role, 40000, 5672, "127.0.0.1"});
  }

  void play_all(protocols::Conversation& c, const Script& script) {
    for (const Step& step : script) {
      const protocols::Chunk chunk{as_bytes(step.bytes), step.uncaptured, step.ts};
      if (step.to_broker) {
        c.on_outbound(chunk);
      } else {
        c.on_inbound(chunk);
      }
    }
  }

  // name{labels...} -> value (counters, gauges; histograms as their _count).
  std::map<std::string, double> samples() {
    std::map<std::string, double> out;
    for (const auto& family : registry_.Collect()) {
      for (const auto& metric : family.metric) {
        std::string key = family.name + "{";
        for (const auto& label : metric.label) key += label.name + "=" + label.value + ",";
        key += "}";
        switch (family.type) {
          case prometheus::MetricType::Counter:
            out[key] = metric.counter.value;
            break;
          case prometheus::MetricType::Gauge:
            out[key] = metric.gauge.value;
            break;
          case prometheus::MetricType::Histogram:
            out[key + "_count"] = static_cast<double>(metric.histogram.sample_count);
            break;
          default:
            break;
        }
      }
    }
    return out;
  }

  // The service's labels plus `extra` ("name=value," each), sorted as the registry sorts them.
  static std::string labels(const std::string& extra) {
    std::set<std::string> all = {"messaging_system=rabbitmq,", "service_instance_id=host-1,",
                                 "service_name=mes-worker,", "service_namespace=plant,"};
    for (size_t start = 0; start < extra.size();) {
      const size_t end = extra.find(',', start);
      all.insert(extra.substr(start, end + 1 - start));
      start = end + 1;
    }
    std::string out;
    for (const auto& label : all) out += label;
    return out + "}";
  }

  metrics::Registry registry_;
  SelfMetrics self_;
  Config config_;
  ServiceInfo service_;
  std::unique_ptr<protocols::ProtocolHandler> handler_;
};

TEST_F(AmqpMetricsTest, ServerRoleIsNotMeasured) { EXPECT_EQ(open(Role::kServer), nullptr); }

TEST_F(AmqpMetricsTest, ClientConversationFeedsEveryFamily) {
  auto conversation = open(Role::kClient);
  ASSERT_NE(conversation, nullptr);
  Script script = handshake() + Script{c2b(confirm_select(1), 10),
                                       b2c(confirm_select_ok(1), 10),
                                       c2b(publish_message(1, "", "q", "m"), 10),
                                       c2b(publish_message(1, "orders", "k", "m"), 10),
                                       b2c(ack(1, 1) + nack(1, 2, false, false), 2'000'000'010),
                                       c2b(channel_open(2), 11),
                                       c2b(consume(2, "orders.work", "w"), 11),
                                       b2c(consume_ok(2, "w"), 12)};
  for (uint64_t tag = 1; tag <= 4; tag++) {
    script.push_back(b2c(deliver_message(2, "w", tag, "m"), 100));
  }
  script.push_back(c2b(ack(2, 1) + reject(2, 2, false) + nack(2, 3, false, false), 200));
  script.push_back(c2b(get(2, "orders.dead"), 300));
  script.push_back(b2c(get_ok(2, 5) +
                           content_header(2, 1, x_death_headers("orders.work", "rejected")) +
                           body(2, "m"),
                       301));
  play_all(*conversation, script);

  auto s = samples();
  EXPECT_EQ(s["messaging_client_sent_messages_total{" +
              labels("messaging_destination_name=amq.default,messaging_operation_name=publish,")],
            1);
  EXPECT_EQ(s["messaging_client_sent_messages_total{" +
              labels("messaging_destination_name=orders,messaging_operation_name=publish,")],
            1);
  EXPECT_EQ(s["messaging_client_operation_duration_seconds{" +
              labels("error_type=,messaging_destination_name=amq.default,messaging_operation_name="
                     "publish,") +
              "_count"],
            1);
  EXPECT_EQ(s["messaging_client_operation_duration_seconds{" +
              labels("error_type=nack,messaging_destination_name=orders,messaging_operation_name="
                     "publish,") +
              "_count"],
            1);
  EXPECT_EQ(s["messaging_client_consumed_messages_total{" +
              labels("messaging_destination_name=orders.work,messaging_operation_name=deliver,")],
            4);
  EXPECT_EQ(s["messaging_client_consumed_messages_total{" +
              labels("messaging_destination_name=orders.dead,messaging_operation_name=get,")],
            1);
  EXPECT_EQ(s["messaging_unacked_messages{" + labels("messaging_destination_name=orders.work,")],
            1);
  EXPECT_EQ(s["messaging_unacked_messages{" + labels("messaging_destination_name=orders.dead,")],
            1);
  for (const char* outcome : {"ack", "reject", "nack"}) {
    EXPECT_EQ(
        s["messaging_process_duration_seconds{" +
          labels("messaging_destination_name=orders.work,outcome=" + std::string(outcome) + ",") +
          "_count"],
        1)
        << outcome;
  }
  EXPECT_EQ(s["messaging_dead_lettered_messages_total{" +
              labels("messaging_destination_name=orders.work,reason=rejected,")],
            1);
  EXPECT_EQ(s["messaging_dead_lettered_messages_total{" +
              labels("messaging_destination_name=orders.work,reason=nacked,")],
            1);
  EXPECT_EQ(s["messaging_dead_lettered_messages_total{" +
              labels("messaging_destination_name=orders.dead,reason=x_death_delivered,")],
            1);
  EXPECT_EQ(s["messaging_dead_lettered_messages_total{" +
              labels("messaging_destination_name=orders.dead,reason=rejected,")],
            0);

  // The connection goes away: what was in flight returns to the queues.
  conversation->on_close(400);
  s = samples();
  EXPECT_EQ(s["messaging_unacked_messages{" + labels("messaging_destination_name=orders.work,")],
            0);
  EXPECT_EQ(s["messaging_unacked_messages{" + labels("messaging_destination_name=orders.dead,")],
            0);
}

TEST_F(AmqpMetricsTest, DestinationsPerServiceAreLimited) {
  auto conversation = open(Role::kClient);
  Script script = handshake();
  for (size_t i = 0; i < kMaxDestinationsPerService + 3; i++) {
    script.push_back(c2b(publish(1, "x" + std::to_string(i), "k"), 10));
  }
  play_all(*conversation, script);
  EXPECT_EQ(
      samples()["messaging_client_sent_messages_total{" +
                labels("messaging_destination_name=_OTHER,messaging_operation_name=publish,")],
      3);
}

// An expired service: forget_service, then the registry erases its series. The cached
// pointers must be gone too: the next message creates a new series from zero.
TEST(AmqpMetricsExpiry, AForgottenServiceStartsNewSeries) {
  metrics::Registry registry;
  SelfMetrics self;
  AmqpMetrics metrics(registry, self);
  ServiceInfo job;
  job.name = "job";
  job.instance_id = "host-1";
  metrics.published(job, "orders");
  metrics.published(job, "orders");
  metrics.forget_service(identity_of(job));
  EXPECT_GT(registry.remove_series(service_labels(identity_of(job))), 0u);
  EXPECT_EQ(registry.series_count(), 0u);
  metrics.published(job, "orders");
  double sent = 0;
  for (const auto& family : registry.Collect()) {
    for (const auto& metric : family.metric) sent += metric.counter.value;
  }
  EXPECT_EQ(sent, 1);
}

}  // namespace
}  // namespace redeye::amqp::testing
