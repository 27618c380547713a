#include "discovery/service_namer.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace redeye {
namespace {

namespace fs = std::filesystem;

class ServiceNamerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("redeye-proc-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "100");
    fs::create_symlink("/usr/sbin/nginx", root_ / "100" / "exe");
    fs::create_directories(root_ / "200");
    fs::create_symlink("/opt/app/shop-api (deleted)", root_ / "200" / "exe");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(ServiceNamerTest, UsesExecutableBasename) {
  ServiceNamer namer(root_.string());
  EXPECT_EQ(namer.name_of(100, "nginx"), "nginx");
  EXPECT_EQ(namer.name_of(200, "shop-api"), "shop-api");
}

TEST_F(ServiceNamerTest, FallsBackToCommWhenProcessIsGone) {
  ServiceNamer namer(root_.string());
  EXPECT_EQ(namer.name_of(300, "worker"), "worker");
  EXPECT_EQ(namer.name_of(301, ""), "unknown");
}

TEST_F(ServiceNamerTest, ReusedPidWithAnotherCommIsResolvedAgain) {
  ServiceNamer namer(root_.string());
  EXPECT_EQ(namer.name_of(100, "nginx"), "nginx");
  fs::remove(root_ / "100" / "exe");
  fs::create_symlink("/usr/bin/python3.11", root_ / "100" / "exe");
  EXPECT_EQ(namer.name_of(100, "nginx"), "nginx");  // same comm: cached
  EXPECT_EQ(namer.name_of(100, "python3"), "python3.11");
  namer.forget(100);
  EXPECT_EQ(namer.cached(), 0u);
}

}  // namespace
}  // namespace redeye
