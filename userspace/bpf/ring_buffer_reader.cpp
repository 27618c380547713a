#include "bpf/ring_buffer_reader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace redeye {

RingBufferReader::RingBufferReader(int map_fd, Handler handler) : handler_(std::move(handler)) {
  rb_ = ring_buffer__new(map_fd, &RingBufferReader::on_record, this, nullptr);
  if (!rb_) throw std::runtime_error(std::string("ring buffer: ") + std::strerror(errno));
}

RingBufferReader::~RingBufferReader() { ring_buffer__free(rb_); }

int RingBufferReader::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingBufferReader*>(ctx);
  self->handler_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return 0;
}

int RingBufferReader::poll_and_drain(int timeout_ms) {
  int polled = ring_buffer__poll(rb_, timeout_ms);
  if (polled < 0 && polled != -EINTR) return polled;
  int consumed = ring_buffer__consume(rb_);
  if (consumed < 0) return consumed;
  return (polled > 0 ? polled : 0) + consumed;
}

}  // namespace redeye
