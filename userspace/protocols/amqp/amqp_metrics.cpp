#include "protocols/amqp/amqp_metrics.h"

#include "metrics/buckets.h"
#include "metrics/service_labels.h"

namespace redeye::amqp {
namespace {

// Seconds; OpenTelemetry recommends the same boundaries for messaging as for HTTP.
using metrics::kDurationBuckets;

constexpr std::string_view kDefaultExchange = "amq.default";

prometheus::Labels labels_for(const ServiceInfo& service,
                              std::initializer_list<std::pair<const char*, std::string>> extra) {
  prometheus::Labels labels = service_labels(service);
  labels.emplace("messaging_system", "rabbitmq");
  for (const auto& [name, value] : extra) labels.emplace(name, value);
  return labels;
}

// The service's series key, prefixed by the family (one cache serves several families).
std::string series_key(const void* family, const ServiceInfo& service,
                       std::initializer_list<std::pair<const char*, std::string>> extra) {
  std::string key = redeye::series_key(
      service, {std::string_view(reinterpret_cast<const char*>(&family), sizeof(family))});
  for (const auto& [name, value] : extra) {
    key.push_back('\0');
    key += value;
  }
  return key;
}

std::string_view exchange_label(std::string_view exchange) {
  return exchange.empty() ? kDefaultExchange : exchange;
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAck:
      return "ack";
    case Outcome::kNack:
      return "nack";
    case Outcome::kReject:
      return "reject";
  }
  return "ack";
}

const char* reason_name(DeadLetterReason reason) {
  switch (reason) {
    case DeadLetterReason::kRejected:
      return "rejected";
    case DeadLetterReason::kNacked:
      return "nacked";
    case DeadLetterReason::kXDeathDelivered:
      return "x_death_delivered";
  }
  return "rejected";
}

}  // namespace

AmqpMetrics::AmqpMetrics(metrics::Registry& registry, SelfMetrics& self)
    : self_(self),
      sent_(registry.counter_family(
          "messaging_client_sent_messages_total",
          "Messages the service published (Basic.Publish), by exchange; the default "
          "exchange is amq.default.")),
      consumed_(registry.counter_family(
          "messaging_client_consumed_messages_total",
          "Messages delivered to the service, by queue: pushed to a consumer "
          "(deliver) or fetched (get).")),
      operation_duration_(
          registry.histogram_family("messaging_client_operation_duration_seconds",
                                    "Publish duration in confirm mode: from the write of "
                                    "Basic.Publish to the read of the broker's confirm.")),
      process_duration_(
          registry.histogram_family("messaging_process_duration_seconds",
                                    "From the read of a delivery to the write of its ack, nack or "
                                    "reject (manual acknowledgement).")),
      unacked_(
          registry.gauge_family("messaging_unacked_messages",
                                "Messages delivered to the service and not yet acked, nacked or "
                                "rejected (in flight), by queue.")),
      dead_lettered_(registry.counter_family(
          "messaging_dead_lettered_messages_total",
          "Dead letters by queue: deliveries the service rejected or nacked "
          "without requeue, and deliveries carrying an x-death header.")) {}

void AmqpMetrics::forget_service(const ServiceIdentity& service) {
  erase_service_keys(counters_, service);
  erase_service_keys(histograms_, service);
  erase_service_keys(gauges_, service);
  destinations_.erase(identity_key(service));
}

std::string AmqpMetrics::destination(const ServiceInfo& service, std::string_view name) {
  auto& seen = destinations_[identity_key(service)];
  std::string value(name);
  if (seen.contains(value)) return value;
  if (seen.size() >= kMaxDestinationsPerService) {
    self_.parse_error("amqp", std::string(kDestinationOverflow));
    return "_OTHER";
  }
  seen.insert(value);
  return value;
}

metrics::Counter& AmqpMetrics::counter(
    metrics::Family<metrics::Counter>& family, const ServiceInfo& service,
    std::initializer_list<std::pair<const char*, std::string>> extra) {
  std::string key = series_key(&family, service, extra);
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    it = counters_.emplace(std::move(key), &family.Add(labels_for(service, extra))).first;
  }
  return *it->second;
}

metrics::Histogram& AmqpMetrics::histogram(
    metrics::Family<metrics::Histogram>& family, const ServiceInfo& service,
    std::initializer_list<std::pair<const char*, std::string>> extra) {
  std::string key = series_key(&family, service, extra);
  auto it = histograms_.find(key);
  if (it == histograms_.end()) {
    auto& series = family.Add(labels_for(service, extra), kDurationBuckets);
    it = histograms_.emplace(std::move(key), &series).first;
  }
  return *it->second;
}

metrics::Gauge& AmqpMetrics::unacked_gauge(const ServiceInfo& service, const std::string& queue) {
  const std::initializer_list<std::pair<const char*, std::string>> extra = {
      {"messaging_destination_name", queue}};
  std::string key = series_key(&unacked_, service, extra);
  auto it = gauges_.find(key);
  if (it == gauges_.end()) {
    it = gauges_.emplace(std::move(key), &unacked_.Add(labels_for(service, extra))).first;
  }
  return *it->second;
}

void AmqpMetrics::published(const ServiceInfo& service, std::string_view exchange) {
  counter(sent_, service,
          {{"messaging_destination_name", destination(service, exchange_label(exchange))},
           {"messaging_operation_name", "publish"}})
      .Increment();
}

void AmqpMetrics::confirmed(const ServiceInfo& service, std::string_view exchange, bool nacked,
                            uint64_t nanos) {
  histogram(operation_duration_, service,
            {{"messaging_destination_name", destination(service, exchange_label(exchange))},
             {"messaging_operation_name", "publish"},
             {"error_type", nacked ? "nack" : ""}})
      .Observe(static_cast<double>(nanos) / 1e9);
}

void AmqpMetrics::consumed(const ServiceInfo& service, std::string_view queue, DeliveryKind kind) {
  const std::string name = destination(service, queue);
  counter(consumed_, service,
          {{"messaging_destination_name", name},
           {"messaging_operation_name", kind == DeliveryKind::kGet ? "get" : "deliver"}})
      .Increment();
  // A consumed queue shows its in-flight gauge and dead-letter counters from the start, at
  // zero: alerts and rate() can rely on the series.
  unacked_gauge(service, name);
  for (DeadLetterReason reason : {DeadLetterReason::kRejected, DeadLetterReason::kNacked}) {
    counter(dead_lettered_, service,
            {{"messaging_destination_name", name}, {"reason", reason_name(reason)}});
  }
}

void AmqpMetrics::in_flight(const ServiceInfo& service, std::string_view queue, double delta) {
  unacked_gauge(service, destination(service, queue)).Increment(delta);
}

void AmqpMetrics::settled(const ServiceInfo& service, std::string_view queue, Outcome outcome,
                          uint64_t nanos) {
  histogram(process_duration_, service,
            {{"messaging_destination_name", destination(service, queue)},
             {"outcome", outcome_name(outcome)}})
      .Observe(static_cast<double>(nanos) / 1e9);
}

void AmqpMetrics::dead_lettered(const ServiceInfo& service, std::string_view queue,
                                DeadLetterReason reason) {
  counter(dead_lettered_, service,
          {{"messaging_destination_name", destination(service, queue)},
           {"reason", reason_name(reason)}})
      .Increment();
}

}  // namespace redeye::amqp
