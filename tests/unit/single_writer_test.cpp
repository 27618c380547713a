#include "metrics/single_writer.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <cmath>
#include <thread>

namespace redeye::metrics {
namespace {

prometheus::ClientMetric collected(const Histogram& h) {
  prometheus::ClientMetric out;
  h.collect(out);
  return out;
}

TEST(SingleWriterMetricsTest, HistogramBucketsAreInclusiveAndCumulative) {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 7.0, 11.0, 1e9}) h.Observe(v);
  const auto m = collected(h);
  ASSERT_EQ(m.histogram.bucket.size(), 4U);
  EXPECT_EQ(m.histogram.bucket[0].cumulative_count, 2U);  // 0.05, 0.1 (le is inclusive)
  EXPECT_EQ(m.histogram.bucket[1].cumulative_count, 4U);  // + 0.5, 1.0
  EXPECT_EQ(m.histogram.bucket[2].cumulative_count, 5U);  // + 7
  EXPECT_EQ(m.histogram.bucket[3].cumulative_count, 7U);  // + 11, 1e9
  EXPECT_TRUE(std::isinf(m.histogram.bucket[3].upper_bound));
  EXPECT_EQ(m.histogram.sample_count, 7U);
  EXPECT_DOUBLE_EQ(m.histogram.sample_sum, 0.05 + 0.1 + 0.5 + 1.0 + 7.0 + 11.0 + 1e9);
}

TEST(SingleWriterMetricsTest, CountersOnlyGoUpAndGaugesBothWays) {
  Counter c;
  c.Increment();
  c.Increment(2.5);
  c.Increment(-4);
  EXPECT_DOUBLE_EQ(c.Value(), 3.5);
  Gauge g;
  g.Increment();
  g.Increment(3);
  g.Decrement(2);
  EXPECT_DOUBLE_EQ(g.Value(), 2);
  g.Set(-1);
  EXPECT_DOUBLE_EQ(g.Value(), -1);
}

TEST(SingleWriterMetricsTest, SameLabelsSameSeriesAndEmptyFamiliesAreNotExposed) {
  Registry registry;
  auto& requests = registry.counter_family("requests_total", "Requests.");
  registry.gauge_family("unused", "Never given a series.");
  auto& durations = registry.histogram_family("duration_seconds", "Durations.");
  Counter& a = requests.Add({{"route", "/a"}});
  EXPECT_EQ(&a, &requests.Add({{"route", "/a"}}));
  a.Increment(2);
  requests.Add({{"route", "/b"}}).Increment();
  durations.Add({{"route", "/a"}}, Histogram::BucketBoundaries{0.5}).Observe(0.25);

  const auto families = registry.Collect();
  ASSERT_EQ(families.size(), 2U);
  const std::string text = prometheus::TextSerializer().Serialize(families);
  EXPECT_NE(text.find("# TYPE requests_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("requests_total{route=\"/a\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("requests_total{route=\"/b\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("duration_seconds_bucket{route=\"/a\",le=\"0.5\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("duration_seconds_count{route=\"/a\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("unused"), std::string::npos) << text;
}

// A scrape while the event thread writes: every snapshot is a valid histogram (count equals
// the +Inf bucket, buckets never decrease), and the final one has every observation.
TEST(SingleWriterMetricsTest, ScrapesDuringWritesSeeConsistentHistograms) {
  Registry registry;
  Histogram& h = registry.histogram_family("d", "d").Add({}, Histogram::BucketBoundaries{1, 2});
  constexpr int kObservations = 200000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kObservations; ++i) h.Observe(i % 3);
    done = true;
  });
  uint64_t last = 0;
  int scrapes = 0;
  while (!done || scrapes == 0) {
    const auto m = collected(h);
    const auto& b = m.histogram.bucket;
    ASSERT_EQ(m.histogram.sample_count, b.back().cumulative_count);
    ASSERT_LE(b[0].cumulative_count, b[1].cumulative_count);
    ASSERT_GE(m.histogram.sample_count, last);
    last = m.histogram.sample_count;
    ++scrapes;
  }
  writer.join();
  const auto m = collected(h);
  EXPECT_EQ(m.histogram.sample_count, static_cast<uint64_t>(kObservations));
  EXPECT_EQ(m.histogram.bucket[0].cumulative_count, 133334U);  // 0 and 1
}

TEST(SingleWriterMetricsTest, RemoveSeriesErasesEveryFamilysMatchingSeries) {
  Registry registry;
  auto& requests = registry.counter_family("requests_total", "Requests.");
  auto& latency = registry.histogram_family("latency_seconds", "Latency.");
  requests.Add({{"service_name", "job"}, {"service_instance_id", "h"}, {"code", "200"}})
      .Increment();
  requests.Add({{"service_name", "job"}, {"service_instance_id", "h"}, {"code", "500"}})
      .Increment();
  requests.Add({{"service_name", "job"}, {"service_instance_id", "other"}}).Increment();
  requests.Add({{"service_name", "shop"}, {"service_instance_id", "h"}}).Increment();
  latency
      .Add({{"service_name", "job"}, {"service_instance_id", "h"}}, Histogram::BucketBoundaries{1})
      .Observe(0.5);
  EXPECT_EQ(registry.series_count(), 5u);

  EXPECT_EQ(registry.remove_series({{"service_name", "job"}, {"service_instance_id", "h"}}), 3u);
  EXPECT_EQ(registry.series_count(), 2u);
  const auto families = registry.Collect();
  ASSERT_EQ(families.size(), 1u);  // latency_seconds has no series left
  EXPECT_EQ(families[0].metric.size(), 2u);
  // A series created again after removal starts from zero.
  auto& again =
      requests.Add({{"service_name", "job"}, {"service_instance_id", "h"}, {"code", "200"}});
  EXPECT_DOUBLE_EQ(again.Value(), 0);
}

TEST(SingleWriterMetricsTest, CollectCountsScrapes) {
  Registry registry;
  EXPECT_EQ(registry.scrapes(), 0u);
  registry.Collect();
  registry.Collect();
  EXPECT_EQ(registry.scrapes(), 2u);
}

}  // namespace
}  // namespace redeye::metrics
