// read_text_file, the one whole-file reader of host/ and discovery/.
#include "host/text_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "host/proc_stats.h"

namespace redeye::host {
namespace {

namespace fs = std::filesystem;

class TextFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("redeye_text_file_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  fs::path dir_;
};

std::string pattern(size_t size) {
  std::string text(size, '\0');
  for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

TEST_F(TextFileTest, ReadsAFileBiggerThanOneReadBuffer) {
  const std::string text = pattern(3 * 4096 + 17);
  EXPECT_EQ(read_text_file(write("big", text)), text);
}

TEST_F(TextFileTest, EmptyFileIsEmptyNotMissing) {
  EXPECT_EQ(read_text_file(write("empty", "")), std::string());
}

TEST_F(TextFileTest, MissingFileOrDirectoryIsNullopt) {
  EXPECT_EQ(read_text_file((dir_ / "absent").string()), std::nullopt);
  EXPECT_EQ(read_text_file(dir_.string()), std::nullopt);  // read() fails with EISDIR
}

TEST_F(TextFileTest, StopsAtTheCapUnlessToldNotTo) {
  const std::string text = pattern(kTextFileCap + 3 * 4096);
  const std::string path = write("huge", text);
  const auto capped = read_text_file(path);
  ASSERT_TRUE(capped);
  EXPECT_GE(capped->size(), kTextFileCap);
  EXPECT_LT(capped->size(), kTextFileCap + 4096);
  EXPECT_EQ(*capped, text.substr(0, capped->size()));
  EXPECT_EQ(read_text_file(path, kNoSizeCap), text);
  const auto small = read_text_file(path, 100);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->size(), 4096u);  // one read's worth
}

TEST(TextFile, ReadsProcFilesThatReportSizeZero) {
  ASSERT_EQ(fs::file_size("/proc/self/stat"), 0u);
  const auto text = read_text_file("/proc/self/stat");
  ASSERT_TRUE(text);
  const auto stat = parse_stat(*text);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->ppid, static_cast<uint32_t>(::getppid()));
  EXPECT_GT(stat->start_time_ticks, 0u);
}

}  // namespace
}  // namespace redeye::host
