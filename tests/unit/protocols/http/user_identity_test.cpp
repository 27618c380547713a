// Identity extraction (protocols/http/user_identity) and the head parser's header selection.
#include "protocols/http/user_identity.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/http/http_conversation.h"
#include "protocols/http/http_message_head.h"
#include "users_test_support.h"

namespace redeye::http {
namespace {

using users_testing::base64;
using users_testing::jwt;

std::string found(const Identity& identity) {
  return identity.status == IdentityStatus::kFound ? identity.value : "<not found>";
}

bool is_invalid(const Identity& identity) {
  return identity.status == IdentityStatus::kInvalid && identity.value.empty();
}

bool is_absent(const Identity& identity) {
  return identity.status == IdentityStatus::kAbsent && identity.value.empty();
}

// --- base64 and JSON ---------------------------------------------------------------------

TEST(Base64, Rfc4648VectorsWithAndWithoutPadding) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"},
      {"Zm9vYmE=", "fooba"},
      {"Zm9vYmFy", "foobar"},
      {"Zg", "f"},
      {"Zm8", "fo"},
      {"Zm9vYg", "foob"},
  };
  for (const auto& [encoded, decoded] : vectors) {
    SCOPED_TRACE(encoded);
    EXPECT_EQ(base64_decode(encoded, false), std::optional<std::string>(decoded));
    EXPECT_EQ(base64_decode(encoded, true), std::optional<std::string>(decoded));
  }
}

TEST(Base64, AlphabetsAndBrokenInput) {
  EXPECT_EQ(base64_decode("-_8", true), std::optional<std::string>("\xfb\xff"));
  EXPECT_EQ(base64_decode("+/8", false), std::optional<std::string>("\xfb\xff"));
  EXPECT_FALSE(base64_decode("-_8", false));
  EXPECT_FALSE(base64_decode("+/8", true));
  for (const char* bad : {"Z", "Zg=", "Zg===", "Zm9v!", "Zm 9v", "Zm9\n", "=", "Zg==Zg=="}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(base64_decode(bad, false));
  }
}

TEST(JsonTopLevelString, FindsTheTopLevelMemberOnly) {
  EXPECT_EQ(json_top_level_string(R"({"sub":"u1"})", "sub"), "u1");
  EXPECT_EQ(json_top_level_string(" {\n\t\"iss\" : \"x\" ,\r\n \"sub\" : \"u1\" } ", "sub"), "u1");
  EXPECT_EQ(
      json_top_level_string(R"({"act":{"sub":"admin"},"n":[1,{"sub":"x"}],"sub":"u2"})", "sub"),
      "u2");
  EXPECT_FALSE(json_top_level_string(R"({"act":{"sub":"admin"}})", "sub"));
  EXPECT_EQ(json_top_level_string(R"({"sub":"first","sub":"second"})", "sub"), "first");
  EXPECT_EQ(json_top_level_string(
                R"({"a":true,"b":false,"c":null,"d":-1.5e3,"e":[],"f":{},"sub":"ok"})", "sub"),
            "ok");
  EXPECT_EQ(json_top_level_string(R"({"subject":"no","sub":"yes"})", "sub"), "yes");
}

TEST(JsonTopLevelString, DecodesEscapes) {
  EXPECT_EQ(json_top_level_string(R"({"sub":"a\"b\\c\/d\te"})", "sub"), "a\"b\\c/d\te");
  EXPECT_EQ(json_top_level_string(R"({"sub":"j\u00f6rg"})", "sub"), "j\xc3\xb6rg");
  EXPECT_EQ(json_top_level_string(R"({"sub":"\u20ac\ud83d\ude00"})", "sub"),
            "\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(json_top_level_string(R"({"k\"ey":"v","sub":"u"})", "sub"), "u");
}

TEST(JsonTopLevelString, RejectsWhatIsNotAnObjectWithAStringMember) {
  const char* bad[] = {
      "",
      "[]",
      R"("sub")",
      R"({"sub":42})",
      R"({"sub":null})",
      R"({"sub":["u"]})",
      R"({"sub":"unterminated)",
      R"({"sub" "u"})",
      R"({"a":1 "sub":"u"})",
      R"({"a":tru,"sub":"u"})",
      R"({"a":{"b":1,"sub":"u"})",  // the object is never closed before sub: it is nested
      R"({"sub":"\ud83d"})",        // lone high surrogate
      R"({"sub":"\ude00"})",        // lone low surrogate
      R"({"sub":"\x41"})",          // not a JSON escape
      R"({"sub":"\u12"})",
      "{\"sub\":\"raw\nnewline\"}",
      R"({,"sub":"u"})",
  };
  for (const char* json : bad) {
    SCOPED_TRACE(json);
    EXPECT_FALSE(json_top_level_string(json, "sub"));
  }
}

