#include "host/directory_size.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

namespace redeye::host {
namespace {

void note_error(DirectorySize& r, const std::string& path, int err) {
  r.complete = false;
  if (r.error.empty()) r.error = path + ": " + std::strerror(err);
}

uint64_t allocated_bytes(const struct stat& st) {
  return st.st_blocks > 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

}  // namespace

DirectorySize directory_size(const std::string& path, uint64_t max_entries) {
  DirectorySize r;
  struct stat root {};
  if (::stat(path.c_str(), &root) != 0) {
    note_error(r, path, errno);
    return r;
  }
  if (S_ISREG(root.st_mode)) {
    r.bytes = allocated_bytes(root);
    return r;
  }
  if (!S_ISDIR(root.st_mode)) return r;

  const dev_t dev = root.st_dev;
  // Inodes with more than one link already counted; all share `dev`, so the inode suffices.
  std::unordered_set<ino_t> linked;
  std::vector<std::string> pending{path};
  bool is_root = true;
  bool stop = false;

  while (!pending.empty() && !stop) {
    std::string dir = std::move(pending.back());
    pending.pop_back();
    // Below the root, refuse a directory swapped for a symlink since we looked at it.
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (is_root ? 0 : O_NOFOLLOW);
    int dfd = ::open(dir.c_str(), flags);
    if (dfd < 0) {
      if (!(errno == ENOENT && !is_root)) note_error(r, dir, errno);
      is_root = false;
      continue;
    }
    is_root = false;
    struct stat self {};
    if (::fstat(dfd, &self) != 0 || self.st_dev != dev) {
      ::close(dfd);
      continue;
    }
    DIR* d = ::fdopendir(dfd);
    if (d == nullptr) {
      note_error(r, dir, errno);
      ::close(dfd);
      continue;
    }
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) {
        if (errno != 0) note_error(r, dir, errno);
        break;
      }
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (r.entries >= max_entries) {
        r.complete = false;
        stop = true;
        break;
      }
      ++r.entries;
      struct stat st {};
      if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) note_error(r, dir + "/" + e->d_name, errno);
        continue;
      }
      if (st.st_dev != dev) continue;  // a mount point (or bind-mounted file)
      if (S_ISDIR(st.st_mode)) {
        pending.push_back(dir + "/" + e->d_name);
      } else if (S_ISREG(st.st_mode)) {
        if (st.st_nlink > 1 && !linked.insert(st.st_ino).second) continue;
        r.bytes += allocated_bytes(st);
      }
    }
    ::closedir(d);  // also closes dfd
  }
  return r;
}

}  // namespace redeye::host
