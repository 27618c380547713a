// AMQP (RabbitMQ) client metrics under OpenTelemetry messaging semantic-convention names, as
// Prometheus exports them. Every series carries the service labels and
// messaging_system="rabbitmq". Series are created on first use and cached.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "protocols/amqp/amqp_events.h"

namespace redeye::amqp {

// Distinct messaging_destination_name values per service; later ones are "_OTHER".
inline constexpr size_t kMaxDestinationsPerService = 100;

enum class DeadLetterReason { kRejected, kNacked, kXDeathDelivered };

class AmqpMetrics {
 public:
  AmqpMetrics(prometheus::Registry& registry, SelfMetrics& self);

  void published(const ServiceInfo& service, std::string_view exchange);
  void confirmed(const ServiceInfo& service, std::string_view exchange, bool nacked,
                 uint64_t nanos);
  void consumed(const ServiceInfo& service, std::string_view queue, DeliveryKind kind);
  void in_flight(const ServiceInfo& service, std::string_view queue, double delta);
  void settled(const ServiceInfo& service, std::string_view queue, Outcome outcome, uint64_t nanos);
  void dead_lettered(const ServiceInfo& service, std::string_view queue, DeadLetterReason reason);

 private:
  // The label value for a destination of `service`, within the per-service limit.
  std::string destination(const ServiceInfo& service, std::string_view name);
  prometheus::Counter& counter(prometheus::Family<prometheus::Counter>& family,
                               const ServiceInfo& service,
                               std::initializer_list<std::pair<const char*, std::string>> extra);
  prometheus::Histogram& histogram(
      prometheus::Family<prometheus::Histogram>& family, const ServiceInfo& service,
      std::initializer_list<std::pair<const char*, std::string>> extra);
  prometheus::Gauge& unacked_gauge(const ServiceInfo& service, const std::string& queue);

  SelfMetrics& self_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Histogram>& operation_duration_;
  prometheus::Family<prometheus::Histogram>& process_duration_;
  prometheus::Family<prometheus::Gauge>& unacked_;
  prometheus::Family<prometheus::Counter>& dead_lettered_;
  // Series by (family, labels) key; pointers stay valid as long as the registry.
  std::unordered_map<std::string, prometheus::Counter*> counters_;
  std::unordered_map<std::string, prometheus::Histogram*> histograms_;
  std::unordered_map<std::string, prometheus::Gauge*> gauges_;
  std::unordered_map<std::string, std::unordered_set<std::string>> destinations_;  // per service
};

}  // namespace redeye::amqp
