#include "web/metrics_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace redeye::web {
namespace {

constexpr ConnectionLimits::Id kListenId = 0;
constexpr ConnectionLimits::Id kWakeId = 1;
constexpr int kAcceptsPerWake = 256;  // then serve the others before accepting more
// File descriptors left for the rest of the agent (BPF maps and programs, /proc, logs) when
// the connection cap is fitted to the process's limit.
constexpr size_t kReservedFds = 256;
// After EMFILE/ENFILE with nothing to close: wait before accepting again (no busy loop).
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

// `limits` with the total cap fitted to the process's open-files limit: RLIMIT_NOFILE's soft
// limit is raised toward the hard one so that max_connections fit, else the cap is lowered to
// what fits.
ConnectionPolicy fit_fd_limit(ConnectionPolicy limits) {
  const size_t wanted = limits.max_connections;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return limits;
  const rlim_t need = wanted + kReservedFds;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
    const rlim_t raised = limit.rlim_max == RLIM_INFINITY ? need : std::min(limit.rlim_max, need);
    rlimit want = limit;
    want.rlim_cur = raised;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) limit.rlim_cur = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= need) return limits;
  const size_t fit =
      limit.rlim_cur > 2 * kReservedFds ? limit.rlim_cur - kReservedFds : limit.rlim_cur / 2;
  spdlog::warn(
      "metrics endpoint: the open-files limit ({}) allows {} connections, not {}: "
      "raise LimitNOFILE / ulimit -n to {}",
      limit.rlim_cur, fit, wanted, need);
  limits.max_connections = fit;
  return limits;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// "HOST:PORT" / "[V6]:PORT" -> a listening socket. Throws ServerError.
int listen_on(const std::string& listen, uint16_t& port_out) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found)) {
    throw ServerError("listen: cannot resolve " + listen + ": " + gai_strerror(rc) +
                      " (example: 0.0.0.0:9464)");
  }
  std::string why = "no address";
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      port_out =
          ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      freeaddrinfo(found);
      return fd;
    }
    why = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  throw ServerError("listen: cannot serve metrics on " + listen + ": " + why +
                    " (pick another with --listen HOST:PORT)");
}

// Adds `fd` to (or changes it in) the epoll set, waiting for `events`, tagged `id`.
void watch_fd(int epoll_fd, int op, int fd, uint32_t events, ConnectionLimits::Id id) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  epoll_ctl(epoll_fd, op, fd, &ev);
}

int fcntl_nonblock(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

MetricsServer::MetricsServer(const ServerOptions& options, const ConnectionPolicy& limits)
    : auth_(options.auth), limits_(fit_fd_limit(limits)) {
  if (!options.tls_cert_file.empty()) {
    try {
      tls_ = std::make_unique<TlsContext>(options.tls_cert_file, options.tls_key_file);
    } catch (const std::runtime_error& e) {
      throw ServerError(e.what());
    }
  }
  listen_fd_ = listen_on(options.listen, port_);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0 || fcntl_nonblock(listen_fd_) != 0) {
    const std::string why = std::strerror(errno);
    for (int fd : {listen_fd_, epoll_fd_, wake_fd_}) {
      if (fd >= 0) close(fd);
    }
    throw ServerError("listen: cannot serve metrics on " + options.listen + ": " + why);
  }
  watch_fd(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, EPOLLIN, kListenId);
  watch_fd(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, EPOLLIN, kWakeId);
  thread_ = std::thread([this] { loop(); });
}

MetricsServer::~MetricsServer() {
  stopping_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t woken = write(wake_fd_, &one, sizeof(one));
  thread_.join();
  open_.clear();  // closes every connection
  close(listen_fd_);
  close(wake_fd_);
  close(epoll_fd_);
}

void MetricsServer::loop() {
  epoll_event events[256];
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    std::optional<Clock::time_point> wake = limits_.next_deadline();
    if (accept_paused_until_ && (!wake || *accept_paused_until_ < *wake)) {
      wake = accept_paused_until_;
    }
    int timeout_ms = -1;
    if (wake) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
    }
    const int n = epoll_wait(epoll_fd_, events, 256, timeout_ms);
    now = Clock::now();
    for (int i = 0; i < n && !stopping_; i++) {
      const ConnectionLimits::Id id = events[i].data.u64;
      if (id == kListenId) {
        accept_ready(now);
      } else if (id != kWakeId) {
        advance(id, now);
      }
    }
    if (accept_paused_until_ && *accept_paused_until_ <= now) {
      accept_paused_until_.reset();
      watch_fd(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, EPOLLIN, kListenId);
    }
    for (const auto& [id, reason] : limits_.expired(now)) close_connection(id, reason);
  }
}

