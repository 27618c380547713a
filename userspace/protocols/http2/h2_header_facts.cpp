#include "protocols/http2/h2_header_facts.h"

#include <string_view>

namespace redeye::http2 {
namespace {

// A non-negative decimal of at most `digits` digits, else -1.
int small_number(std::string_view s, size_t digits) {
  if (s.empty() || s.size() > digits) return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

void HeaderFacts::on_field(const HeaderField& f) {
  if (!f.name_known) {
    ++unresolved_names_;
    return;
  }
  const std::string_view name = f.name;
  if (name.starts_with("grpc-")) grpc_evidence_ = true;
  if (name == ":method") {
    method_ = seen(f.value_known);
    method_post_ = f.value_known && f.value == "POST";
  } else if (name == ":path") {
    path_ = seen(f.value_known);
    path_value_ = f.value_known && f.value.size() <= kMaxPath ? std::string(f.value) : "";
  } else if (name == ":status") {
    status_ = seen(f.value_known);
    status_value_ = f.value_known && f.value.size() == 3 ? small_number(f.value, 3) : 0;
    if (status_value_ < 0) status_value_ = 0;
  } else if (name == "content-type") {
    content_type_ = seen(f.value_known);
    grpc_content_type_ = f.value_known && f.value.starts_with("application/grpc");
    grpc_evidence_ |= grpc_content_type_;
  } else if (name == "grpc-status") {
    grpc_status_ = seen(f.value_known);
    grpc_status_value_ = f.value_known ? small_number(f.value, 3) : -1;
  }
}

void HeaderFacts::mark_lost() {
  clear();
  lost_ = true;
}

}  // namespace redeye::http2
