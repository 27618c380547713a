#include "host/proc_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>

namespace redeye::host {
namespace {

const std::string kProc = std::string(REDEYE_HOST_FIXTURES) + "/proc";

constexpr const char* kStat =
    "4242 (my) (app) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1234 567 0 0 20 0 3 0 987654 "
    "1234567168 2500 18446744073709551615 94018340143104 94018340999749 140726493497488 0 0 0 0 "
    "4096 17159 0 0 0 17 2 0 0 0 0 0 94018341210352 94018341243144 94018357612544 "
    "140726493503218 140726493503246 140726493503246 140726493507555 0\n";

TEST(ParseStat, ReadsFieldsAfterTheLastParenthesis) {
  auto st = parse_stat(kStat);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "my) (app");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->utime_ticks, 1234u);
  EXPECT_EQ(st->stime_ticks, 567u);
  EXPECT_EQ(st->num_threads, 3u);
  EXPECT_EQ(st->start_time_ticks, 987654u);
  EXPECT_EQ(st->vsize_bytes, 1234567168u);
  EXPECT_EQ(st->rss_pages, 2500u);
}

TEST(ParseStat, CommWithSpacesAndEmptyComm) {
  auto st = parse_stat(
      "12 (a b ) c) R 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 99 4096 1 0 0 0 0 0 0 0 0 0 0 0 0");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "a b ) c");
  EXPECT_EQ(st->state, 'R');
  EXPECT_EQ(st->utime_ticks, 7u);
  auto empty = parse_stat("13 () S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->comm, "");
  EXPECT_EQ(empty->vsize_bytes, 0u);
}