TEST(JsonTopLevelString, NestingIsBounded) {
  std::string deep = R"({"a":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += R"(,"sub":"u"})";
  EXPECT_FALSE(json_top_level_string(deep, "sub"));
  std::string shallow = R"({"a":)";
  for (int i = 0; i < 20; ++i) shallow += "[";
  for (int i = 0; i < 20; ++i) shallow += "]";
  shallow += R"(,"sub":"u"})";
  EXPECT_EQ(json_top_level_string(shallow, "sub"), "u");
}

// --- JWT ---------------------------------------------------------------------------------

TEST(IdentityFromJwt, SubOfABearerToken) {
  EXPECT_EQ(found(identity_from_bearer_jwt("Bearer " + jwt(R"({"sub":"user-1","iat":1})"))),
            "user-1");
  EXPECT_EQ(found(identity_from_bearer_jwt("bearer   " + jwt(R"({"sub":"user-1"})"))), "user-1");
  EXPECT_EQ(found(identity_from_bearer_jwt("BEARER\t" + jwt(R"({"sub":"user-1"})"))), "user-1");
  // A header that holds only the token (identity jwt_sub with another header).
  EXPECT_EQ(found(identity_from_bearer_jwt(jwt(R"({"sub":"user-1"})"))), "user-1");
}

TEST(IdentityFromJwt, WithAndWithoutPadding) {
  const std::string payload = R"({"sub":"padded"})";  // 16 bytes: base64 needs one '='
  ASSERT_NE(jwt(payload, true).find('='), std::string::npos);
  ASSERT_EQ(jwt(payload, false).find('='), std::string::npos);
  EXPECT_EQ(found(identity_from_bearer_jwt("Bearer " + jwt(payload, true))), "padded");
  EXPECT_EQ(found(identity_from_bearer_jwt("Bearer " + jwt(payload, false))), "padded");
}

