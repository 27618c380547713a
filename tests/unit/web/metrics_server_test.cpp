// The endpoint's routing and access rules, and one real round trip on a loopback port.
#include "web/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace redeye::web {
namespace {

std::optional<EndpointRequest> get(const std::string& path, const std::string& auth = "") {
  return EndpointRequest{"GET", path, auth};
}

// A connected TCP socket to 127.0.0.1:port from `source` (any 127/8 address), or -1.
int connect_from(const char* source, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` on `fd` and reads until the server closes (at most `timeout`).
std::string round_trip(int fd, const std::string& request,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  if (!request.empty()) send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  const auto until = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  return reply;
}

// Whether the server has closed `fd` (EOF or reset) within `timeout`.
bool closed_by_server(int fd, std::chrono::milliseconds timeout) {
  return round_trip(fd, "", timeout).empty() && [&] {
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) <= 0 && errno != EAGAIN;
  }();
}

size_t open_fds() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator()));
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildCounter()
        .Name("test_total")
        .Help("t")
        .Register(*registry_)
        .Add({})
        .Increment(3);
  }
  std::shared_ptr<prometheus::Registry> registry_;
  int held_open_at_destruction_ = -1;
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

TEST_F(MetricsServerTest, HeldIdleConnectionsNeitherDelayNorBlockAScrape) {
  ConnectionPolicy limits;
  limits.max_per_client = 40;
  MetricsServer server({"127.0.0.1:0", "", "", std::nullopt}, limits);
  server.add(registry_);
  server.set_ready();
  std::vector<int> held;
  const char* others[] = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
  for (const char* source : others) {
    for (int i = 0; i < 30; i++) held.push_back(connect_from(source, server.port()));
  }
  // Slow headers: a few bytes of a head that never ends.
  for (int i = 0; i < 20; i++) {
    held.push_back(connect_from("127.0.0.6", server.port()));
    send(held.back(), "GET /metr", 9, MSG_NOSIGNAL);
  }
  for (int i = 0; i < 60; i++) held.push_back(connect_from("127.0.0.1", server.port()));
  for (int fd : held) ASSERT_GE(fd, 0);
  for (int i = 0; i < 200 && server.stats().closed_count(CloseReason::kPerClientLimit) < 20; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.stats().closed_count(CloseReason::kPerClientLimit), 20u);  // 60 over 40

  for (int round = 0; round < 3; round++) {
    const int fd = connect_from("127.0.0.1", server.port());
    ASSERT_GE(fd, 0);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string reply = round_trip(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto took = std::chrono::steady_clock::now() - t0;
    close(fd);
    EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
    EXPECT_LT(took, std::chrono::milliseconds(1000));
    // The first scrape found 127.0.0.1 at its cap and closed its oldest idle connection.
    EXPECT_NE(
        reply.find(
            "redeye_metrics_endpoint_connections_closed_total{reason=\"per_client_limit\"} 21"),
        std::string::npos)
        << reply;
    EXPECT_NE(
        reply.find("redeye_metrics_endpoint_connections " + std::to_string(held.size() - 21 + 1)),
        std::string::npos)
        << reply;
  }
  for (int fd : held) close(fd);
}

TEST_F(MetricsServerTest, DeadlinesAndOversizedHeadsCloseAndCount) {
  const size_t fds_before = open_fds();
  {
    ConnectionPolicy limits;
    limits.header_timeout = std::chrono::milliseconds(300);
    MetricsServer server({"127.0.0.1:0", "", "", std::nullopt}, limits);
    server.set_ready();
    const int idle = connect_from("127.0.0.1", server.port());
    const int slow = connect_from("127.0.0.1", server.port());
    send(slow, "GET /livez HTTP/1.1\r\n", 21, MSG_NOSIGNAL);
    EXPECT_TRUE(closed_by_server(idle, std::chrono::milliseconds(3000)));
    EXPECT_TRUE(closed_by_server(slow, std::chrono::milliseconds(3000)));
    EXPECT_EQ(server.stats().closed_count(CloseReason::kHeaderTimeout), 2u);
    close(idle);
    close(slow);

    const int large = connect_from("127.0.0.1", server.port());
    const std::string reply = round_trip(large, "GET /" + std::string(kMaxRequestHead - 5, 'a'));
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 ", 0), 0u) << reply.substr(0, 100);
    EXPECT_EQ(server.stats().closed_count(CloseReason::kHeadTooLarge), 1u);
    close(large);

    held_open_at_destruction_ = connect_from("127.0.0.1", server.port());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  close(held_open_at_destruction_);
  EXPECT_EQ(open_fds(), fds_before);  // listening socket, epoll, eventfd, connections
}

// A family whose one sample carries a label of `bytes` bytes: an answer larger than the socket
// buffers of a client that does not read.
class HugeCollectable : public prometheus::Collectable {
 public:
  explicit HugeCollectable(size_t bytes) : value_(bytes, 'a') {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family{"huge", "h", prometheus::MetricType::Gauge, {}};
    family.metric.emplace_back();
    family.metric.back().label.push_back({"v", value_});
    return {family};
  }

 private:
  std::string value_;
};

TEST_F(MetricsServerTest, AClientThatDoesNotReadHoldsOnlyItsOwnConnectionUntilTheWriteDeadline) {
  ConnectionPolicy limits;
  limits.write_timeout = std::chrono::milliseconds(500);
  MetricsServer server({"127.0.0.1:0", "", "", std::nullopt}, limits);
  const auto huge = std::make_shared<HugeCollectable>(16 << 20);
  server.add(huge);
  server.set_ready();
  const int stuck = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 4096;
  setsockopt(stuck, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(stuck, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  const std::string request = "GET /metrics HTTP/1.1\r\n\r\n";
  send(stuck, request.data(), request.size(), MSG_NOSIGNAL);
  pollfd answered{stuck, POLLIN, 0};
  ASSERT_EQ(poll(&answered, 1, 5000), 1);  // its answer is rendered and being written

  const int other = connect_from("127.0.0.1", server.port());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(round_trip(other, "GET /livez HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  close(other);
  for (int i = 0; i < 300 && server.stats().closed_count(CloseReason::kWriteTimeout) == 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.stats().closed_count(CloseReason::kWriteTimeout), 1u);
  close(stuck);
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
