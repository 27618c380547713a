// AMQP (RabbitMQ) client metrics under OpenTelemetry messaging semantic-convention names, as
// Prometheus exports them. Every series carries the service labels and
// messaging_system="rabbitmq". Series are created on first use and cached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "discovery/service_info.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/amqp/amqp_events.h"

namespace redeye::amqp {

// redeye_parse_errors_total{protocol="amqp"} kind of a destination name past the per-service
// limit, reported as "_OTHER".
inline constexpr std::string_view kDestinationOverflow = "destination_overflow";

// Distinct messaging_destination_name values per service; later ones are "_OTHER".
inline constexpr size_t kMaxDestinationsPerService = 100;

enum class DeadLetterReason { kRejected, kNacked, kXDeathDelivered };

class AmqpMetrics {
 public:
  AmqpMetrics(metrics::Registry& registry, SelfMetrics& self);

  void published(const ServiceInfo& service, std::string_view exchange);
  void confirmed(const ServiceInfo& service, std::string_view exchange, bool nacked,
                 uint64_t nanos);
  void consumed(const ServiceInfo& service, std::string_view queue, DeliveryKind kind);
  void in_flight(const ServiceInfo& service, std::string_view queue, double delta);
  void settled(const ServiceInfo& service, std::string_view queue, Outcome outcome, uint64_t nanos);
  void dead_lettered(const ServiceInfo& service, std::string_view queue, DeadLetterReason reason);
  // Drops the cached series pointers and destination budget of `service`.
  void forget_service(const ServiceIdentity& service);

 private:
  // The label value for a destination of `service`, within the per-service limit.
  std::string destination(const ServiceInfo& service, std::string_view name);
  metrics::Counter& counter(metrics::Family<metrics::Counter>& family, const ServiceInfo& service,
                            std::initializer_list<std::pair<const char*, std::string>> extra);
  metrics::Histogram& histogram(metrics::Family<metrics::Histogram>& family,
                                const ServiceInfo& service,
                                std::initializer_list<std::pair<const char*, std::string>> extra);
  metrics::Gauge& unacked_gauge(const ServiceInfo& service, const std::string& queue);

  SelfMetrics& self_;
  metrics::Family<metrics::Counter>& sent_;
  metrics::Family<metrics::Counter>& consumed_;
  metrics::Family<metrics::Histogram>& operation_duration_;
  metrics::Family<metrics::Histogram>& process_duration_;
  metrics::Family<metrics::Gauge>& unacked_;
  metrics::Family<metrics::Counter>& dead_lettered_;
  // Series by (family, labels) key; pointers stay valid as long as the registry.
  std::unordered_map<std::string, metrics::Counter*> counters_;
  std::unordered_map<std::string, metrics::Histogram*> histograms_;
  std::unordered_map<std::string, metrics::Gauge*> gauges_;
  std::unordered_map<std::string, std::unordered_set<std::string>> destinations_;  // per service
};

}  // namespace redeye::amqp
