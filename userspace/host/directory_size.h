// Disk space used below a directory, walked at a bounded cost (a capacity metric for configured
// data directories).
#pragma once

#include <cstdint>
#include <string>

namespace redeye::host {

struct DirectorySize {
  uint64_t bytes = 0;    // allocated bytes (st_blocks * 512) of regular files
  uint64_t entries = 0;  // directory entries examined, of any type, not counting `path` itself
  // false when max_entries was hit or an error stopped (part of) the walk: bytes is then a lower
  // bound.
  bool complete = true;
  std::string error;  // first error met, empty if none
};

// Like `du -sx --apparent-size=no`: does not follow symbolic links below `path` (`path` itself
// is resolved), does not cross into other filesystems (a different st_dev), counts each
// hard-linked inode once, and stops after max_entries entries. Entries vanishing during the walk
// are skipped silently; an unreadable subdirectory makes the result incomplete but the walk goes
// on. A missing or unreadable `path` gives complete = false and an error, never an exception.
DirectorySize directory_size(const std::string& path, uint64_t max_entries);

}  // namespace redeye::host
