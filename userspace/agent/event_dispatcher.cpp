#include "agent/event_dispatcher.h"

#include <variant>

namespace redeye {

void EventDispatcher::dispatch(std::span<const uint8_t> record) {
  std::visit(*this, decode_event(record));
}

void EventDispatcher::operator()(MalformedEvent) { self_.dropped(UserDrop::kMalformedEvent); }

void EventDispatcher::operator()(const redeye_conn_open_event* ev) {
  self_.event_received(EventKind::kConnOpen);
  table_.on_open(*ev);
}

void EventDispatcher::operator()(const DataEvent& ev) {
  self_.event_received(EventKind::kData);
  table_.on_data(*ev.header, ev.payload, ev.span_table);
}

void EventDispatcher::operator()(const redeye_conn_close_event* ev) {
  self_.event_received(EventKind::kConnClose);
  table_.on_close(*ev);
}

void EventDispatcher::operator()(const redeye_process_event* ev) {
  self_.event_received(EventKind::kProcess);
  const uint32_t tgid = ev->hdr.tgid;
  switch (ev->hdr.type) {
    case REDEYE_EV_PROCESS_EXIT:
      table_.on_process_exit(tgid, ev->hdr.ts_ns);
      services_.on_exit(tgid);
      break;
    case REDEYE_EV_PROCESS_FORK:
      services_.on_fork(tgid, ev->parent_tgid);
      break;
    case REDEYE_EV_LISTEN:
      services_.on_listen(tgid, ev->port);
      break;
    case REDEYE_EV_OOM_KILL:
      if (auto service = services_.service_of(tgid)) use_.on_oom_kill(std::move(service));
      break;
    default:
      self_.dropped(UserDrop::kMalformedEvent);
  }
}

}  // namespace redeye

namespace redeye {

void EventDispatcher::operator()(const redeye_exec_event* ev) {
  self_.event_received(EventKind::kProcess);
  services_.on_exec(ev->proc.hdr.tgid, ExecFacts{std::string(ev->filename, ev->filename_len),
                                                 std::string(ev->args, ev->args_len)});
}

}  // namespace redeye
