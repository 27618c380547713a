// Which kernel hooks see socket I/O (config io_hooks) given what the kernel offers.
#include <gtest/gtest.h>

#include "bpf/kernel_probes.h"

namespace redeye {
namespace {

constexpr const char kMissing[] = "the kernel lacks the sock/sock_send_length tracepoints";

TEST(IoHooksTest, AutoPrefersTheSocketTracepointsWhenTheKernelHasThem) {
  EXPECT_EQ(choose_io_hooks("auto", ""), IoHooks::kSocketTracepoints);
}

TEST(IoHooksTest, AutoFallsBackToSyscallTracepoints) {
  EXPECT_EQ(choose_io_hooks("auto", kMissing), IoHooks::kSyscalls);
}

TEST(IoHooksTest, SyscallsIsHonouredEvenWhenSocketTracepointsExist) {
  EXPECT_EQ(choose_io_hooks("syscalls", ""), IoHooks::kSyscalls);
  EXPECT_EQ(choose_io_hooks("syscalls", kMissing), IoHooks::kSyscalls);
}

TEST(IoHooksTest, SocketOnAKernelWithoutThemIsAnErrorNamingTheKeyAndTheFix) {
  EXPECT_EQ(choose_io_hooks("socket", ""), IoHooks::kSocketTracepoints);
  try {
    choose_io_hooks("socket", kMissing);
    FAIL() << "expected ProbeError";
  } catch (const ProbeError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("io_hooks: socket"), std::string::npos) << text;
    EXPECT_NE(text.find(kMissing), std::string::npos) << text;
    EXPECT_NE(text.find("io_hooks: auto or syscalls"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

// The machine running the tests: the answer must be one of the two, and consistent with
// what the kernel's BTF says (on the project's 6.18 VM: the socket tracepoints exist).
TEST(IoHooksTest, ThisKernelsAnswerIsConsistent) {
  const std::string missing = socket_tracepoints_missing();
  EXPECT_EQ(choose_io_hooks("auto", missing),
            missing.empty() ? IoHooks::kSocketTracepoints : IoHooks::kSyscalls);
}

}  // namespace
}  // namespace redeye
