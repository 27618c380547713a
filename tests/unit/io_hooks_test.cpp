// Which kernel hooks see socket I/O (config io_hooks) given what the kernel offers.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "bpf/kernel_probes.h"

namespace redeye {
namespace {

constexpr const char kMissing[] = "the kernel lacks the sock/sock_send_length tracepoints";

TEST(IoHooksTest, AutoPrefersTheSocketTracepointsWhenTheKernelHasThem) {
  EXPECT_EQ(choose_io_hooks(IoHooksSetting::kAuto, ""), IoHooks::kSocketTracepoints);
}

TEST(IoHooksTest, AutoFallsBackToSyscallTracepoints) {
  EXPECT_EQ(choose_io_hooks(IoHooksSetting::kAuto, kMissing), IoHooks::kSyscalls);
}

TEST(IoHooksTest, SyscallsIsHonouredEvenWhenSocketTracepointsExist) {
  EXPECT_EQ(choose_io_hooks(IoHooksSetting::kSyscalls, ""), IoHooks::kSyscalls);
  EXPECT_EQ(choose_io_hooks(IoHooksSetting::kSyscalls, kMissing), IoHooks::kSyscalls);
}

TEST(IoHooksTest, SocketOnAKernelWithoutThemIsAnErrorNamingTheKeyAndTheFix) {
  EXPECT_EQ(choose_io_hooks(IoHooksSetting::kSocket, ""), IoHooks::kSocketTracepoints);
  try {
    choose_io_hooks(IoHooksSetting::kSocket, kMissing);
    FAIL() << "expected ProbeError";
  } catch (const ProbeError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("io_hooks: socket"), std::string::npos) << text;
    EXPECT_NE(text.find(kMissing), std::string::npos) << text;
    EXPECT_NE(text.find("io_hooks: auto or syscalls"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

// The detector against an independent look at the running kernel's BTF: the tracepoints'
// type names are in its string section (on the project's 6.18 VM they are, so `auto` must
// pick the socket hooks there).
TEST(IoHooksTest, DetectorAgreesWithTheKernelsBtfStrings) {
  std::ifstream btf("/sys/kernel/btf/vmlinux", std::ios::binary);
  if (!btf) GTEST_SKIP() << "no /sys/kernel/btf/vmlinux on this machine";
  const std::string blob((std::istreambuf_iterator<char>(btf)), std::istreambuf_iterator<char>());
  auto has = [&blob](const char* name) {
    return blob.find(std::string(name) + '\0') != std::string::npos;
  };
  const bool kernel_has = has("btf_trace_sock_send_length") && has("btf_trace_sock_recv_length");
#if defined(__x86_64__) || defined(__aarch64__)
  EXPECT_EQ(socket_tracepoints_missing().empty(), kernel_has) << socket_tracepoints_missing();
#else
  EXPECT_FALSE(socket_tracepoints_missing().empty());
#endif
}

}  // namespace
}  // namespace redeye
