// Drains the kernel ring buffer into a callback on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

struct ring_buffer;

namespace redeye {

class RingBufferReader {
 public:
  using Handler = std::function<void(std::span<const uint8_t>)>;
  RingBufferReader(int map_fd, Handler handler);
  ~RingBufferReader();
  RingBufferReader(const RingBufferReader&) = delete;
  RingBufferReader& operator=(const RingBufferReader&) = delete;

  // Waits up to `timeout_ms` for a wakeup, then consumes everything queued. The kernel only
  // wakes us in batches (see wakeup_flag in bpf/connections.h), so a timeout is not an error:
  // the queue is drained either way. Returns records consumed or a negative errno.
  int poll_and_drain(int timeout_ms);

 private:
  static int on_record(void* ctx, void* data, size_t size);
  ring_buffer* rb_ = nullptr;
  Handler handler_;
};

}  // namespace redeye
