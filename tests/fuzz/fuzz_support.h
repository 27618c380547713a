// Shared by the protocol fuzz targets: a deterministic generator seeded from the input (to
// choose chunk sizes, directions and uncaptured counts), an invariant check that aborts (which
// libFuzzer reports as a crash with the input that broke it), and the input layout and chunk
// schedule of the conversation targets.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>

namespace redeye::fuzz {

inline void check(bool condition) {
  if (!condition) std::abort();
}

class Rng {
 public:
  explicit Rng(uint32_t seed) : state_(seed == 0 ? 0x9e3779b9u : seed) {}
  uint32_t next() {  // xorshift32
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  uint32_t below(uint32_t n) { return n == 0 ? 0 : next() % n; }

 private:
  uint32_t state_;
};

// One direction of a connection: its bytes and how far they were fed.
struct Stream {
  std::span<const uint8_t> bytes;
  std::size_t pos = 0;
  bool done() const { return pos >= bytes.size(); }
};

// How the two streams are cut into reads and writes.
struct Schedule {
  uint32_t seed = 0;
  uint32_t max_chunk = 1;   // 0: each stream in one chunk
  bool gaps = false;        // some pieces are followed by bytes the kernel did not capture
  bool interleave = false;  // the two directions alternate at random (else the first goes first)
  bool huge_gaps = false;   // some of those gaps are far larger than the stream
};

// The input of a conversation target: bytes 0-1 the first stream's length (little-endian),
// 2-5 the seed, 6 the largest piece minus one, 7 flags (1 gaps, 2 interleave, 4 huge gaps; the
// higher bits are the target's own); then the first stream and the second.
struct ConversationInput {
  Schedule schedule;
  uint8_t flags = 0;
  std::span<const uint8_t> payload;  // both streams
  Stream first;
  Stream second;
};

inline std::optional<ConversationInput> decode_conversation_input(const uint8_t* data,
                                                                  std::size_t size) {
  if (size < 8) return std::nullopt;
  ConversationInput input;
  const std::size_t declared = static_cast<std::size_t>(data[0]) | (std::size_t{data[1]} << 8);
  input.schedule.seed = static_cast<uint32_t>(data[2]) | (static_cast<uint32_t>(data[3]) << 8) |
                        (static_cast<uint32_t>(data[4]) << 16) |
                        (static_cast<uint32_t>(data[5]) << 24);
  input.schedule.max_chunk = static_cast<uint32_t>(data[6]) + 1;
  input.flags = data[7];
  input.schedule.gaps = (data[7] & 1) != 0;
  input.schedule.interleave = (data[7] & 2) != 0;
  input.schedule.huge_gaps = (data[7] & 4) != 0;
  input.payload = std::span<const uint8_t>(data + 8, size - 8);
  const std::size_t split = std::min(declared, input.payload.size());
  input.first = Stream{input.payload.first(split)};
  input.second = Stream{input.payload.subspan(split)};
  return input;
}

// Cuts both streams into pieces in the order and sizes the schedule chooses and calls
// feed(bool from_first, std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts)
// for each, timestamps starting at `ts`. Uncaptured bytes are part of the stream: as many of
// the following bytes are skipped. Returns the timestamp after the last piece.
template <typename Feed>
uint64_t feed_schedule(Stream first, Stream second, const Schedule& schedule, uint64_t ts,
                       Feed&& feed) {
  Rng rng(schedule.seed);
  while (!first.done() || !second.done()) {
    bool from_first = !first.done();
    if (schedule.interleave && !first.done() && !second.done()) from_first = rng.below(2) == 0;
    Stream& s = from_first ? first : second;
    const std::size_t left = s.bytes.size() - s.pos;
    const std::size_t size = schedule.max_chunk == 0
                                 ? left
                                 : std::min<std::size_t>(left, 1 + rng.below(schedule.max_chunk));
    uint64_t uncaptured = 0;
    if (schedule.gaps && rng.below(8) == 0) {
      uncaptured = schedule.huge_gaps && rng.below(4) == 0 ? rng.next() : rng.below(64);
    }
    const std::span<const uint8_t> captured = s.bytes.subspan(s.pos, size);
    s.pos += size + std::min<uint64_t>(uncaptured, s.bytes.size() - s.pos - size);
    feed(from_first, captured, uncaptured, ts);
    ts += 1 + rng.below(3);
  }
  return ts;
}

// Hands a piece of the client->server stream (from_client) or of the server->client stream
// to `conversation` as the process playing `role` sees it: the client writes what it sends and
// reads the answers, the server the reverse.
template <typename Conversation, typename Role, typename Chunk>
void deliver(Conversation& conversation, Role role, bool from_client, const Chunk& chunk) {
  if (from_client == (role == Role::kClient)) {
    conversation.on_outbound(chunk);
  } else {
    conversation.on_inbound(chunk);
  }
}

}  // namespace redeye::fuzz
