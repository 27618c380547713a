// Which configured service rule, if any, a process belongs to, and whether it is excluded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "discovery/process_info.h"

namespace re2 {
class RE2;
}

namespace redeye::discovery {

// Selector semantics (ProcessSelector in config/config.h); every set field must match, an
// empty selector matches nothing:
//   exe           fnmatch(3) glob on ProcessInfo::exe, flags 0 (so '*' also spans '/');
//                 an unknown (empty) exe never matches
//   cmdline       RE2 partial match (search) in ProcessInfo::cmdline (argv joined by spaces);
//                 a regex that does not compile makes its selector match nothing
//   ports         some listening port lies in some range (first..last inclusive)
//   pid           equal
//   cgroup        fnmatch(3) glob on ProcessInfo::cgroup_path, flags 0; an empty path never
//                 matches
//   container_id  case-insensitive prefix of ContainerIdentity::container_id, at least 12
//                 characters (shorter never matches)
class ProcessMatcher {
 public:
  // Copies the rules and compiles their regexes once.
  ProcessMatcher(const std::vector<ServiceRule>& rules,
                 const std::vector<ProcessSelector>& exclude);
  ~ProcessMatcher();
  ProcessMatcher(ProcessMatcher&&) noexcept;
  ProcessMatcher& operator=(ProcessMatcher&&) noexcept;

  // True when any exclude selector matches.
  bool excluded(const ProcessInfo& process) const;

  // The first rule whose selector matches, nullptr when none does. Exclusion is not applied
  // here: call excluded() first. The pointer is into this matcher's copy of the rules and
  // lives as long as the matcher.
  const ServiceRule* match(const ProcessInfo& process) const;
  // The same rule's index in the rules given (Config::services).
  std::optional<uint32_t> match_index(const ProcessInfo& process) const;

  // Selectors whose cmdline regex did not compile: "services[i]" / "exclude[i]": error.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Compiled {
    ProcessSelector selector;  // container_id lowercased
    std::unique_ptr<re2::RE2> cmdline;
    bool usable = true;  // false when empty or its regex failed to compile
  };
  static Compiled compile(const ProcessSelector& selector, const std::string& where,
                          std::vector<std::string>& errors);
  static bool matches(const Compiled& compiled, const ProcessInfo& process);

  std::vector<ServiceRule> rules_;
  std::vector<Compiled> rule_selectors_;  // parallel to rules_
  std::vector<Compiled> exclude_;
  std::vector<std::string> errors_;
};

}  // namespace redeye::discovery
