// Counters, gauges and histograms for metrics written by one thread (the agent's event loop)
// and read by scrapes on other threads. prometheus-cpp's metrics are safe for many writers,
// which costs a compare-and-swap loop per counter or gauge change and a mutex plus two
// compare-and-swap loops per histogram observation; with one HTTP request observed three
// times and its active gauge moved twice, that was a fifth of the agent's CPU under load.
// Here a writer does plain loads and stores (relaxed atomics: no lock prefix on x86-64 or
// arm64), and a scrape reads each value whole. Contract: one writing thread per series;
// a second writer would lose updates (never corrupt memory).
//
// Families and series are created under a mutex (rare), and a series' address stays valid
// as long as its Registry, unless Registry::remove_series erases it: only the writing thread
// may call that, once it holds no pointer to the series (scrapes are safe: they take the
// family's mutex).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace redeye::metrics {

using Labels = std::map<std::string, std::string>;

namespace detail {
inline void add_relaxed(std::atomic<double>& cell, double by) {
  cell.store(cell.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}
}  // namespace detail

class Counter {
 public:
  static constexpr prometheus::MetricType kType = prometheus::MetricType::Counter;
  // Negative amounts are ignored (a counter only goes up).
  void Increment(double by = 1.0) {
    if (by > 0) detail::add_relaxed(value_, by);
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }
  void collect(prometheus::ClientMetric& out) const { out.counter.value = Value(); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  static constexpr prometheus::MetricType kType = prometheus::MetricType::Gauge;
  void Increment(double by = 1.0) { detail::add_relaxed(value_, by); }
  void Decrement(double by = 1.0) { detail::add_relaxed(value_, -by); }
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }
  void collect(prometheus::ClientMetric& out) const { out.gauge.value = Value(); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  static constexpr prometheus::MetricType kType = prometheus::MetricType::Histogram;
  using BucketBoundaries = std::vector<double>;
  // `bounds`: ascending upper bounds; the +Inf bucket is implicit.
  explicit Histogram(BucketBoundaries bounds);
  void Observe(double value);
  // Count and sum are read after the buckets, so a scrape during writes may see a sum a few
  // observations ahead of the count, never a count that disagrees with the +Inf bucket.
  void collect(prometheus::ClientMetric& out) const;

 private:
  BucketBoundaries bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative); +Inf last
  std::atomic<double> sum_{0};
};

class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  virtual prometheus::MetricFamily collect() const = 0;
  // Erases the series whose labels include every pair of `subset`; returns how many.
  virtual std::size_t remove_matching(const Labels& subset) = 0;
  virtual std::size_t size() const = 0;
  virtual const std::string& name() const = 0;
};

template <typename Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}

  // The series with these labels, created on first use (`args` construct it, e.g. the
  // histogram's bucket boundaries; later calls with the same labels return the first one).
  template <typename... Args>
  Metric& Add(const Labels& labels, Args&&... args) {
    std::lock_guard lock(mutex_);
    auto& slot = series_[labels];
    if (!slot) {
      slot = std::make_unique<Metric>(std::forward<Args>(args)...);
      size_.store(series_.size(), std::memory_order_relaxed);
    }
    return *slot;
  }

  std::size_t remove_matching(const Labels& subset) override {
    std::lock_guard lock(mutex_);
    const std::size_t removed = std::erase_if(series_, [&subset](const auto& entry) {
      for (const auto& [key, value] : subset) {
        auto it = entry.first.find(key);
        if (it == entry.first.end() || it->second != value) return false;
      }
      return true;
    });
    size_.store(series_.size(), std::memory_order_relaxed);
    return removed;
  }

  // Without the mutex: a scrape holding it does not stall the writer asking.
  std::size_t size() const override { return size_.load(std::memory_order_relaxed); }
  const std::string& name() const override { return name_; }

  prometheus::MetricFamily collect() const override {
    prometheus::MetricFamily family;
    family.name = name_;
    family.help = help_;
    family.type = Metric::kType;
    std::lock_guard lock(mutex_);
    family.metric.reserve(series_.size());
    for (const auto& [labels, metric] : series_) {
      prometheus::ClientMetric& out = family.metric.emplace_back();
      for (const auto& [key, value] : labels) out.label.push_back({key, value});
      metric->collect(out);
    }
    return family;
  }

 private:
  const std::string name_;
  const std::string help_;
  mutable std::mutex mutex_;
  std::map<Labels, std::unique_ptr<Metric>> series_;
  std::atomic<std::size_t> size_{0};
};

// Owns families and serves them: added to the metrics server as one collectable.
class Registry final : public prometheus::Collectable {
 public:
  Family<Counter>& counter_family(std::string name, std::string help) {
    return add_family<Counter>(std::move(name), std::move(help));
  }
  Family<Gauge>& gauge_family(std::string name, std::string help) {
    return add_family<Gauge>(std::move(name), std::move(help));
  }
  Family<Histogram>& histogram_family(std::string name, std::string help) {
    return add_family<Histogram>(std::move(name), std::move(help));
  }

  // Families with at least one series, in creation order. Counts a scrape.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Erases, in every family, the series whose labels include every pair of `subset`; returns
  // how many. The single-writer contract: call it from the writing thread, after dropping
  // every pointer to those series.
  std::size_t remove_series(const Labels& subset);
  // Series held, over all families.
  std::size_t series_count() const;
  // Every family's name, in creation order, with or without series.
  std::vector<std::string> family_names() const;
  // Collect() calls so far (each scrape of /metrics makes one). Counted before the families
  // are read: a scrape counted after a series' last update has seen it.
  uint64_t scrapes() const { return scrapes_.load(std::memory_order_acquire); }

 private:
  template <typename Metric>
  Family<Metric>& add_family(std::string name, std::string help) {
    auto family = std::make_unique<Family<Metric>>(std::move(name), std::move(help));
    Family<Metric>& ref = *family;
    std::lock_guard lock(mutex_);
    families_.push_back(std::move(family));
    return ref;
  }

  // The families, in creation order. They live as long as the registry, so a caller may use
  // them after the mutex is released (a scrape does not hold it while it renders).
  std::vector<FamilyBase*> families() const;

  mutable std::mutex mutex_;  // guards families_
  std::vector<std::unique_ptr<FamilyBase>> families_;
  mutable std::atomic<uint64_t> scrapes_{0};
};

}  // namespace redeye::metrics