TEST(IdentityFromJwt, EscapedAndUnicodeSub) {
  EXPECT_EQ(found(identity_from_bearer_jwt("Bearer " + jwt(R"({"sub":"a\"b\u00e9"})"))),
            "a\"b\xc3\xa9");
  EXPECT_EQ(found(identity_from_bearer_jwt(
                "Bearer " + jwt(R"({ "iss" : "https://id.example" , "sub" : "auth0|42" })"))),
            "auth0|42");
}

TEST(IdentityFromJwt, UnreadableTokensAreInvalid) {
  const std::string long_sub(300, 'x');
  const std::string cases[] = {
      "Bearer " + jwt(R"({"iss":"x"})"),                  // no sub
      "Bearer " + jwt(R"({"sub":""})"),                   // empty sub
      "Bearer " + jwt(R"({"sub":12345})"),                // not a string
      "Bearer " + jwt(R"({"sub":"ctl\u0001"})"),          // control character
      "Bearer " + jwt(R"({"sub":"\u0000"})"),             // NUL
      "Bearer " + jwt("{\"sub\":\"" + long_sub + "\"}"),  // longer than 256 bytes
      "Bearer " + jwt("not json"),                        // payload is not JSON
      "Bearer " + jwt(R"(["sub","u"])"),                  // not an object
      "Bearer abc",                                       // one segment
      "Bearer a.b",                                       // two segments
      "Bearer a.b.c.d.e",                                 // JWE: cannot be read
      "Bearer .e30.sig",                                  // no header segment
      "Bearer a..sig",                                    // no payload
      "Bearer a.!!!!.sig",                                // payload not base64url
      "Bearer a.e+30.sig",                                // standard alphabet
      "Bearer " + std::string(9000, 'a'),                 // too long to look at
      "Bearer ",                                          // scheme without token
  };
  for (const std::string& value : cases) {
    SCOPED_TRACE(value.substr(0, 80));
    EXPECT_TRUE(is_invalid(identity_from_bearer_jwt(value)))
        << static_cast<int>(identity_from_bearer_jwt(value).status);
  }
}

TEST(IdentityFromJwt, OtherSchemesAndEmptyAreAbsent) {
  EXPECT_TRUE(is_absent(identity_from_bearer_jwt("")));
  EXPECT_TRUE(is_absent(identity_from_bearer_jwt("   ")));
  EXPECT_TRUE(is_absent(identity_from_bearer_jwt("Basic " + base64("a:b", false, true))));
  EXPECT_TRUE(is_absent(identity_from_bearer_jwt("Digest username=\"a\"")));
}

// --- basic auth, header, client address -------------------------------------------------

TEST(IdentityFromBasicAuth, UserPart) {
  EXPECT_EQ(found(identity_from_basic_auth("Basic " + base64("alice:secret", false, true))),
            "alice");
  EXPECT_EQ(found(identity_from_basic_auth("basic " + base64("bob:pa:ss:word", false, true))),
            "bob");
  EXPECT_EQ(found(identity_from_basic_auth("Basic " + base64("carol:", false, false))), "carol");
  EXPECT_EQ(found(identity_from_basic_auth("Basic " + base64("d\xc3\xa9:x", false, true))),
            "d\xc3\xa9");
}

TEST(IdentityFromBasicAuth, BrokenCredentialsAreInvalidOtherSchemesAbsent) {
  EXPECT_TRUE(is_invalid(identity_from_basic_auth("Basic " + base64("nocolon", false, true))));
  EXPECT_TRUE(is_invalid(identity_from_basic_auth("Basic " + base64(":pw", false, true))));
  EXPECT_TRUE(is_invalid(identity_from_basic_auth("Basic !!!")));
  EXPECT_TRUE(is_invalid(identity_from_basic_auth("Basic " + base64("a\x01:pw", false, true))));
  EXPECT_TRUE(is_invalid(
      identity_from_basic_auth("Basic " + base64(std::string(300, 'u') + ":pw", false, true))));
  EXPECT_TRUE(is_invalid(identity_from_basic_auth("Basic " + base64("\xff\xfe:pw", false, true))));
  EXPECT_TRUE(is_absent(identity_from_basic_auth("Bearer " + jwt(R"({"sub":"u"})"))));
  EXPECT_TRUE(is_absent(identity_from_basic_auth("")));
  EXPECT_TRUE(is_absent(identity_from_basic_auth(base64("a:b", false, true))));  // no scheme
}

TEST(IdentityFromHeader, TheValueItself) {
  EXPECT_EQ(found(identity_from_header_value("user-42")), "user-42");
  EXPECT_EQ(found(identity_from_header_value("  user-42\t")), "user-42");
  EXPECT_EQ(found(identity_from_header_value("sk_live_0123456789abcdef")),
            "sk_live_0123456789abcdef");
  EXPECT_EQ(found(identity_from_header_value("j\xc3\xb6rg")), "j\xc3\xb6rg");
  EXPECT_EQ(found(identity_from_header_value(std::string(256, 'k'))), std::string(256, 'k'));
  EXPECT_TRUE(is_absent(identity_from_header_value("")));
  EXPECT_TRUE(is_absent(identity_from_header_value("   ")));
  EXPECT_TRUE(is_invalid(identity_from_header_value(std::string(257, 'k'))));
  EXPECT_TRUE(is_invalid(identity_from_header_value("a\x7f")));
  EXPECT_TRUE(is_invalid(identity_from_header_value("\xff")));          // not UTF-8
  EXPECT_TRUE(is_invalid(identity_from_header_value("\xc0\xaf")));      // overlong '/'
  EXPECT_TRUE(is_invalid(identity_from_header_value("\xed\xa0\x80")));  // surrogate
  EXPECT_TRUE(is_invalid(identity_from_header_value("\xc2\x85")));      // C1 control
  EXPECT_TRUE(is_invalid(identity_from_header_value("\xe2\x82")));      // truncated
}

TEST(IdentityFromClientAddress, AddressTextMappedIpv4Unwrapped) {
  EXPECT_EQ(found(identity_from_client_address("127.0.0.1")), "127.0.0.1");
  EXPECT_EQ(found(identity_from_client_address("::ffff:10.1.2.3")), "10.1.2.3");
  EXPECT_EQ(found(identity_from_client_address("2001:db8::1")), "2001:db8::1");
  EXPECT_TRUE(is_absent(identity_from_client_address("")));
}

TEST(ExtractIdentity, DispatchesOnTheSource) {
  EXPECT_EQ(found(extract_identity(IdentitySource::kHeader, "u1", "10.0.0.1")), "u1");
  EXPECT_EQ(found(extract_identity(IdentitySource::kJwtSub, "Bearer " + jwt(R"({"sub":"u2"})"),
                                   "10.0.0.1")),
            "u2");
  EXPECT_EQ(found(extract_identity(IdentitySource::kBasicUser,
                                   "Basic " + base64("u3:pw", false, true), "10.0.0.1")),
            "u3");
  EXPECT_EQ(found(extract_identity(IdentitySource::kClientAddress, "ignored", "10.0.0.1")),
            "10.0.0.1");
  EXPECT_TRUE(is_absent(extract_identity(IdentitySource::kHeader, "", "10.0.0.1")));
}

TEST(IdentitySource, NamesAndHeaders) {
  EXPECT_EQ(identity_source_from_name("header"), IdentitySource::kHeader);
  EXPECT_EQ(identity_source_from_name("jwt_sub"), IdentitySource::kJwtSub);
  EXPECT_EQ(identity_source_from_name("basic_user"), IdentitySource::kBasicUser);
  EXPECT_EQ(identity_source_from_name("client_address"), IdentitySource::kClientAddress);
  EXPECT_FALSE(identity_source_from_name("cookie"));
  using V = std::vector<std::string>;
  EXPECT_EQ(identity_headers(IdentitySource::kHeader, "X-User-Id"), V{"X-User-Id"});
  EXPECT_EQ(identity_headers(IdentitySource::kJwtSub, ""), V{"Authorization"});
  EXPECT_EQ(identity_headers(IdentitySource::kJwtSub, "X-Token"), V{"X-Token"});
  EXPECT_EQ(identity_headers(IdentitySource::kBasicUser, ""), V{"Authorization"});
  EXPECT_TRUE(identity_headers(IdentitySource::kClientAddress, "").empty());
}

// --- the head parser keeps only the selected header --------------------------------------

protocols::Chunk chunk(std::span<const uint8_t> bytes, uint64_t ts) {
  return {.captured = bytes, .ts_ns = ts};
}

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(HeaderSelection, ParseRequestHeadKeepsOnlyTheSelectedField) {
  const std::string head =
      "GET /a HTTP/1.1\r\nHost: x\r\nx-user-id:  u-7 \r\nAuthorization: Bearer t\r\n"
      "X-User-Id: second\r\n\r\n";
  const auto none = parse_request_head(bytes(head));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->selected_index, -1);
  EXPECT_EQ(none->selected_value, "");
  const std::vector<std::string> user = {"X-User-Id"};
  const auto one = parse_request_head(bytes(head), user);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->selected_value, "u-7");  // any case, trimmed, the first occurrence
  EXPECT_EQ(one->selected_index, 0);
  // The most wanted name wins whatever the order of the fields.
  const std::vector<std::string> preference = {"Authorization", "X-User-Id"};
  const auto preferred = parse_request_head(bytes(head), preference);
  ASSERT_TRUE(preferred);
  EXPECT_EQ(preferred->selected_value, "Bearer t");
  EXPECT_EQ(preferred->selected_index, 0);
  const std::vector<std::string> missing = {"X-Api-Key"};
  EXPECT_EQ(parse_request_head(bytes(head), missing)->selected_index, -1);
  // Responses and framing are unaffected.
  const auto framed = parse_request_head(
      bytes("POST / HTTP/1.1\r\nX-User-Id: u\r\nContent-Length: 3\r\n\r\n"), user);
  ASSERT_TRUE(framed);
  EXPECT_EQ(framed->content_length, 3u);
  EXPECT_EQ(framed->selected_value, "u");
}

struct HeadSink : HttpEventSink {
  void on_request_started(const HttpRequestHead&) override {}
  void on_exchange(const HttpExchange& exchange) override {
    sources.push_back(exchange.request.user_identity_source);
  }
  void on_request_abandoned(const HttpRequestHead& head) override {
    abandoned.push_back(head.user_identity_source);
  }
  void on_anomaly(HttpAnomaly) override {}
  std::vector<std::string> sources;
  std::vector<std::string> abandoned;
};

TEST(HeaderSelection, ConversationHandsTheValueToEachExchange) {
  HeadSink sink;
  HttpConversation conversation(protocols::Role::kServer, sink, {"X-User-Id"});
  // Two pipelined requests in one read, one without the header.
  conversation.on_inbound(chunk(bytes("GET /1 HTTP/1.1\r\nX-User-Id: alice\r\n\r\n"
                                      "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"),
                                1));
  conversation.on_outbound(chunk(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                                       "HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"),
                                 2));
  EXPECT_EQ(sink.sources, (std::vector<std::string>{"alice", ""}));
  // After a close the conversation starts again and still selects the header.
  conversation.on_close(3);
  conversation.on_inbound(chunk(bytes("GET /3 HTTP/1.1\r\nx-user-id: bob\r\n\r\n"), 4));
  conversation.on_close(5);
  EXPECT_EQ(sink.abandoned, (std::vector<std::string>{"bob"}));
}

TEST(HeaderSelection, DefaultConversationKeepsNothing) {
  HeadSink sink;
  HttpConversation conversation(protocols::Role::kServer, sink);
  conversation.on_inbound(chunk(bytes("GET /1 HTTP/1.1\r\nX-User-Id: alice\r\n\r\n"), 1));
  conversation.on_outbound(chunk(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 2));
  EXPECT_EQ(sink.sources, (std::vector<std::string>{""}));
  HttpConversation empty_list(protocols::Role::kServer, sink, std::vector<std::string>{});
  empty_list.on_inbound(chunk(bytes("GET /1 HTTP/1.1\r\nX-User-Id: alice\r\n\r\n"), 1));
  empty_list.on_outbound(chunk(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 2));
  EXPECT_EQ(sink.sources, (std::vector<std::string>{"", ""}));
}

}  // namespace
}  // namespace redeye::http
