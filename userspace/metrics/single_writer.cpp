#include "metrics/single_writer.h"

#include <algorithm>
#include <limits>

namespace redeye::metrics {

Histogram::Histogram(BucketBoundaries bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // The first bucket whose upper bound is >= value (Prometheus buckets are inclusive).
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::atomic<uint64_t>& count = counts_[bucket];
  count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  detail::add_relaxed(sum_, value);
}

void Histogram::collect(prometheus::ClientMetric& out) const {
  auto& histogram = out.histogram;
  histogram.bucket.reserve(bounds_.size() + 1);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket& bucket = histogram.bucket.emplace_back();
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity();
  }
  histogram.sample_count = cumulative;
  histogram.sample_sum = sum_.load(std::memory_order_relaxed);
}

std::vector<FamilyBase*> Registry::families() const {
  std::lock_guard lock(mutex_);
  std::vector<FamilyBase*> out;
  out.reserve(families_.size());
  for (const auto& family : families_) out.push_back(family.get());
  return out;
}

std::vector<prometheus::MetricFamily> Registry::Collect() const {
  scrapes_.fetch_add(1, std::memory_order_acq_rel);
  std::vector<prometheus::MetricFamily> out;
  for (const FamilyBase* family : families()) {
    prometheus::MetricFamily collected = family->collect();
    if (!collected.metric.empty()) out.push_back(std::move(collected));
  }
  return out;
}

std::size_t Registry::remove_series(const Labels& subset) {
  std::size_t removed = 0;
  for (FamilyBase* family : families()) removed += family->remove_matching(subset);
  return removed;
}

std::vector<std::string> Registry::family_names() const {
  std::vector<std::string> names;
  for (const FamilyBase* family : families()) names.push_back(family->name());
  return names;
}

std::size_t Registry::series_count() const {
  std::size_t count = 0;
  for (const FamilyBase* family : families()) count += family->size();
  return count;
}

}  // namespace redeye::metrics
