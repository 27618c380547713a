// One HTTP/1.x connection seen from the followed process, for either role: parses the request
// and the response byte streams and pairs each request with its response. A server reads
// requests (inbound) and writes responses (outbound); a client does the reverse: the role maps
// the two directions onto the two streams, everything else is the same (start = the request's
// first byte moving, end = the response's last byte moving, on either side). Pure: no I/O, no
// clocks; timestamps come with the bytes. Bounded memory per connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocols/http/http_events.h"
#include "protocols/protocol.h"
#include "protocols/sink_ref.h"

namespace redeye::http {

class HttpConversation : public protocols::Conversation {
 public:
  // Keeps the value of the first of `identity_headers` (any case, most wanted first) that a
  // request carries in HttpRequestHead::user_identity_source. Other fields are not looked at.
  HttpConversation(protocols::Role role, HttpEventSink& sink,
                   std::vector<std::string> identity_headers = {});
  HttpConversation(protocols::Role role, std::unique_ptr<HttpEventSink> sink,
                   std::vector<std::string> identity_headers = {});
  ~HttpConversation() override;
  HttpConversation(const HttpConversation&) = delete;
  HttpConversation& operator=(const HttpConversation&) = delete;

  // A chunk's `captured` bytes are the first bytes one syscall moved; `uncaptured` bytes
  // followed them in the stream but were not copied (capture limit, sendfile). `ts_ns` is
  // when the syscall returned.
  void on_inbound(const protocols::Chunk& chunk) override;
  void on_outbound(const protocols::Chunk& chunk) override;
  // Connection closed: completes a read-until-close response, abandons pending requests.
  void on_close(uint64_t ts_ns) override;

 private:
  struct State;
  void requests(const protocols::Chunk& chunk);
  void responses(const protocols::Chunk& chunk);

  protocols::Role role_;
  protocols::SinkRef<HttpEventSink> sink_;
  std::shared_ptr<const std::vector<std::string>> identity_headers_;  // null: none
  std::unique_ptr<State> state_;
};

}  // namespace redeye::http
