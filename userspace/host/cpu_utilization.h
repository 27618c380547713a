// OpenTelemetry process.cpu.utilization from cumulative CPU time samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace redeye::host {

class CpuUtilization {
 public:
  // Utilisation of `key` (a pid, a service id...) since its previous sample:
  //   delta cpu seconds / (delta wall seconds * available_cores), clamped to [0, 1].
  // Returns 0 for the first sample of a key, when cpu_seconds_total went down (a new incarnation:
  // the sample becomes the new baseline), and when no wall time elapsed or available_cores <= 0.
  // Pass min(online_cpus(), the cgroup's cpu_limit_cores) as available_cores for a container.
  double update(uint64_t key, double cpu_seconds_total, double now_seconds, double available_cores);

  // Drops the state of a key that will not be sampled again.
  void forget(uint64_t key) { last_.erase(key); }
  std::size_t size() const { return last_.size(); }

 private:
  struct Sample {
    double cpu_seconds;
    double now_seconds;
  };
  std::unordered_map<uint64_t, Sample> last_;
};

// CPUs currently online (sysconf(_SC_NPROCESSORS_ONLN)); at least 1.
double online_cpus();

}  // namespace redeye::host
