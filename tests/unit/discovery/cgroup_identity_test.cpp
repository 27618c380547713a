#include "discovery/cgroup_identity.h"

#include <gtest/gtest.h>

#include <string>

namespace redeye::discovery {
namespace {

constexpr char kId[] = "4f9c2b1a7e3d5c6b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3";
constexpr char kUid[] = "5f1e2d3c-4b5a-4697-8877-665544332211";
constexpr char kUidUnderscores[] = "5f1e2d3c_4b5a_4697_8877_665544332211";
constexpr char kStaticPodUid[] = "1c2a3b4d5e6f708192a3b4c5d6e7f809";

struct IdentityCase {
  const char* label;
  std::string path;
  ContainerIdentity expected;
  std::string unit;
};

std::string id() { return kId; }
std::string uid() { return kUid; }
std::string uid_() { return kUidUnderscores; }

class ParseCgroupTest : public ::testing::TestWithParam<IdentityCase> {};

TEST_P(ParseCgroupTest, IdentityAndUnit) {
  const IdentityCase& c = GetParam();
  EXPECT_EQ(parse_container_identity(c.path), c.expected) << c.path;
  EXPECT_EQ(systemd_unit_from_cgroup(c.path), c.unit) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Paths, ParseCgroupTest,
    ::testing::Values(
        // Outside containers.
        IdentityCase{"root", "/", {}, ""}, IdentityCase{"empty", "", {}, ""},
        IdentityCase{"system_service", "/system.slice/nginx.service", {}, "nginx.service"},
        IdentityCase{"template_instance",
                     "/system.slice/system-getty.slice/getty@tty1.service",
                     {},
                     "getty@tty1.service"},
        IdentityCase{"service_subgroup",
                     "/system.slice/postgresql@16-main.service/workers",
                     {},
                     "postgresql@16-main.service"},
        IdentityCase{"user_service",
                     "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
                     {},
                     "foo.service"},
        IdentityCase{"user_manager_itself",
                     "/user.slice/user-1000.slice/user@1000.service/init.scope",
                     {},
                     ""},
        IdentityCase{"session_scope", "/user.slice/user-1000.slice/session-3.scope", {}, ""},
        IdentityCase{"init_scope", "/init.scope", {}, ""},
        IdentityCase{"bare_service_suffix", "/system.slice/.service", {}, ""},
        IdentityCase{"short_hex_is_not_an_id", "/docker/4f9c2b1a7e3d", {}, ""},
        IdentityCase{"uppercase_hex_is_not_an_id",
                     "/docker/4F9C2B1A7E3D5C6B8A9F0E1D2C3B4A5968778695A4B3C2D1E0F9A8B7C6D5E4F3",
                     {},
                     ""},
        // docker
        IdentityCase{"docker_cgroupfs", "/docker/" + id(), {"docker", id(), "", ""}, ""},
        IdentityCase{"docker_systemd",
                     "/system.slice/docker-" + id() + ".scope",
                     {"docker", id(), "", ""},
                     ""},
        IdentityCase{"docker_in_docker",
                     "/docker/" + std::string(64, 'a') + "/docker/" + id(),
                     {"docker", id(), "", ""},
                     ""},
        IdentityCase{"dockerd_itself", "/system.slice/docker.service", {}, "docker.service"},
        // containerd
        IdentityCase{"containerd_scope",
                     "/system.slice/cri-containerd-" + id() + ".scope",
                     {"containerd", id(), "", ""},
                     ""},
        IdentityCase{"nerdctl_scope",
                     "/system.slice/nerdctl-" + id() + ".scope",
                     {"containerd", id(), "", ""},
                     ""},
        IdentityCase{"containerd_service_child",
                     "/system.slice/containerd.service/" + id(),
                     {"containerd", id(), "", ""},
                     ""},
        IdentityCase{
            "containerd_itself", "/system.slice/containerd.service", {}, "containerd.service"},
        IdentityCase{"containerd_service_k8s_colon_form",
                     "/system.slice/containerd.service/kubepods-burstable-pod" + uid_() +
                         ".slice:cri-containerd:" + id(),
                     {"containerd", id(), uid(), "burstable"},
                     ""},
        // cri-o
        IdentityCase{
            "crio_scope", "/machine.slice/crio-" + id() + ".scope", {"cri-o", id(), "", ""}, ""},
        IdentityCase{"crio_conmon_is_not_the_container",
                     "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid_() +
                         ".slice/crio-conmon-" + id() + ".scope",
                     {},
                     ""},
        IdentityCase{"crio_cgroupfs",
                     "/kubepods/burstable/pod" + uid() + "/crio-" + id(),
                     {"cri-o", id(), uid(), "burstable"},
                     ""},
        // podman
        IdentityCase{"podman_machine_slice",
                     "/machine.slice/libpod-" + id() + ".scope",
                     {"podman", id(), "", ""},
                     ""},
        IdentityCase{"podman_container_subgroup",
                     "/machine.slice/libpod-" + id() + ".scope/container",
                     {"podman", id(), "", ""},
                     ""},
        IdentityCase{
            "podman_rootless",
            "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id() + ".scope",
            {"podman", id(), "", ""},
            ""},
        IdentityCase{
            "podman_cgroupfs", "/libpod_parent/libpod-" + id(), {"podman", id(), "", ""}, ""},
        IdentityCase{"podman_conmon", "/machine.slice/libpod-conmon-" + id() + ".scope", {}, ""},
        IdentityCase{"podman_quadlet_unit_split_cgroups",
                     "/user.slice/user-1000.slice/user@1000.service/app.slice/web.service/"
                     "libpod-payload-" +
                         id(),
                     {"podman", id(), "", ""},
                     "web.service"},
        IdentityCase{"podman_service_container",
                     "/system.slice/podman.service/libpod-" + id(),
                     {"podman", id(), "", ""},
                     ""},
        // Kubernetes, cgroupfs driver
        IdentityCase{"k8s_cgroupfs_burstable",
                     "/kubepods/burstable/pod" + uid() + "/" + id(),
                     {"", id(), uid(), "burstable"},
                     ""},
        IdentityCase{"k8s_cgroupfs_besteffort",
                     "/kubepods/besteffort/pod" + uid() + "/" + id(),
                     {"", id(), uid(), "besteffort"},
                     ""},
        IdentityCase{"k8s_cgroupfs_guaranteed",
                     "/kubepods/pod" + uid() + "/" + id(),
                     {"", id(), uid(), "guaranteed"},
                     ""},
        IdentityCase{"k8s_cgroupfs_docker_parent",
                     "/kubepods/burstable/pod" + uid() + "/docker-" + id() + ".scope",
                     {"docker", id(), uid(), "burstable"},
                     ""},
        IdentityCase{"k8s_pod_level_only",
                     "/kubepods/burstable/pod" + uid(),
                     {"", "", uid(), "burstable"},
                     ""},
        IdentityCase{"k8s_qos_level_only", "/kubepods/burstable", {}, ""},
        IdentityCase{"k8s_static_pod_uid",
                     "/kubepods/pod" + std::string(kStaticPodUid) + "/" + id(),
                     {"", id(), kStaticPodUid, "guaranteed"},
                     ""},
        IdentityCase{
            "pod_segment_outside_kubepods", "/pod" + uid() + "/" + id(), {"", id(), "", ""}, ""},
        // Kubernetes, systemd driver
        IdentityCase{"k8s_systemd_burstable_containerd",
                     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_() +
                         ".slice/cri-containerd-" + id() + ".scope",
                     {"containerd", id(), uid(), "burstable"},
                     ""},
        IdentityCase{"k8s_systemd_besteffort_crio",
                     "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid_() +
                         ".slice/crio-" + id() + ".scope",
                     {"cri-o", id(), uid(), "besteffort"},
                     ""},
        IdentityCase{"k8s_systemd_guaranteed_docker",
                     "/kubepods.slice/kubepods-pod" + uid_() + ".slice/docker-" + id() + ".scope",
                     {"docker", id(), uid(), "guaranteed"},
                     ""},
        IdentityCase{"k8s_kind_cgroup_root",
                     "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
                     "kubelet-kubepods-besteffort-pod" +
                         uid_() + ".slice/cri-containerd-" + id() + ".scope",
                     {"containerd", id(), uid(), "besteffort"},
                     ""},
        IdentityCase{"k8s_systemd_nested_in_scope",
                     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_() +
                         ".slice/cri-containerd-" + id() + ".scope/init",
                     {"containerd", id(), uid(), "burstable"},
                     ""}),
    [](const ::testing::TestParamInfo<IdentityCase>& info) {
      return std::string(info.param.label);
    });

}  // namespace
}  // namespace redeye::discovery
