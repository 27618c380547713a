// AMQP 0-9-1 wire constants (from the specification and RabbitMQ's documentation) and the
// limits that bound what one connection may make the parser remember.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace redeye::amqp {

// The protocol header a client writes before its first frame.
inline constexpr std::string_view kProtocolHeader{"AMQP\0\0\x09\x01", 8};

// Frame: type (octet), channel (short), size (long), payload, frame-end (0xCE).
inline constexpr size_t kFrameHeaderBytes = 7;
inline constexpr size_t kFrameOverheadBytes = 8;  // header + frame-end octet
inline constexpr uint8_t kFrameEnd = 0xCE;

enum FrameType : uint8_t {
  kFrameMethod = 1,
  kFrameHeader = 2,
  kFrameBody = 3,
  kFrameHeartbeat = 8,
};

// Class ids.
inline constexpr uint16_t kClassConnection = 10;
inline constexpr uint16_t kClassChannel = 20;
inline constexpr uint16_t kClassExchange = 40;
inline constexpr uint16_t kClassQueue = 50;
inline constexpr uint16_t kClassBasic = 60;
inline constexpr uint16_t kClassConfirm = 85;
inline constexpr uint16_t kClassTx = 90;

// Method ids the conversation acts on.
inline constexpr uint16_t kConnectionClose = 50;
inline constexpr uint16_t kConnectionCloseOk = 51;
inline constexpr uint16_t kChannelOpen = 10;
inline constexpr uint16_t kChannelClose = 40;
inline constexpr uint16_t kChannelCloseOk = 41;
inline constexpr uint16_t kBasicConsume = 20;
inline constexpr uint16_t kBasicConsumeOk = 21;
inline constexpr uint16_t kBasicCancel = 30;
inline constexpr uint16_t kBasicCancelOk = 31;
inline constexpr uint16_t kBasicPublish = 40;
inline constexpr uint16_t kBasicReturn = 50;
inline constexpr uint16_t kBasicDeliver = 60;
inline constexpr uint16_t kBasicGet = 70;
inline constexpr uint16_t kBasicGetOk = 71;
inline constexpr uint16_t kBasicGetEmpty = 72;
inline constexpr uint16_t kBasicAck = 80;
inline constexpr uint16_t kBasicReject = 90;
inline constexpr uint16_t kBasicRecoverAsync = 100;
inline constexpr uint16_t kBasicRecover = 110;
inline constexpr uint16_t kBasicNack = 120;
inline constexpr uint16_t kConfirmSelect = 10;

// Largest frame the decoder accepts while in sync (RabbitMQ negotiates 128 KiB by default and
// allows frame_max up to a few MiB); the boundary finder, which guesses, is stricter.
inline constexpr uint32_t kMaxFrameSize = 16u << 20;
inline constexpr uint32_t kMaxResyncFrameSize = 1u << 20;

// Bytes of a frame kept for parsing: method frames and content headers are small; body bytes
// are never looked at, so keeping more would only copy them.
inline constexpr size_t kMaxKeptFrameBytes = 16384;

// What one connection may make the conversation remember; beyond a limit the item is not
// tracked and the overflow is counted (redeye_parse_errors_total{protocol="amqp"}).
inline constexpr size_t kMaxChannels = 64;
inline constexpr size_t kMaxUnacked = 4096;          // deliveries in flight, all channels
inline constexpr size_t kMaxPendingConfirms = 4096;  // publishes awaiting a confirm
inline constexpr size_t kMaxConsumers = 256;         // consumer tags, all channels
inline constexpr size_t kMaxPendingRequests = 64;    // Consume/Get awaiting a reply, per channel
inline constexpr size_t kMaxNames = 512;             // distinct queue/exchange names

// Field tables nest (tables in arrays in tables): how deep the parser follows them.
inline constexpr int kMaxFieldDepth = 8;

}  // namespace redeye::amqp
