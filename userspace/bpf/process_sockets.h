// The TCP sockets one process holds (ESTABLISHED and LISTEN), read by the BPF iterator in
// bpf/process_sockets.bpf.c: the USE collector's connection counts without walking the
// kernel's whole socket hash through /proc/<pid>/net/tcp{,6} for every network namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "host/tcp_connections.h"

struct process_sockets_iter;  // generated skeleton

namespace redeye {

class ProcessSocketReader {
 public:
  // Loads the iterator and reads the agent's own sockets once, so a kernel that cannot (no
  // BPF iterators, or no per-process iterator: before Linux 6.1) fails here. Throws
  // ProbeError with the reason.
  ProcessSocketReader();
  ~ProcessSocketReader();
  ProcessSocketReader(const ProcessSocketReader&) = delete;
  ProcessSocketReader& operator=(const ProcessSocketReader&) = delete;

  // One entry per fd of process `pid` that is an ESTABLISHED or LISTEN TCP socket (a socket
  // behind several fds appears once per fd); none for a process that is gone. nullopt when
  // the iterator failed.
  std::optional<std::vector<host::HeldSocket>> of_process(uint32_t pid) const;

 private:
  process_sockets_iter* skel_ = nullptr;
};

// The reader for config value discovery.connection_counts (`setting`: auto, iterator, proc),
// or null when connections are counted from /proc; then `why_proc` says why. Throws
// ProbeError, naming the key and the fix, when iterator cannot be had.
std::unique_ptr<ProcessSocketReader> open_socket_reader(ConnectionCountsSetting setting,
                                                        std::string& why_proc);

// Decodes the iterator's output (struct redeye_held_socket records): whole records only; a
// trailing partial record, which the kernel never writes, is ignored.
std::vector<host::HeldSocket> decode_held_sockets(std::span<const uint8_t> bytes);

}  // namespace redeye
