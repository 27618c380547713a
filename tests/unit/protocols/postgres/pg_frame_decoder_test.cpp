#include "protocols/postgres/pg_frame_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "pg_test_util.h"

namespace redeye::postgres {
namespace {

using namespace testing;  // NOLINT: the message builders
using protocols::ProbeResult;

TEST(PgFrameDecoderTest, TypedMessagesOfEachStream) {
  PgFrameDecoder frontend(Stream::kFrontend);
  PgFrameDecoder backend(Stream::kBackend);
  const std::string q = query("SELECT 1");
  EXPECT_EQ(frontend.probe(bytes(q)).result, ProbeResult::kFrame);
  EXPECT_EQ(frontend.probe(bytes(q)).length, q.size());
  EXPECT_EQ(frontend.probe(bytes(q.substr(0, 4))).result, ProbeResult::kNeedMore);
  // 'Q' is not a backend message, 'Z' not a frontend one.
  EXPECT_EQ(backend.probe(bytes(q)).result, ProbeResult::kInvalid);
  EXPECT_EQ(frontend.probe(bytes(ready())).result, ProbeResult::kInvalid);
  EXPECT_EQ(backend.probe(bytes(ready())).length, 6u);
}

TEST(PgFrameDecoderTest, LengthsOutsideTheMessageBoundsAreInvalid) {
  PgFrameDecoder frontend(Stream::kFrontend);
  PgFrameDecoder backend(Stream::kBackend);
  EXPECT_EQ(frontend.probe(bytes("S" + be32(5) + "x")).result, ProbeResult::kInvalid);  // Sync is 4
  EXPECT_EQ(frontend.probe(bytes("Q" + be32(3))).result, ProbeResult::kInvalid);
  EXPECT_EQ(backend.probe(bytes("Z" + be32(4))).result, ProbeResult::kInvalid);  // needs a status
  EXPECT_EQ(backend.probe(bytes("D" + be32(0x7fffffff))).result, ProbeResult::kInvalid);
}

TEST(PgFrameDecoderTest, StartupPhaseMessagesOnlyWhileInStartupPhase) {
  PgFrameDecoder frontend(Stream::kFrontend);
  const std::string s = startup();
  EXPECT_EQ(frontend.probe(bytes(s)).result, ProbeResult::kInvalid);
  frontend.set_startup_phase(true);
  EXPECT_EQ(frontend.probe(bytes(s)).length, s.size());
  EXPECT_EQ(frontend.probe(bytes(ssl_request())).length, 8u);
  EXPECT_EQ(frontend.probe(bytes(gssenc_request())).length, 8u);
  EXPECT_EQ(frontend.probe(bytes(cancel_request())).length, 16u);
  EXPECT_EQ(frontend.probe(bytes(s.substr(0, 7))).result, ProbeResult::kNeedMore);
  // Wrong length for the code, unknown protocol version.
  EXPECT_EQ(frontend.probe(bytes(be32(12) + be32(80877103))).result, ProbeResult::kInvalid);
  EXPECT_EQ(frontend.probe(bytes(be32(40) + be32(0x00020000))).result, ProbeResult::kInvalid);
  // A typed message is still fine (a connection joined mid-stream).
  EXPECT_EQ(frontend.probe(bytes(query("SELECT 1"))).result, ProbeResult::kFrame);
}

TEST(PgFrameDecoderTest, EncryptionAnswerIsOneByteOnlyWhenExpected) {
  PgFrameDecoder backend(Stream::kBackend);
  // Otherwise 'N' starts a NoticeResponse and 'G' a CopyInResponse.
  EXPECT_EQ(backend.probe(bytes("N")).result, ProbeResult::kNeedMore);
  EXPECT_EQ(backend.probe(bytes("N" + be32(0))).result, ProbeResult::kInvalid);
  backend.set_encryption_answer_expected(true);
  EXPECT_EQ(backend.probe(bytes("N")).length, 1u);
  EXPECT_EQ(backend.probe(bytes("S")).length, 1u);
  EXPECT_EQ(backend.probe(bytes("G")).length, 1u);
  // An old server answering with an ErrorResponse.
  EXPECT_EQ(backend.probe(bytes(error_response("0A000"))).result, ProbeResult::kFrame);
}

TEST(PgFrameDecoderTest, FindsTheNextMessageAfterGarbage) {
  PgFrameDecoder backend(Stream::kBackend);
  const std::string garbage = "\x01\xff tail of a row \x00\x00";
  const std::string good = command_complete("SELECT 1") + ready();
  EXPECT_EQ(backend.find_boundary(bytes(garbage + good)), garbage.size());
  PgFrameDecoder frontend(Stream::kFrontend);
  EXPECT_EQ(frontend.find_boundary(bytes("xx" + query("SELECT 1") + sync())), 2u);
}

TEST(PgFrameDecoderTest, BoundaryNeedsAWholeHeaderAndAPlausibleSuccessor) {
  PgFrameDecoder backend(Stream::kBackend);
  // A 'C' with a small length followed by something that is no message: not a boundary.
  const std::string fake = "C" + be32(8) + "ABC" + std::string(1, '\0') + "\x99\x99\x99\x99\x99";
  EXPECT_EQ(backend.find_boundary(bytes(fake)), fake.size());
  // ReadyForQuery with an unknown status is not one either.
  EXPECT_EQ(backend.find_boundary(bytes("Z" + be32(5) + "Q")), 6u);
  // A header cut by the end of the bytes is not trusted.
  EXPECT_EQ(backend.find_boundary(bytes(std::string("xZ\0\0", 4))), 4u);
  // ASCII text (an HTTP request) holds no frontend message start.
  PgFrameDecoder frontend(Stream::kFrontend);
  const std::string http = "GET /index.html HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";
  EXPECT_EQ(frontend.find_boundary(bytes(http)), http.size());
  EXPECT_EQ(backend.find_boundary(bytes(http)), http.size());
}

TEST(PgFrameDecoderTest, DataRowValuesRarelyLookLikeBoundaries) {
  // Text column values of a result: no false boundary inside them.
  PgFrameDecoder backend(Stream::kBackend);
  std::string rows;
  for (int i = 0; i < 200; i++) {
    rows += data_row({std::to_string(i * 7919), "Customer #" + std::to_string(i), "C",
                      "2024-01-0" + std::to_string(i % 9 + 1)});
  }
  // Start one byte into the first row: the next boundary is the second row.
  const std::string first = data_row({"0", "Customer #0", "C", "2024-01-01"});
  EXPECT_EQ(backend.find_boundary(bytes(rows.substr(1))), first.size() - 1);
}

}  // namespace
}  // namespace redeye::postgres
