// Server side of one HTTP/1.x connection: parses the inbound (request) and outbound (response)
// byte streams and pairs each request with its response. Pure: no I/O, no clocks; timestamps
// come with the bytes. Bounded memory per connection.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "protocols/http/http_events.h"

namespace redeye::http {

class HttpServerConversation {
 public:
  HttpServerConversation();
  // Keeps the value of the first of `identity_headers` (any case, most wanted first) that a
  // request carries in HttpRequestHead::user_identity_source. Other fields are not looked at.
  explicit HttpServerConversation(std::vector<std::string> identity_headers);
  ~HttpServerConversation();
  HttpServerConversation(HttpServerConversation&&) noexcept;
  HttpServerConversation& operator=(HttpServerConversation&&) noexcept;

  // `captured` are the first bytes one syscall moved; `uncaptured` bytes followed them in the
  // stream but were not copied (capture limit, sendfile). `ts_ns` is when the syscall returned.
  void on_inbound(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts_ns,
                  HttpEventSink& sink);
  void on_outbound(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts_ns,
                   HttpEventSink& sink);
  // Connection closed: completes a read-until-close response, abandons pending requests.
  void on_close(uint64_t ts_ns, HttpEventSink& sink);

 private:
  struct State;
  std::shared_ptr<const std::vector<std::string>> identity_headers_;  // null: none
  std::unique_ptr<State> state_;  // null only in a moved-from object (recreated on use)
};

}  // namespace redeye::http
