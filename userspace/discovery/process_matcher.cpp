#include "discovery/process_matcher.h"

#include <fnmatch.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace redeye::discovery {
namespace {

constexpr size_t kMinContainerIdPrefix = 12;

bool selector_empty(const ProcessSelector& s) {
  return s.exe.empty() && s.cmdline.empty() && s.ports.empty() && !s.pid && s.cgroup.empty() &&
         s.container_id.empty();
}

bool glob_matches(const std::string& pattern, const std::string& text) {
  return !text.empty() && ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool ports_match(const std::vector<PortRange>& ranges, const std::vector<uint16_t>& ports) {
  return std::any_of(ports.begin(), ports.end(), [&](uint16_t port) {
    return std::any_of(ranges.begin(), ranges.end(), [&](const PortRange& range) {
      return port >= range.first && port <= range.last;
    });
  });
}

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

ProcessMatcher::ProcessMatcher(const std::vector<ServiceRule>& rules,
                               const std::vector<ProcessSelector>& exclude)
    : rules_(rules) {
  rule_selectors_.reserve(rules_.size());
  for (size_t i = 0; i < rules_.size(); ++i) {
    rule_selectors_.push_back(
        compile(rules_[i].match, "services[" + std::to_string(i) + "]", errors_));
  }
  exclude_.reserve(exclude.size());
  for (size_t i = 0; i < exclude.size(); ++i) {
    exclude_.push_back(compile(exclude[i], "exclude[" + std::to_string(i) + "]", errors_));
  }
}

ProcessMatcher::~ProcessMatcher() = default;
ProcessMatcher::ProcessMatcher(ProcessMatcher&&) noexcept = default;
ProcessMatcher& ProcessMatcher::operator=(ProcessMatcher&&) noexcept = default;

ProcessMatcher::Compiled ProcessMatcher::compile(const ProcessSelector& selector,
                                                 const std::string& where,
                                                 std::vector<std::string>& errors) {
  Compiled compiled;
  compiled.selector = selector;
  compiled.selector.container_id = to_lower(selector.container_id);
  compiled.usable = !selector_empty(selector);
  if (!selector.cmdline.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    compiled.cmdline = std::make_unique<re2::RE2>(selector.cmdline, options);
    if (!compiled.cmdline->ok()) {
      errors.push_back(where + ": " + compiled.cmdline->error());
      compiled.usable = false;
    }
  }
  return compiled;
}

bool ProcessMatcher::matches(const Compiled& compiled, const ProcessInfo& process) {
  if (!compiled.usable) return false;
  const ProcessSelector& s = compiled.selector;
  if (s.pid && *s.pid != process.pid) return false;
  if (!s.exe.empty() && !glob_matches(s.exe, process.exe)) return false;
  if (!s.cgroup.empty() && !glob_matches(s.cgroup, process.cgroup_path)) return false;
  if (!s.container_id.empty() && (s.container_id.size() < kMinContainerIdPrefix ||
                                  !process.container.container_id.starts_with(s.container_id))) {
    return false;
  }
  if (!s.ports.empty() && !ports_match(s.ports, process.listening_ports)) return false;
  if (compiled.cmdline && !RE2::PartialMatch(process.cmdline, *compiled.cmdline)) return false;
  return true;
}

bool ProcessMatcher::excluded(const ProcessInfo& process) const {
  return std::any_of(exclude_.begin(), exclude_.end(),
                     [&](const Compiled& c) { return matches(c, process); });
}

std::optional<uint32_t> ProcessMatcher::match_index(const ProcessInfo& process) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (matches(rule_selectors_[i], process)) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

const ServiceRule* ProcessMatcher::match(const ProcessInfo& process) const {
  const auto index = match_index(process);
  return index ? &rules_[*index] : nullptr;
}

}  // namespace redeye::discovery
