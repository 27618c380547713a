// The `run` command: load and attach the probes, serve /metrics, pump events until stopped.
#pragma once

#include <atomic>

#include "config/config.h"

namespace redeye {

// Returns the process exit code. Stops when `stop` becomes true (set from a signal handler).
int run_agent(const Config& config, const std::atomic<bool>& stop);

// The `check` command: prints what the agent would use and whether it can run. Exit code.
int run_check(const Config& config);

}  // namespace redeye
