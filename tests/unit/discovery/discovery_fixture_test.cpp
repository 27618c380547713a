// End to end over the fixture /proc tree: read each process, then name it by default.
#include <gtest/gtest.h>

#include <string>

#include "discovery/procfs_reader.h"
#include "discovery/service_naming.h"

namespace redeye::discovery {
namespace {

struct FixtureCase {
  const char* label;
  uint32_t pid;
  ServiceName name;
  ContainerIdentity container;
  std::string systemd_unit;
};

class FixtureNamingTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(FixtureNamingTest, NamesTheProcess) {
  const FixtureCase& c = GetParam();
  const auto process = ProcfsReader(REDEYE_PROC_FIXTURES).read(c.pid);
  ASSERT_TRUE(process) << c.pid;
  EXPECT_EQ(process->container, c.container);
  EXPECT_EQ(process->systemd_unit, c.systemd_unit);
  EXPECT_EQ(default_service_name(*process), c.name);
}

constexpr char kDocker[] = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
constexpr char kDocker2[] = "b7e4c0ffee0123456789abcdef0123456789abcdef0123456789abcdef012345";
constexpr char kNerdctl[] = "c0ffee11223344556677889900aabbccddeeff00112233445566778899aabbcc";
constexpr char kK8sCtr[] = "d4c3b2a1d4c3b2a1d4c3b2a1d4c3b2a1d4c3b2a1d4c3b2a1d4c3b2a1d4c3b2a1";
constexpr char kK8sUid[] = "5f1e2d3c-4b5a-4697-8877-665544332211";
constexpr char kK8sCtr2[] = "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6";
constexpr char kK8sUid2[] = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
constexpr char kCrio[] = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed";
constexpr char kCrioUid[] = "7c6b5a49-3827-4165-9f8e-7d6c5b4a3928";
constexpr char kPodman[] = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureNamingTest,
    ::testing::Values(
        FixtureCase{"systemd", 100, {"nginx", "", "systemd"}, {}, "nginx.service"},
        FixtureCase{"docker_cgroupfs_v1",
                    200,
                    {"container-a1b2c3d4e5f6", "", "container"},
                    {"docker", kDocker, "", ""},
                    ""},
        FixtureCase{"docker_systemd_v2",
                    201,
                    {"container-b7e4c0ffee01", "", "container"},
                    {"docker", kDocker2, "", ""},
                    ""},
        FixtureCase{"containerd_nerdctl",
                    301,
                    {"container-c0ffee112233", "", "container"},
                    {"containerd", kNerdctl, "", ""},
                    ""},
        FixtureCase{"kubernetes_systemd_containerd",
                    400,
                    {"shop-api", "", "kubernetes"},
                    {"containerd", kK8sCtr, kK8sUid, "burstable"},
                    ""},
        FixtureCase{"kubernetes_cgroupfs_statefulset",
                    401,
                    {"mes-db", "", "kubernetes"},
                    {"", kK8sCtr2, kK8sUid2, "besteffort"},
                    ""},
        FixtureCase{"kubernetes_crio_daemonset",
                    500,
                    {"node-exporter", "", "kubernetes"},
                    {"cri-o", kCrio, kCrioUid, "guaranteed"},
                    ""},
        FixtureCase{"crio_conmon", 501, {"conmon", "", "exe"}, {}, ""},
        FixtureCase{"podman",
                    600,
                    {"container-9a8b7c6d5e4f", "", "container"},
                    {"podman", kPodman, "", ""},
                    ""},
        FixtureCase{
            "otel_service_name", 700, {"checkout", "shop", "otel_env"}, {}, "checkout.service"},
        FixtureCase{"otel_resource_attributes", 701, {"billing", "fin,ance", "otel_env"}, {}, ""},
        FixtureCase{"user_service_gone_mid_read", 800, {"foo", "", "systemd"}, {}, "foo.service"}),
    [](const ::testing::TestParamInfo<FixtureCase>& info) {
      return std::string(info.param.label);
    });

}  // namespace
}  // namespace redeye::discovery
