#include "web/metrics_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace redeye::web {
namespace {

constexpr int kWorkers = 2;
constexpr size_t kMaxQueued = 32;        // connections waiting for a worker; more are closed
constexpr int kIoTimeoutSeconds = 5;     // a slow client cannot hold a worker longer

// One accepted connection, plain or TLS.
class Stream {
 public:
  Stream(int fd, SSL_CTX* tls) : fd_(fd) {
    if (!tls) return;
    ssl_ = SSL_new(tls);
    if (!ssl_ || SSL_set_fd(ssl_, fd) != 1 || SSL_accept(ssl_) != 1) ok_ = false;
  }
  ~Stream() {
    if (ssl_) {
      if (ok_) SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    close(fd_);
  }
  bool ok() const { return ok_; }
  long read(char* buf, size_t len) {
    if (ssl_) return SSL_read(ssl_, buf, static_cast<int>(len));
    return ::recv(fd_, buf, len, 0);
  }
  bool write_all(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      long n = ssl_ ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                    : ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
  bool ok_ = true;
};

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// "HOST:PORT" / "[V6]:PORT" -> a listening socket. Throws ServerError.
int listen_on(const std::string& listen, uint16_t& port_out) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
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
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 64) == 0) {
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      port_out = ntohs(bound.ss_family == AF_INET6
                           ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
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

}  // namespace

MetricsServer::MetricsServer(const ServerOptions& options) : auth_(options.auth) {
  if (!options.tls_cert_file.empty()) {
    try {
      tls_ = std::make_unique<TlsContext>(options.tls_cert_file, options.tls_key_file);
    } catch (const std::runtime_error& e) {
      throw ServerError(e.what());
    }
  }
  listen_fd_ = listen_on(options.listen, port_);
  threads_.emplace_back([this] { accept_loop(); });
  for (int i = 0; i < kWorkers; i++) threads_.emplace_back([this] { worker_loop(); });
}

MetricsServer::~MetricsServer() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  queue_cv_.notify_all();
  for (auto& t : threads_) t.join();
  close(listen_fd_);
  for (int fd : queue_) close(fd);
}

void MetricsServer::accept_loop() {
  while (!stopping_) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // e.g. EMFILE
      continue;
    }
    timeval timeout{kIoTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    std::lock_guard lock(queue_mutex_);
    if (queue_.size() >= kMaxQueued) {
      close(fd);
      continue;
    }
    queue_.push_back(fd);
    queue_cv_.notify_one();
  }
}

void MetricsServer::worker_loop() {
  while (true) {
    int fd;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      fd = queue_.front();
      queue_.pop_front();
    }
    serve(fd);
  }
}

void MetricsServer::serve(int fd) {
  Stream stream(fd, tls_ ? tls_->get() : nullptr);
  if (!stream.ok()) return;  // failed handshake: nothing to answer
  std::string head;
  char buf[2048];
  size_t end = std::string::npos;
  while (end == std::string::npos && head.size() < kMaxRequestHead) {
    long n = stream.read(buf, sizeof(buf));
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
    end = request_head_end(head);
  }
  std::optional<EndpointRequest> request;
  if (end != std::string::npos) request = parse_endpoint_request(std::string_view(head).substr(0, end));
  const Response r = respond(request);
  std::ostringstream out;
  out << "HTTP/1.1 " << r.status << ' ' << reason_phrase(r.status) << "\r\nContent-Type: "
      << r.content_type << "\r\nContent-Length: " << r.body.size() << "\r\n"
      << r.extra_headers << "Connection: close\r\n\r\n";
  if (stream.write_all(out.str())) stream.write_all(r.body);
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
