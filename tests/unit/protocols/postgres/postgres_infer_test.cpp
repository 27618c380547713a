// The kernel's PostgreSQL classifier (include/redeye/infer/postgres.h), compiled as C++.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "redeye/infer/postgres.h"
#include "redeye/protocol_infer.h"

namespace {

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}
std::string cstr(const std::string& s) { return s + std::string(1, '\0'); }
std::string msg(char type, const std::string& body) {
  return std::string(1, type) + be32(static_cast<uint32_t>(body.size() + 4)) + body;
}

// What the kernel passes: at most REDEYE_INFER_PREFIX bytes. Returns the role or 0.
int infer(const std::string& bytes, int direction) {
  const std::string prefix = bytes.substr(0, REDEYE_INFER_PREFIX);
  int role = 0;
  if (!redeye_infer_postgres(reinterpret_cast<const unsigned char*>(prefix.data()),
                             static_cast<unsigned int>(prefix.size()), direction, &role)) {
    return 0;
  }
  return role;
}
int written(const std::string& bytes) { return infer(bytes, REDEYE_DIR_OUTBOUND); }
int read(const std::string& bytes) { return infer(bytes, REDEYE_DIR_INBOUND); }

std::string startup() {
  const std::string body =
      be32(196608) + cstr("user") + cstr("shop") + cstr("database") + cstr("shop") + cstr("");
  return be32(static_cast<uint32_t>(body.size() + 4)) + body;
}

TEST(PostgresInferTest, StartupPhaseMessagesGiveTheRoleByDirection) {
  const std::string messages[] = {startup(), be32(8) + be32(80877103), be32(8) + be32(80877104),
                                  be32(16) + be32(80877102) + be32(1234) + be32(99)};
  for (const std::string& m : messages) {
    EXPECT_EQ(written(m), REDEYE_ROLE_CLIENT);
    EXPECT_EQ(read(m), REDEYE_ROLE_SERVER);
  }
}

TEST(PostgresInferTest, TheTableReportsPostgres) {
  const std::string m = be32(8) + be32(80877103);
  int role = 0;
  EXPECT_EQ(redeye_infer_protocol(reinterpret_cast<const unsigned char*>(m.data()), 8,
                                  REDEYE_DIR_OUTBOUND, &role),
            2);
  EXPECT_EQ(role, REDEYE_ROLE_CLIENT);
}

TEST(PostgresInferTest, StartupPhaseLookalikesAreRejected) {
  EXPECT_EQ(written(be32(12) + be32(80877103)), 0);             // SSLRequest of length 12
  EXPECT_EQ(written(be32(8) + be32(80877102)), 0);              // CancelRequest too short
  EXPECT_EQ(written(be32(40) + be32(0x00020000) + "user"), 0);  // protocol 2.0
  EXPECT_EQ(written(be32(40) + be32(196608 + 3) + "user"), 0);  // protocol 3.3
  EXPECT_EQ(written(be32(20000) + be32(196608) + "user"), 0);   // longer than allowed
  EXPECT_EQ(written(be32(40) + be32(196608) + "\x01\x02"), 0);  // not a parameter name
  EXPECT_EQ(written(std::string("\0\0\0\x08\x04\xd2", 6)), 0);  // cut before the code
}

TEST(PostgresInferTest, MidStreamQuery) {
  EXPECT_EQ(written(msg('Q', cstr("SELECT 1"))), REDEYE_ROLE_CLIENT);
  EXPECT_EQ(read(msg('Q', cstr("select * from accounts where id = 1"))), REDEYE_ROLE_SERVER);
  EXPECT_EQ(written(msg('Q', cstr("  BEGIN"))), REDEYE_ROLE_CLIENT);
  EXPECT_EQ(written(msg('Q', cstr("(SELECT 1)"))), REDEYE_ROLE_CLIENT);
  EXPECT_EQ(written(msg('Q', cstr("x"))), REDEYE_ROLE_CLIENT);
}

TEST(PostgresInferTest, MidStreamQueryLookalikesAreRejected) {
  EXPECT_EQ(written("Q" + be32(4) + std::string(1, '\0')), 0);            // too short
  EXPECT_EQ(written("Q" + be32(2 << 20) + "SELECT 1"), 0);                // longer than 1 MiB
  EXPECT_EQ(written(msg('Q', cstr("\x01SELECT"))), 0);                    // not text
  EXPECT_EQ(written(msg('Q', cstr("1 + 1"))), 0);                         // no keyword start
  EXPECT_EQ(written("Q" + be32(13) + std::string("SEL\0CT 1\0", 9)), 0);  // \0 inside
  EXPECT_EQ(written("Q" + be32(8) + "SELECT 1"), 0);  // no \0 where the message ends
  EXPECT_EQ(written("Quit\r\n"), 0);
}

