// What a call needs from one header block: the request's :method, :path and content-type, the
// response's :status, content-type and grpc-status. Each is known, absent, or unresolved: on a
// late-joined connection a field may be a reference the decoder cannot resolve, and then any
// field the block does not show may be that one.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/http2/hpack_field.h"

namespace redeye::http2 {

enum class Fact : uint8_t { kAbsent, kKnown, kUnresolved };

class HeaderFacts : public FieldSink {
 public:
  // Longest :path kept (a longer one is no method name anyway).
  static constexpr size_t kMaxPath = 256;

  void on_field(const HeaderField& field) override;
  // Nothing of the block can be trusted (it was lost or did not decode).
  void mark_lost();
  void clear() { *this = HeaderFacts(); }

  Fact method() const { return fact(method_); }
  Fact path() const { return fact(path_); }
  Fact status() const { return fact(status_); }
  Fact content_type() const { return fact(content_type_); }
  Fact grpc_status() const { return fact(grpc_status_); }

  bool method_is_post() const { return method_post_; }
  const std::string& path_value() const { return path_value_; }  // "" when too long
  int status_value() const { return status_value_; }             // 0 when not 3 digits
  bool grpc_content_type() const { return grpc_content_type_; }
  int grpc_status_value() const { return grpc_status_value_; }  // -1 when not a number
  // A gRPC content type or a grpc-* field name was seen.
  bool grpc_evidence() const { return grpc_evidence_; }
  // Every field's name was resolved (absent means absent).
  bool complete() const { return unresolved_names_ == 0 && !lost_; }

 private:
  Fact fact(Fact seen) const {
    return seen == Fact::kAbsent && !complete() ? Fact::kUnresolved : seen;
  }
  static Fact seen(bool value_known) { return value_known ? Fact::kKnown : Fact::kUnresolved; }

  Fact method_ = Fact::kAbsent;
  Fact path_ = Fact::kAbsent;
  Fact status_ = Fact::kAbsent;
  Fact content_type_ = Fact::kAbsent;
  Fact grpc_status_ = Fact::kAbsent;
  bool method_post_ = false;
  bool grpc_content_type_ = false;
  bool grpc_evidence_ = false;
  bool lost_ = false;
  int status_value_ = 0;
  int grpc_status_value_ = -1;
  uint32_t unresolved_names_ = 0;
  std::string path_value_;
};

}  // namespace redeye::http2
