#include "protocols/amqp/amqp_protocol.h"

#include <array>

#include "discovery/service_info.h"
#include "metrics/self_metrics.h"
#include "protocols/amqp/amqp_conversation.h"
#include "protocols/amqp/amqp_metrics.h"
#include "redeye/abi.h"

namespace redeye::amqp {
namespace {

constexpr const char* kProtocolLabel = "amqp";

// Routes one connection's events to the metrics, with the connection's service.
class MetricsSink : public AmqpEventSink {
 public:
  MetricsSink(const ServiceInfo& service, AmqpMetrics& metrics, SelfMetrics& self)
      : service_(service), metrics_(metrics), self_(self) {}

  void on_published(std::string_view exchange) override { metrics_.published(service_, exchange); }
  void on_confirmed(std::string_view exchange, bool nacked, uint64_t nanos) override {
    metrics_.confirmed(service_, exchange, nacked, nanos);
  }
  void on_consumed(std::string_view queue, DeliveryKind kind, bool in_flight) override {
    metrics_.consumed(service_, queue, kind);
    if (in_flight) metrics_.in_flight(service_, queue, 1);
  }
  void on_settled(std::string_view queue, Outcome outcome, bool requeue, uint64_t nanos) override {
    metrics_.in_flight(service_, queue, -1);
    metrics_.settled(service_, queue, outcome, nanos);
    if (!requeue && outcome != Outcome::kAck) {
      metrics_.dead_lettered(
          service_, queue,
          outcome == Outcome::kReject ? DeadLetterReason::kRejected : DeadLetterReason::kNacked);
    }
  }
  void on_returned(std::string_view queue, uint64_t count) override {
    metrics_.in_flight(service_, queue, -static_cast<double>(count));
  }
  void on_dead_letter_delivered(std::string_view queue) override {
    metrics_.dead_lettered(service_, queue, DeadLetterReason::kXDeathDelivered);
  }
  void on_anomaly(Anomaly anomaly, uint64_t count) override {
    self_.parse_error(kProtocolLabel, anomaly_name(anomaly), count);
  }

 private:
  const ServiceInfo& service_;
  AmqpMetrics& metrics_;
  SelfMetrics& self_;
};

class AmqpHandler : public protocols::ProtocolHandler {
 public:
  explicit AmqpHandler(const protocols::ProtocolContext& context)
      : self_(context.self), metrics_(context.registry, context.self) {}
  std::unique_ptr<protocols::Conversation> open(const protocols::ConnectionInfo& conn) override {
    if (conn.role != protocols::Role::kClient) return nullptr;
    return std::make_unique<AmqpConversation>(
        conn.role, std::make_unique<MetricsSink>(conn.service, metrics_, self_));
  }
  void forget_service(const ServiceIdentity& service) override { metrics_.forget_service(service); }

 private:
  SelfMetrics& self_;
  AmqpMetrics metrics_;
};

// The conversation's anomalies, then the metrics' own (AmqpMetrics: a service's destination
// names past the limit).
constexpr auto kAnomalies = [] {
  std::array<std::string_view, kAnomalyNames.size() + 1> all{};
  for (size_t i = 0; i < kAnomalyNames.size(); ++i) all[i] = kAnomalyNames[i];
  all.back() = kDestinationOverflow;
  return all;
}();
constexpr std::string_view kFamilies[] = {"messaging_client_sent_messages_total",
                                          "messaging_client_consumed_messages_total",
                                          "messaging_client_operation_duration_seconds",
                                          "messaging_process_duration_seconds",
                                          "messaging_unacked_messages",
                                          "messaging_dead_lettered_messages_total"};

}  // namespace

std::unique_ptr<protocols::ProtocolHandler> make_amqp_handler(
    const protocols::ProtocolContext& context) {
  return std::make_unique<AmqpHandler>(context);
}

const protocols::ProtocolDescriptor& descriptor() {
  static constexpr protocols::ProtocolDescriptor kDescriptor{
      kProtocolLabel, REDEYE_PROTO_AMQP, kAnomalies, {}, kFamilies, &make_amqp_handler};
  return kDescriptor;
}

}  // namespace redeye::amqp
