#include "host/directory_size.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace redeye::host {
namespace {

namespace fs = std::filesystem;

uint64_t allocated(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

void write_file(const fs::path& p, size_t bytes) {
  std::ofstream out(p, std::ios::binary);
  out << std::string(bytes, 'x');
}

class DirectorySizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("redeye-dirsize-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "data" / "nested");
    write_file(root_ / "data" / "a.bin", 10000);
    write_file(root_ / "data" / "nested" / "b.bin", 70000);
    write_file(root_ / "data" / "empty", 0);
  }
  void TearDown() override { fs::remove_all(root_); }

  uint64_t expected_data_bytes() {
    return allocated(root_ / "data" / "a.bin") + allocated(root_ / "data" / "nested" / "b.bin") +
           allocated(root_ / "data" / "empty");
  }

  fs::path root_;
};

TEST_F(DirectorySizeTest, SumsAllocatedBytesOfRegularFiles) {
  auto r = directory_size((root_ / "data").string(), 1000);
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.entries, 4u);  // a.bin, empty, nested, nested/b.bin
  EXPECT_EQ(r.bytes, expected_data_bytes());
  EXPECT_GE(r.bytes, 80000u);
}

TEST_F(DirectorySizeTest, CountsHardLinkedInodesOnce) {
  const uint64_t before = directory_size((root_ / "data").string(), 1000).bytes;
  fs::create_hard_link(root_ / "data" / "a.bin", root_ / "data" / "a-link.bin");
  fs::create_hard_link(root_ / "data" / "a.bin", root_ / "data" / "nested" / "a-link2.bin");
  auto r = directory_size((root_ / "data").string(), 1000);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.entries, 6u);
  EXPECT_EQ(r.bytes, before);
}

TEST_F(DirectorySizeTest, DoesNotFollowSymlinks) {
  const uint64_t before = directory_size((root_ / "data").string(), 1000).bytes;
  fs::create_directories(root_ / "outside");
  write_file(root_ / "outside" / "big.bin", 500000);
  fs::create_symlink(root_ / "outside" / "big.bin", root_ / "data" / "file-link");
  fs::create_directory_symlink(root_ / "outside", root_ / "data" / "dir-link");
  fs::create_directory_symlink(root_ / "data", root_ / "data" / "nested" / "loop");
  auto r = directory_size((root_ / "data").string(), 1000);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.entries, 7u);
  EXPECT_EQ(r.bytes, before);
}

TEST_F(DirectorySizeTest, RootSymlinkIsResolved) {
  fs::create_directory_symlink(root_ / "data", root_ / "data-link");
  auto r = directory_size((root_ / "data-link").string(), 1000);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.bytes, expected_data_bytes());
}

TEST_F(DirectorySizeTest, BoundedByMaxEntries) {
  for (int i = 0; i < 50; ++i) write_file(root_ / "data" / ("f" + std::to_string(i)), 100);
  auto r = directory_size((root_ / "data").string(), 10);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.entries, 10u);
  EXPECT_TRUE(r.error.empty());
  EXPECT_LT(r.bytes, directory_size((root_ / "data").string(), 1000).bytes);

  auto exact = directory_size((root_ / "data").string(), 54);  // exactly the number of entries
  EXPECT_TRUE(exact.complete);
  EXPECT_EQ(exact.entries, 54u);

  auto none = directory_size((root_ / "data").string(), 0);
  EXPECT_FALSE(none.complete);
  EXPECT_EQ(none.entries, 0u);
  EXPECT_EQ(none.bytes, 0u);
}

TEST_F(DirectorySizeTest, EmptyDirectory) {
  fs::create_directories(root_ / "void");
  auto r = directory_size((root_ / "void").string(), 0);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.entries, 0u);
  EXPECT_EQ(r.bytes, 0u);
}

TEST_F(DirectorySizeTest, MissingPathIsAnErrorResult) {
  auto r = directory_size((root_ / "does-not-exist").string(), 1000);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(r.entries, 0u);
  EXPECT_NE(r.error.find("does-not-exist"), std::string::npos) << r.error;
}

TEST_F(DirectorySizeTest, RegularFileAsRoot) {
  auto r = directory_size((root_ / "data" / "a.bin").string(), 1000);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.bytes, allocated(root_ / "data" / "a.bin"));
}

TEST_F(DirectorySizeTest, UnreadableSubdirectoryMakesResultIncomplete) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any directory";
  fs::create_directories(root_ / "data" / "locked");
  write_file(root_ / "data" / "locked" / "secret", 1000);
  fs::permissions(root_ / "data" / "locked", fs::perms::none);
  auto r = directory_size((root_ / "data").string(), 1000);
  fs::permissions(root_ / "data" / "locked", fs::perms::owner_all);
  EXPECT_FALSE(r.complete);
  EXPECT_NE(r.error.find("locked"), std::string::npos) << r.error;
  EXPECT_EQ(r.bytes, expected_data_bytes());  // the rest is still counted
}

TEST_F(DirectorySizeTest, DoesNotCrossFilesystems) {
  // Mount a tmpfs inside the tree, in a private mount namespace of a child process.
  const fs::path data = root_ / "data";
  const fs::path mnt = data / "mnt";
  fs::create_directories(mnt);
  const uint64_t before = directory_size(data.string(), 1000).bytes;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int flags = CLONE_NEWNS | (::geteuid() == 0 ? 0 : CLONE_NEWUSER);
    if (::unshare(flags) != 0) ::_exit(77);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(77);
    if (::mount("none", mnt.c_str(), "tmpfs", 0, nullptr) != 0) ::_exit(77);
    write_file(mnt / "big.bin", 300000);
    auto r = directory_size(data.string(), 1000);
    // The mount point is an entry, but nothing below it is counted.
    ::_exit(r.complete && r.entries == 5 && r.bytes == before ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot create a mount namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(DirectorySizeReal, ProcfsAllocatesNothing) {
  auto r = directory_size("/proc/self", 5000);
  EXPECT_GT(r.entries, 0u);
  EXPECT_EQ(r.bytes, 0u);
}

}  // namespace
}  // namespace redeye::host
