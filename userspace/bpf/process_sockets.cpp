#include "bpf/process_sockets.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bpf/kernel_probes.h"
#include "process_sockets_iter.skel.h"
#include "redeye/abi.h"

namespace redeye {

ProcessSocketReader::ProcessSocketReader() {
  skel_ = process_sockets_iter__open_and_load();
  if (!skel_) {
    throw ProbeError(std::string("cannot load the socket iterator (needs BPF iterators, "
                                 "Linux 5.11 or later): ") +
                     std::strerror(errno));
  }
  if (!of_process(static_cast<uint32_t>(getpid()))) {
    const int err = errno;
    process_sockets_iter__destroy(skel_);
    throw ProbeError(std::string("cannot run the socket iterator for one process (needs "
                                 "Linux 6.1 or later): ") +
                     std::strerror(err));
  }
}

ProcessSocketReader::~ProcessSocketReader() { process_sockets_iter__destroy(skel_); }

std::optional<std::vector<host::HeldSocket>> ProcessSocketReader::of_process(uint32_t pid) const {
  union bpf_iter_link_info info = {};
  info.task.pid = pid;
  LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
  bpf_link* link = bpf_program__attach_iter(skel_->progs.held_sockets, &opts);
  if (!link) return std::nullopt;
  std::optional<std::vector<host::HeldSocket>> result;
  const int fd = bpf_iter_create(bpf_link__fd(link));
  int err = errno;
  if (fd >= 0) {
    std::vector<uint8_t> bytes;
    uint8_t chunk[4096];
    ssize_t n = 0;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
    err = errno;
    if (n == 0) result = decode_held_sockets(bytes);
    close(fd);
  }
  bpf_link__destroy(link);
  errno = err;
  return result;
}

std::unique_ptr<ProcessSocketReader> open_socket_reader(ConnectionCountsSetting setting,
                                                        std::string& why_proc) {
  if (setting == ConnectionCountsSetting::kProc) {
    why_proc = "discovery.connection_counts: proc";
    return nullptr;
  }
  try {
    return std::make_unique<ProcessSocketReader>();
  } catch (const ProbeError& e) {
    if (setting == ConnectionCountsSetting::kIterator) {
      throw ProbeError(std::string("discovery.connection_counts: iterator cannot be used: ") +
                       e.what() + " (fix: connection_counts: auto or proc)");
    }
    why_proc = e.what();
    return nullptr;
  }
}

std::vector<host::HeldSocket> decode_held_sockets(std::span<const uint8_t> bytes) {
  std::vector<host::HeldSocket> sockets;
  sockets.reserve(bytes.size() / sizeof(redeye_held_socket));
  for (size_t at = 0; bytes.size() - at >= sizeof(redeye_held_socket);
       at += sizeof(redeye_held_socket)) {
    redeye_held_socket record;
    std::memcpy(&record, bytes.data() + at, sizeof record);
    sockets.push_back({record.sock, record.local_port, record.state == host::kTcpListen});
  }
  return sockets;
}

}  // namespace redeye
