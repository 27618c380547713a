// libFuzzer target: the late-join HPACK decoder against nghttp2's inflater, both from the
// first block. Input: blocks, each a length byte then that many bytes (the last one cut to what
// is there). While the inflater accepts the blocks, the late-join decoder must accept them too
// and give the same fields; a name or value it does not keep (longer than its limits) must be
// reported unknown, never different. Its memory stays within its bounds throughout.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "protocols/http2/hpack_inflater.h"
#include "protocols/http2/hpack_late_join.h"

namespace {

using redeye::fuzz::check;
using redeye::http2::DecodeResult;
using redeye::http2::FieldSink;
using redeye::http2::HeaderField;
using redeye::http2::Inflater;
using redeye::http2::LateJoinDecoder;

struct Field {
  std::string name, value;
  bool name_known, value_known;
};

struct Collect : FieldSink {
  void on_field(const HeaderField& f) override {
    fields.push_back({std::string(f.name), std::string(f.value), f.name_known, f.value_known});
  }
  std::vector<Field> fields;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  Inflater inflater;
  LateJoinDecoder late;
  std::size_t pos = 0;
  while (pos < size) {
    const std::size_t n = std::min<std::size_t>(data[pos], size - pos - 1);
    const std::span<const uint8_t> block(data + pos + 1, n);
    pos += 1 + n;
    Collect expected, got;
    if (inflater.decode(block, expected) != DecodeResult::kOk) return 0;  // spent from here
    check(late.decode(block, got, 4096u) == DecodeResult::kOk);
    check(got.fields.size() == expected.fields.size());
    for (std::size_t i = 0; i < got.fields.size(); ++i) {
      const Field& g = got.fields[i];
      const Field& e = expected.fields[i];
      check(g.name_known ? g.name == e.name : e.name.size() > LateJoinDecoder::kMaxNameBytes);
      check(g.value_known ? g.value == e.value : e.value.size() > LateJoinDecoder::kMaxValueBytes);
    }
    check(late.kept_entries() <= LateJoinDecoder::kMaxEntries);
    check(late.kept_bytes() <= LateJoinDecoder::kMaxKeptBytes);
  }
  return 0;
}
