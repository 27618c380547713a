#include "protocols/http2/hpack_inflater.h"

#include <nghttp2/nghttp2.h>

namespace redeye::http2 {

Inflater::Inflater() {
  if (nghttp2_hd_inflate_new(&inflater_) != 0) inflater_ = nullptr;
}

Inflater::~Inflater() { drop(); }

void Inflater::drop() {
  if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
  inflater_ = nullptr;
}

DecodeResult Inflater::decode(std::span<const uint8_t> block, FieldSink& sink) {
  if (inflater_ == nullptr) return DecodeResult::kInvalid;
  const uint8_t* in = block.data();
  size_t left = block.size();
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    const auto used = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, in, left, 1);
    if (used < 0) {
      drop();
      return DecodeResult::kInvalid;
    }
    in += used;
    left -= static_cast<size_t>(used);
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      sink.on_field({{reinterpret_cast<const char*>(nv.name), nv.namelen},
                     {reinterpret_cast<const char*>(nv.value), nv.valuelen},
                     true,
                     true});
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater_);
      return DecodeResult::kOk;
    }
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) {
      // All input consumed, in_final given, no final flag: nghttp2 wants more than the block.
      drop();
      return DecodeResult::kInvalid;
    }
  }
}

bool Inflater::set_table_size_limit(size_t limit) {
  if (inflater_ == nullptr) return false;
  if (nghttp2_hd_inflate_change_table_size(inflater_, limit) != 0) {
    drop();
    return false;
  }
  return true;
}

}  // namespace redeye::http2
