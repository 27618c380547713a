// The `run` command: load and attach the probes, serve /metrics, pump events until stopped.
#pragma once

#include <atomic>
#include <string>

#include "config/config.h"

namespace redeye {

struct RunOptions {
  // Keep running and report the error on /healthz instead of exiting (orchestrators).
  bool stay_up_on_error = false;
  // A configuration error found before start; the agent only reports it.
  std::string config_error;
};

// Returns the process exit code. Stops when `stop` becomes true (set from a signal handler).
int run_agent(const Config& config, const RunOptions& options, const std::atomic<bool>& stop);

// The `check` command: prints what the agent would use and whether it can run. Exit code.
int run_check(const Config& config);

}  // namespace redeye
