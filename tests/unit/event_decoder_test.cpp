#include "bpf/event_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace redeye {
namespace {

std::vector<uint8_t> data_record(uint32_t total, uint32_t captured, size_t payload_bytes) {
  std::vector<uint8_t> buf(sizeof(redeye_data_event) + payload_bytes, 0xab);
  redeye_data_event ev{};
  ev.hdr.type = REDEYE_EV_DATA;
  ev.hdr.conn_id = 7;
  ev.total_len = total;
  ev.captured_len = captured;
  std::memcpy(buf.data(), &ev, sizeof(ev));
  return buf;
}

TEST(EventDecoderTest, DataEventCarriesItsPayload) {
  auto rec = data_record(100, 10, 10);
  auto decoded = decode_event(rec);
  ASSERT_TRUE(std::holds_alternative<DataEvent>(decoded));
  const auto& ev = std::get<DataEvent>(decoded);
  EXPECT_EQ(ev.header->hdr.conn_id, 7u);
  EXPECT_EQ(ev.payload.size(), 10u);
  EXPECT_EQ(ev.payload[0], 0xab);
}

TEST(EventDecoderTest, RejectsRecordsThatLie) {
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(data_record(100, 20, 10))));
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(data_record(5, 10, 10))));
  std::vector<uint8_t> tiny(8, 0);
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(tiny)));
  std::vector<uint8_t> unknown(sizeof(redeye_event_header), 0);
  unknown[0] = 99;
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(unknown)));
  std::vector<uint8_t> short_open(sizeof(redeye_conn_open_event) - 1, 0);
  short_open[0] = REDEYE_EV_CONN_OPEN;
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(short_open)));
}

TEST(EventDecoderTest, FixedSizeEvents) {
  std::vector<uint8_t> open(sizeof(redeye_conn_open_event), 0);
  open[0] = REDEYE_EV_CONN_OPEN;
  EXPECT_TRUE(std::holds_alternative<const redeye_conn_open_event*>(decode_event(open)));
  std::vector<uint8_t> close(sizeof(redeye_conn_close_event), 0);
  close[0] = REDEYE_EV_CONN_CLOSE;
  EXPECT_TRUE(std::holds_alternative<const redeye_conn_close_event*>(decode_event(close)));
  for (uint8_t type : {REDEYE_EV_PROCESS_EXIT, REDEYE_EV_PROCESS_FORK, REDEYE_EV_LISTEN,
                       REDEYE_EV_OOM_KILL}) {
    std::vector<uint8_t> ev(sizeof(redeye_process_event), 0);
    ev[0] = type;
    EXPECT_TRUE(std::holds_alternative<const redeye_process_event*>(decode_event(ev))) << +type;
    ev.pop_back();
    EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(ev))) << +type;
  }
}

TEST(EventDecoderTest, ExecEventsCarryTheirTextWithinBounds) {
  std::vector<uint8_t> buf(sizeof(redeye_exec_event), 0);
  auto* ev = reinterpret_cast<redeye_exec_event*>(buf.data());
  ev->proc.hdr.type = REDEYE_EV_PROCESS_EXEC;
  ev->filename_len = 13;
  ev->args_len = REDEYE_EXEC_TEXT;
  EXPECT_TRUE(std::holds_alternative<const redeye_exec_event*>(decode_event(buf)));
  ev->filename_len = REDEYE_EXEC_TEXT;  // no room for the NUL: a lie
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(buf)));
  ev->filename_len = 1;
  buf.resize(sizeof(redeye_process_event));  // the old, short layout
  EXPECT_TRUE(std::holds_alternative<MalformedEvent>(decode_event(buf)));
}

}  // namespace
}  // namespace redeye
