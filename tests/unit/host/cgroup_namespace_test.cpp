#include "host/cgroup_namespace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/cgroup_stats.h"

namespace redeye::host {
namespace {

namespace fs = std::filesystem;

TEST(CgroupNamespaceTest, ResolvesPathsRelativeToTheNamespaceRoot) {
  EXPECT_EQ(resolve_cgroup_path("/kubepods/pod-a/agent", "/../../pod-b/app"), "/kubepods/pod-b/app");
  EXPECT_EQ(resolve_cgroup_path("/", "/system.slice/nginx.service"), "/system.slice/nginx.service");
  EXPECT_EQ(resolve_cgroup_path("/a/b", "/"), "/a/b");
  EXPECT_EQ(resolve_cgroup_path("/a", "/../.."), std::nullopt);  // above the root
  EXPECT_EQ(resolve_cgroup_path("/a/./b", "/../c/."), "/a/c");
  EXPECT_TRUE(shows_outside_namespace("0::/../../kubepods/x\n"));
  EXPECT_FALSE(shows_outside_namespace("0::/system.slice/x\n"));
}

class CgroupTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("redeye-cgns-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    write("cgroup.controllers", "cpu memory io\n");
    write("kubepods/redeye/agent/cgroup.procs", "4242\n4243\n");
    write("kubepods/shop/api/cgroup.procs", "77\n");
    write("kubepods/shop/api/memory.current", "524288\n");
    write("kubepods/shop/api/memory.max", "1048576\n");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  fs::path root_;
};

TEST_F(CgroupTreeTest, FindsTheCgroupListingAPid) {
  EXPECT_EQ(find_cgroup_of(4243, root_.string()), "/kubepods/redeye/agent");
  EXPECT_EQ(find_cgroup_of(77, root_.string()), "/kubepods/shop/api");
  EXPECT_EQ(find_cgroup_of(9999, root_.string()), std::nullopt);
  EXPECT_EQ(find_cgroup_of(77, root_.string(), /*max_dirs=*/2), std::nullopt);  // bounded
}

TEST_F(CgroupTreeTest, ReaderResolvesPathsSeenFromInsideAPodNamespace) {
  CgroupReader reader(root_.string());
  const std::string seen_from_pod = "0::/../../shop/api\n";
  EXPECT_EQ(reader.read_for_process(seen_from_pod), std::nullopt);  // unresolvable without root
  reader.set_namespace_root("/kubepods/redeye/agent");
  auto stats = reader.read_for_process(seen_from_pod);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->memory_usage_bytes, 524288u);
  EXPECT_EQ(stats->memory_limit_bytes, 1048576u);
}

}  // namespace
}  // namespace redeye::host