TEST(PostgresInferTest, MidStreamParseAndBind) {
  EXPECT_EQ(written(msg('P', cstr("") + cstr("SELECT $1") + "\0\0")), REDEYE_ROLE_CLIENT);
  EXPECT_EQ(written(msg('P', cstr("P0_1") + cstr("UPDATE t SET a = $1"))), REDEYE_ROLE_CLIENT);
  EXPECT_EQ(read(msg('P', cstr("S_1") + cstr("select 1"))), REDEYE_ROLE_SERVER);
  EXPECT_EQ(written(msg('B', cstr("") + cstr("P0_1") + std::string("\0\x01\0\x01", 4))),
            REDEYE_ROLE_CLIENT);
  EXPECT_EQ(read(msg('B', cstr("") + cstr("") + std::string("\0\0\0\0\0\0", 6))),
            REDEYE_ROLE_SERVER);
}

TEST(PostgresInferTest, MidStreamParseAndBindLookalikesAreRejected) {
  // A statement name too long to see its end within the prefix.
  EXPECT_EQ(written(msg('P', cstr("__asyncpg_stmt_12__") + cstr("SELECT 1"))), 0);
  EXPECT_EQ(written(msg('P', cstr("n\x01") + cstr("SELECT 1"))), 0);  // odd name byte
  EXPECT_EQ(written(msg('P', cstr("") + cstr("\x02\x03"))), 0);       // SQL is not text
  EXPECT_EQ(written(msg('B', cstr("") + cstr("s") + std::string("\x05\0", 2))), 0);  // 1280 formats
  EXPECT_EQ(written("POST /upload HTTP/1.1\r\n"), 0);
  EXPECT_EQ(written("PUT /x HTTP/1.1\r\n"), 0);
  EXPECT_EQ(written("BIND something"), 0);
}

TEST(PostgresInferTest, OtherProtocolsAreRejected) {
  const std::string others[] = {
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\n",
      std::string("AMQP\0\0\x09\x01", 8),
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // TLS ClientHello
      std::string("\x16\x03\x03\x00\x7a\x02\x00\x00\x76", 9),
      "*3\r\n$3\r\nSET\r\n",                                                // Redis
      std::string("\x00\x00\x00\x1c\x00\x12\x00\x03\x00\x00\x00\x01", 12),  // Kafka request
      std::string("\x4a\x00\x00\x00\x0a"
                  "8.0.36\0",
                  12),  // MySQL greeting
      "SSH-2.0-OpenSSH_9.2\r\n",
      std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24),
  };
  for (const std::string& o : others) {
    EXPECT_EQ(written(o), 0) << o;
    EXPECT_EQ(read(o), 0) << o;
  }
}

TEST(PostgresInferTest, BackendMessagesAreNotClassified) {
  // Only the frontend is recognised (a backend message would need the other direction).
  EXPECT_EQ(read(msg('R', be32(0))), 0);
  EXPECT_EQ(read(msg('Z', "I")), 0);
  EXPECT_EQ(read(msg('C', cstr("SELECT 1"))), 0);
  EXPECT_EQ(read("N"), 0);
}

TEST(PostgresInferTest, RandomBinaryIsRejected) {
  uint32_t state = 0x12345678;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  int matches = 0;
  for (int i = 0; i < 200000; i++) {
    std::string b(REDEYE_INFER_PREFIX, '\0');
    for (char& c : b) c = static_cast<char>(next() & 0xff);
    matches += written(b) != 0;
  }
  EXPECT_EQ(matches, 0);
}

TEST(PostgresInferTest, ShortPrefixes) {
  const std::string q = msg('Q', cstr("SELECT 1"));
  for (size_t n = 0; n < 6; n++) EXPECT_EQ(written(q.substr(0, n)), 0) << n;
  EXPECT_EQ(written(q.substr(0, 6)), REDEYE_ROLE_CLIENT);
  EXPECT_EQ(written(be32(8) + be32(80877103).substr(0, 3)), 0);
}

}  // namespace
