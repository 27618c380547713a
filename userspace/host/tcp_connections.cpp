#include "host/tcp_connections.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <utility>

#include "host/text_file.h"

namespace redeye::host {
namespace {

namespace fs = std::filesystem;

template <typename T>
bool parse_number(std::string_view text, T& value, int base = 10) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  return ec == std::errc() && ptr == end;
}

std::optional<std::string> read_link(const std::string& path) {
  std::error_code ec;
  fs::path target = fs::read_symlink(path, ec);
  if (ec) return std::nullopt;
  return target.string();
}

// "<prefix>[N]" -> N ("socket:[12345]", "net:[4026531840]").
std::optional<uint64_t> bracketed_inode(std::string_view link, std::string_view prefix) {
  if (!link.starts_with(prefix) || !link.ends_with(']')) return std::nullopt;
  link.remove_prefix(prefix.size());
  if (!link.starts_with('[')) return std::nullopt;
  link = link.substr(1, link.size() - 2);
  uint64_t inode = 0;
  if (!parse_number(link, inode)) return std::nullopt;
  return inode;
}

// A /proc/net/tcp{,6} text up to its first socket that is not listening (the kernel lists
// listening sockets first): reading stops there, so the kernel never walks the rest.
std::optional<std::string> read_listening_section(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  size_t scanned = 0;  // start of the first line not yet looked at
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    for (size_t end; (end = text.find('\n', scanned)) != std::string::npos; scanned = end + 1) {
      const std::vector<std::string_view> f =
          split_whitespace(std::string_view(text).substr(scanned, end - scanned));
      if (f.size() > 3 && f[0].ends_with(':') && f[3] != "0A") {
        text.resize(scanned);
        ::close(fd);
        return text;
      }
    }
  }
  ::close(fd);
  return text;
}

std::optional<std::string> read_tcp_text(const std::string& path, ProcSockets::TcpScope scope) {
  // The whole host's established sockets can exceed read_text_file's usual cap.
  return scope == ProcSockets::TcpScope::kListening ? read_listening_section(path)
                                                    : read_text_file(path, kNoSizeCap);
}

// "0100007F:1F90" or "<32 hex>:1F90" -> 0x1F90.
bool parse_port(std::string_view address, uint16_t& port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  return parse_number(address.substr(colon + 1), port, 16);
}

}  // namespace

void parse_tcp_table(std::string_view text, TcpSocketTable& table) {
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const std::vector<std::string_view> f = split_whitespace(line);
    if (f.size() < 10 || !f[0].ends_with(':')) continue;  // the header, or malformed
    TcpSocket socket;
    uint64_t inode = 0;
    if (!parse_port(f[1], socket.local_port) || !parse_port(f[2], socket.remote_port) ||
        !parse_number(f[3], socket.state, 16) || !parse_number(f[9], inode) || inode == 0) {
      continue;
    }
    table[inode] = socket;
  }
}

std::set<uint16_t> listening_ports(const TcpSocketTable& table) {
  std::set<uint16_t> ports;
  for (const auto& [inode, socket] : table) {
    if (socket.state == kTcpListen) ports.insert(socket.local_port);
  }
  return ports;
}

ConnectionCounts count_connections(const TcpSocketTable& table, const std::vector<uint64_t>& inodes,
                                   const std::set<uint16_t>& host_listening_ports) {
  std::vector<uint64_t> unique = inodes;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  ConnectionCounts counts;
  for (uint64_t inode : unique) {
    const auto it = table.find(inode);
    if (it == table.end() || it->second.state != kTcpEstablished) continue;
    if (host_listening_ports.contains(it->second.local_port)) {
      ++counts.server;
    } else {
      ++counts.client;
    }
  }
  return counts;
}

ConnectionCounts count_held_connections(std::vector<HeldSocket> sockets) {
  std::set<uint16_t> listening;
  for (const HeldSocket& s : sockets) {
    if (s.listening) listening.insert(s.local_port);
  }
  std::sort(sockets.begin(), sockets.end(),
            [](const HeldSocket& a, const HeldSocket& b) { return a.id < b.id; });
  ConnectionCounts counts;
  for (size_t i = 0; i < sockets.size(); ++i) {
    const HeldSocket& s = sockets[i];
    if (s.listening || (i > 0 && s.id == sockets[i - 1].id)) continue;
    if (listening.contains(s.local_port)) {
      ++counts.server;
    } else {
      ++counts.client;
    }
  }
  return counts;
}

ProcSockets::ProcSockets(std::string proc_root) : root_(std::move(proc_root)) {}

std::string ProcSockets::pid_dir(uint32_t pid) const { return root_ + "/" + std::to_string(pid); }

TcpSocketTable ProcSockets::read_tcp_table(TcpScope scope) const {
  TcpSocketTable table;
  for (const char* name : {"/net/tcp", "/net/tcp6"}) {
    if (const auto text = read_tcp_text(root_ + name, scope)) parse_tcp_table(*text, table);
  }
  return table;
}

TcpSocketTable ProcSockets::read_tcp_table(uint32_t pid, TcpScope scope) const {
  const std::string dir = pid_dir(pid);
  const std::optional<std::string> tcp = read_tcp_text(dir + "/net/tcp", scope);
  if (!tcp) return read_tcp_table(scope);
  TcpSocketTable table;
  parse_tcp_table(*tcp, table);
  if (const auto tcp6 = read_tcp_text(dir + "/net/tcp6", scope)) parse_tcp_table(*tcp6, table);
  return table;
}

std::optional<uint64_t> ProcSockets::net_namespace(uint32_t pid) const {
  const std::optional<std::string> link = read_link(pid_dir(pid) + "/ns/net");
  if (!link) return std::nullopt;
  return bracketed_inode(*link, "net:");
}

std::vector<uint64_t> ProcSockets::socket_inodes(uint32_t pid) const {
  std::vector<uint64_t> inodes;
  std::error_code ec;
  for (fs::directory_iterator it(pid_dir(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::optional<std::string> link = read_link(it->path().string());
    if (!link) continue;  // the fd was closed meanwhile
    if (const auto inode = bracketed_inode(*link, "socket:")) inodes.push_back(*inode);
  }
  std::sort(inodes.begin(), inodes.end());
  inodes.erase(std::unique(inodes.begin(), inodes.end()), inodes.end());
  return inodes;
}

}  // namespace redeye::host
