#include "host/cpu_utilization.h"

#include <unistd.h>

#include <algorithm>

namespace redeye::host {

double CpuUtilization::update(uint64_t key, double cpu_seconds_total, double now_seconds,
                              double available_cores) {
  auto [it, inserted] = last_.try_emplace(key, Sample{cpu_seconds_total, now_seconds});
  if (inserted) return 0;
  Sample& prev = it->second;
  if (cpu_seconds_total < prev.cpu_seconds) {  // counter reset: start over from this sample
    prev = Sample{cpu_seconds_total, now_seconds};
    return 0;
  }
  const double wall = now_seconds - prev.now_seconds;
  // Clock not advanced: keep the older baseline so the next sample spans a real interval.
  if (!(wall > 0)) return 0;
  const double cpu = cpu_seconds_total - prev.cpu_seconds;
  prev = Sample{cpu_seconds_total, now_seconds};
  if (!(available_cores > 0)) return 0;
  return std::clamp(cpu / (wall * available_cores), 0.0, 1.0);
}

double online_cpus() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<double>(n) : 1.0;
}

}  // namespace redeye::host