void MetricsServer::accept_ready(Clock::time_point now) {
  for (int i = 0; i < kAcceptsPerWake; i++) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The fd limit is shared with the rest of the agent: pause accepting for a moment
        // rather than spin on a listening socket that stays readable.
        accept_paused_until_ = now + kAcceptPause;
        watch_fd(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, 0, kListenId);
      }
      return;  // EAGAIN: all accepted
    }
    const ConnectionLimits::Id id = next_id_++;
    const ConnectionLimits::Admission admission = limits_.admit(id, client_key(peer), now);
    for (const auto& [victim, reason] : admission.to_close) close_connection(victim, reason);
    if (!admission.admitted()) {
      close(fd);
      stats_.closed(*admission.refused_reason);
      continue;
    }
    open_.emplace(id, Open{std::make_unique<HttpConnection>(fd, tls_ ? tls_->get() : nullptr),
                           HttpConnection::Wait::kRead});
    watch_fd(epoll_fd_, EPOLL_CTL_ADD, fd, EPOLLIN, id);
  }
}

void MetricsServer::advance(ConnectionLimits::Id id, Clock::time_point now) {
  const auto it = open_.find(id);
  if (it == open_.end()) return;  // closed earlier in this round
  HttpConnection& connection = *it->second.connection;
  const bool was_complete = connection.head_complete();
  const HttpConnection::Progress progress =
      connection.advance([this](const auto& request) { return answer(request); });
  if (!was_complete && connection.head_complete()) limits_.head_complete(id, now);
  if (progress.wait == HttpConnection::Wait::kClose) {
    close_connection(id, progress.reason);
  } else {
    watch(id, progress.wait);
  }
}

void MetricsServer::watch(ConnectionLimits::Id id, HttpConnection::Wait wait) {
  Open& open = open_.at(id);
  if (open.waiting == wait) return;
  open.waiting = wait;
  watch_fd(epoll_fd_, EPOLL_CTL_MOD, open.connection->fd(),
           wait == HttpConnection::Wait::kWrite ? EPOLLOUT : EPOLLIN, id);
}

void MetricsServer::close_connection(ConnectionLimits::Id id, std::optional<CloseReason> reason) {
  limits_.remove(id);
  const auto it = open_.find(id);
  if (it == open_.end()) return;
  if (reason) stats_.closed(*reason);  // counted before the client can see the close
  open_.erase(it);                     // closes the fd, which leaves the epoll set with it
}

std::string MetricsServer::answer(const std::optional<EndpointRequest>& request) {
  // The open-connections gauge is read only by an answer: set here, from open_ itself (this
  // is the loop's thread), rather than after every accept and close.
  stats_.set_open(open_.size());
  const Response r = respond(request);
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + ' ' + reason_phrase(r.status) +
                    "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n" +
                    r.extra_headers + "Connection: close\r\n\r\n";
  out.reserve(out.size() + r.body.size());
  out += r.body;  // the one copy of the body
  return out;
}

Response MetricsServer::respond(const std::optional<EndpointRequest>& request) const {
  if (!request) return {400, "text/plain", "bad request\n", ""};
  if (request->method != "GET" && request->method != "HEAD") {
    return {405, "text/plain", "only GET\n", "Allow: GET\r\n"};
  }
  if (request->path == "/livez") return {200, "text/plain", "alive\n", ""};
  if (request->path == "/healthz") {
    std::lock_guard lock(mutex_);
    if (unready_reason_.empty()) return {200, "text/plain", "ok\n", ""};
    return {503, "text/plain", "not ready: " + unready_reason_ + "\n", ""};
  }
  if (request->path == "/metrics") {
    if (auth_ && !authorized(request->authorization, *auth_)) {
      return {401, "text/plain", "authentication required\n",
              "WWW-Authenticate: Basic realm=\"redeye\"\r\n"};
    }
    {
      // Until the probes run there is nothing true to report: a scrape then would show
      // services with no traffic instead of a target that is not up yet.
      std::lock_guard lock(mutex_);
      if (!unready_reason_.empty()) {
        return {503, "text/plain", "not ready: " + unready_reason_ + "\n", ""};
      }
    }
    return {200, "text/plain; version=0.0.4; charset=utf-8", render(), ""};
  }
  return {404, "text/plain", "redeye serves /metrics, /healthz and /livez\n", ""};
}

void MetricsServer::add(std::weak_ptr<prometheus::Collectable> collectable) {
  std::lock_guard lock(mutex_);
  collectables_.push_back(std::move(collectable));
}

void MetricsServer::set_unready(std::string reason) {
  std::lock_guard lock(mutex_);
  unready_reason_ = reason.empty() ? "unknown" : std::move(reason);
}

void MetricsServer::set_ready() {
  std::lock_guard lock(mutex_);
  unready_reason_.clear();
}

std::string MetricsServer::render() const {
  std::vector<std::shared_ptr<prometheus::Collectable>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& weak : collectables_) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : live) {
    auto collected = c->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  for (auto& family : stats_.Collect()) families.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ServerError("web.basic_auth_password_file: cannot read " + path);
  std::string password((std::istreambuf_iterator<char>(in)), {});
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty()) throw ServerError("web.basic_auth_password_file: " + path + " is empty");
  return password;
}

}  // namespace redeye::web