TEST(ParseStat, RejectsGarbage) {
  EXPECT_FALSE(parse_stat(""));
  EXPECT_FALSE(parse_stat("this is not a stat file"));
  EXPECT_FALSE(parse_stat(")("));
  EXPECT_FALSE(parse_stat("4242 (x"));
  EXPECT_FALSE(parse_stat("abc (x) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_stat("7000 (short) S 1 7000 7000 0 -1 4194560 12"));
  // Non-numeric utime, negative rss, two-letter state.
  EXPECT_FALSE(parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 a 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 -3"));
  EXPECT_FALSE(parse_stat("1 (x) SS 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_stat(std::string_view("1 (x)\0 S", 8)));
}

// Moved from tests/unit/discovery/procfs_reader_test.cpp with discovery's own parse_stat.
TEST(ParseStat, CommWithSpacesAndParentheses) {
  const auto fields = parse_stat(
      "800 (my (weird) proc) S 1 800 800 0 -1 4194560 1532 0 0 0 12 7 0 0 20 0 1 0 9900 "
      "11931648 1496 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 3 0 0 0 0 0\n");
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->comm, "my (weird) proc");
  EXPECT_EQ(fields->state, 'S');
  EXPECT_EQ(fields->ppid, 1u);
  EXPECT_EQ(fields->start_time_ticks, 9900u);
}

TEST(ParseStat, CommEndingInParenthesisAndSpace) {
  const auto fields =
      parse_stat("7 (a) ) R 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123456789012 0 0");
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->comm, "a) ");
  EXPECT_EQ(fields->start_time_ticks, 123456789012u);
}

TEST(ParseStat, RejectsTruncatedOrMalformed) {
  EXPECT_FALSE(parse_stat(""));
  EXPECT_FALSE(parse_stat("1 (init"));
  EXPECT_FALSE(parse_stat("1 (init) S 0 1 1"));
  EXPECT_FALSE(parse_stat("1 (init) S x 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0"));
  EXPECT_FALSE(parse_stat("1 (init) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0"));
}

TEST(ParseStat, ReadsTheParentPidAndRejectsABadOne) {
  // The one stat parser serves discovery too, which needs the parent.
  auto st = parse_stat(kStat);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->ppid, 1u);
  EXPECT_FALSE(parse_stat("1 (x) S p 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_stat("1 (x) S 4294967296 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
  const auto spaced = parse_stat("9 (a (b) c) d) S 77 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->comm, "a (b) c) d");
  EXPECT_EQ(spaced->ppid, 77u);
}

TEST(ParseIo, ReadsBytes) {
  auto io = parse_io(
      "rchar: 52428800\nwchar: 1048576\nsyscr: 1200\nsyscw: 300\nread_bytes: 8192000\n"
      "write_bytes: 40960\ncancelled_write_bytes: 4096\n");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->rchar, 52428800u);
  EXPECT_EQ(io->wchar, 1048576u);
  EXPECT_EQ(io->read_bytes, 8192000u);
  EXPECT_EQ(io->write_bytes, 40960u);
  EXPECT_EQ(io->cancelled_write_bytes, 4096u);
}

TEST(ParseIo, RejectsGarbage) {
  EXPECT_FALSE(parse_io(""));
  EXPECT_FALSE(parse_io("rchar: 1\nwchar: 2\n"));  // no read_bytes/write_bytes
  EXPECT_FALSE(parse_io("read_bytes: x\nwrite_bytes: 1\n"));
  EXPECT_FALSE(parse_io("read_bytes 1\nwrite_bytes 1\n"));
  EXPECT_FALSE(parse_io("read_bytes: -1\nwrite_bytes: 1\n"));
  EXPECT_FALSE(parse_io("\x01\x02\x03"));
}

TEST(ParseLimits, SoftMaxOpenFiles) {
  const char* text =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max processes             63704                63704                processes \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_EQ(parse_limits_max_open_files(text), 1024u);
  EXPECT_EQ(parse_limits_max_open_files(
                "Max open files            unlimited            unlimited            files\n"),
            std::numeric_limits<uint64_t>::max());
}

TEST(ParseLimits, RejectsGarbage) {
  EXPECT_FALSE(parse_limits_max_open_files(""));
  EXPECT_FALSE(parse_limits_max_open_files("Max processes 10 10 processes\n"));
  EXPECT_FALSE(parse_limits_max_open_files("Max open files\n"));
  EXPECT_FALSE(parse_limits_max_open_files("Max open files   lots   lots   files\n"));
}

TEST(ParseSchedstat, ThreeCounters) {
  auto s = parse_schedstat("5000000000 1500000 300\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpu_time_ns, 5000000000u);
  EXPECT_EQ(s->wait_ns, 1500000u);
  EXPECT_EQ(s->timeslices, 300u);
}

TEST(ParseSchedstat, RejectsGarbage) {
  EXPECT_FALSE(parse_schedstat(""));
  EXPECT_FALSE(parse_schedstat("1 2\n"));
  EXPECT_FALSE(parse_schedstat("1 2 3 4\n"));
  EXPECT_FALSE(parse_schedstat("1 x 3\n"));
  EXPECT_FALSE(parse_schedstat("-1 2 3\n"));
}

TEST(ProcReader, ReadsFixtureProcess) {
  ProcReader reader(kProc, 100, 4096);
  auto s = reader.read(4242);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_user_seconds, 12.34);
  EXPECT_DOUBLE_EQ(s->cpu_system_seconds, 5.67);
  EXPECT_EQ(s->rss_bytes, 2500u * 4096u);
  EXPECT_EQ(s->virtual_bytes, 1234567168u);
  EXPECT_EQ(s->open_fds, 5u);
  EXPECT_EQ(s->fd_limit, 1024u);
  EXPECT_EQ(s->disk_read_bytes, 8192000u);
  EXPECT_EQ(s->disk_write_bytes, 40960u);
  EXPECT_EQ(s->run_queue_wait_ns, 1500000u + 250000u + 50u);  // summed over task/*
  EXPECT_EQ(s->threads, 3u);
  EXPECT_EQ(s->start_time_ticks, 987654u);
}

TEST(ProcReader, InjectedClockTicksAndPageSize) {
  ProcReader reader(kProc, 1000, 65536);
  auto s = reader.read(4242);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_user_seconds, 1.234);
  EXPECT_EQ(s->rss_bytes, 2500u * 65536u);
}

TEST(ProcReader, MissingFilesLeaveDefaults) {
  // No io (unreadable), no fd/ and no task/: unprivileged view of another user's process.
  ProcReader reader(kProc, 100, 4096);
  auto s = reader.read(5000);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->disk_read_bytes);
  EXPECT_FALSE(s->disk_write_bytes);
  EXPECT_EQ(s->open_fds, 0u);
  EXPECT_EQ(s->fd_limit, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s->run_queue_wait_ns, 20000u);  // falls back to the process's own schedstat
  EXPECT_DOUBLE_EQ(s->cpu_user_seconds, 2.5);
  EXPECT_EQ(s->threads, 1u);
}

TEST(ProcReader, GoneOrCorruptProcess) {
  ProcReader reader(kProc, 100, 4096);
  EXPECT_FALSE(reader.read(6000));  // garbage stat
  EXPECT_FALSE(reader.read(7000));  // truncated stat
  EXPECT_FALSE(reader.read(99999));
  EXPECT_FALSE(ProcReader("/nonexistent/proc").read(1));
}

TEST(ProcReader, RealProcSelf) {
  ProcReader reader;
  auto s = reader.read(static_cast<uint32_t>(::getpid()));
  ASSERT_TRUE(s);
  EXPECT_GT(s->rss_bytes, 0u);
  EXPECT_GT(s->virtual_bytes, s->rss_bytes);
  EXPECT_GE(s->threads, 1u);
  EXPECT_GT(s->open_fds, 0u);
  EXPECT_GT(s->fd_limit, 0u);
  EXPECT_GE(s->cpu_user_seconds + s->cpu_system_seconds, 0.0);
  EXPECT_GT(s->start_time_ticks, 0u);
  EXPECT_TRUE(s->disk_read_bytes);  // our own io file is always readable
}

}  // namespace
}  // namespace redeye::host
