// The endpoint's routing and access rules, and one real round trip on a loopback port.
#include "web/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

namespace redeye::web {
namespace {

std::optional<EndpointRequest> get(const std::string& path, const std::string& auth = "") {
  return EndpointRequest{"GET", path, auth};
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildCounter().Name("test_total").Help("t").Register(*registry_).Add({}).Increment(3);
  }
  std::shared_ptr<prometheus::Registry> registry_;
};

TEST_F(MetricsServerTest, HealthReflectsReadinessAndLivezAlwaysAnswers) {
  MetricsServer server({"127.0.0.1:0", "", "", std::nullopt});
  EXPECT_EQ(server.respond(get("/healthz")).status, 503);
  EXPECT_EQ(server.respond(get("/healthz")).body, "not ready: starting\n");
  server.set_unready("config: services[0].match: is missing");
  EXPECT_NE(server.respond(get("/healthz")).body.find("services[0].match"), std::string::npos);
  server.set_ready();
  EXPECT_EQ(server.respond(get("/healthz")).status, 200);
  EXPECT_EQ(server.respond(get("/livez")).status, 200);
  EXPECT_EQ(server.respond(get("/nope")).status, 404);
  EXPECT_EQ(server.respond(EndpointRequest{"POST", "/metrics", ""}).status, 405);
  EXPECT_EQ(server.respond(std::nullopt).status, 400);
}

TEST_F(MetricsServerTest, MetricsNeedTheConfiguredCredentials) {
  MetricsServer server({"127.0.0.1:0", "", "", Credentials{"prom", "s3cret"}});
  server.add(registry_);
  EXPECT_EQ(server.respond(get("/metrics", "Basic cHJvbTpzM2NyZXQ=")).status, 503);  // not ready
  server.set_ready();
  EXPECT_EQ(server.respond(get("/metrics")).status, 401);
  EXPECT_EQ(server.respond(get("/metrics", "Basic cHJvbTp3cm9uZw==")).status, 401);
  auto ok = server.respond(get("/metrics", "Basic cHJvbTpzM2NyZXQ="));
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("test_total 3"), std::string::npos);
  server.set_unready("stopping");
  EXPECT_EQ(server.respond(get("/healthz")).status, 503);  // health needs no credentials
}

TEST_F(MetricsServerTest, ServesOverLoopback) {
  MetricsServer server({"127.0.0.1:0", "", "", std::nullopt});
  server.add(registry_);
  server.set_ready();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) reply.append(buf, n);
  close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("test_total 3"), std::string::npos);
}

TEST_F(MetricsServerTest, BindErrorsAreOneLineNamingTheAddress) {
  MetricsServer first({"127.0.0.1:0", "", "", std::nullopt});
  try {
    MetricsServer second({"127.0.0.1:" + std::to_string(first.port()), "", "", std::nullopt});
    FAIL() << "bound twice";
  } catch (const ServerError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos);
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_THROW(MetricsServer({"127.0.0.1:0", "/nonexistent/cert.pem", "", std::nullopt}),
               ServerError);
}

}  // namespace
}  // namespace redeye::web
