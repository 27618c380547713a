// The sink a Conversation reports to: borrowed (tests, fuzz targets, benches hold their own
// recording sink) or owned (a protocol handler gives each connection a sink that carries the
// connection's identity into the metrics). Either way the conversation sees one `Sink&`.
#pragma once

#include <memory>
#include <utility>

namespace redeye::protocols {

template <typename Sink>
class SinkRef {
 public:
  explicit SinkRef(Sink& borrowed) : sink_(&borrowed) {}
  explicit SinkRef(std::unique_ptr<Sink> owned) : owned_(std::move(owned)), sink_(owned_.get()) {}
  SinkRef(SinkRef&&) noexcept = default;  // the moved-from reference is not used again
  SinkRef(const SinkRef&) = delete;
  SinkRef& operator=(const SinkRef&) = delete;

  Sink& operator*() const { return *sink_; }
  Sink* operator->() const { return sink_; }
  Sink* get() const { return sink_; }

 private:
  std::unique_ptr<Sink> owned_;
  Sink* sink_;
};

}  // namespace redeye::protocols
