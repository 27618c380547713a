// Container, Kubernetes pod and systemd unit of a process, read off its cgroup path
// (the path part of a /proc/<pid>/cgroup line, e.g. "/system.slice/nginx.service").
#pragma once

#include <string>
#include <string_view>

#include "discovery/process_info.h"

namespace redeye::discovery {

// Recognises, anywhere in the path (the innermost container wins, so nested containers name
// the inner one):
//   docker      /docker/<id>, /system.slice/docker-<id>.scope
//   containerd  cri-containerd-<id>.scope, nerdctl-<id>.scope, <id> below containerd.service,
//               and the "<slice>:cri-containerd:<id>" form below containerd.service
//   cri-o       crio-<id>.scope, crio-<id> (cgroupfs driver)
//   podman      libpod-<id>.scope (machine.slice, rootless user slices), libpod-<id>,
//               libpod-payload-<id> (--cgroups=split)
//   Kubernetes  /kubepods[/burstable|/besteffort]/pod<uid>/<id> (cgroupfs driver) and
//               /kubepods.slice/kubepods[-<qos>].slice/kubepods[-<qos>]-pod<uid>.slice/...
//               (systemd driver, also behind a cgroup root such as kind's kubelet.slice); the
//               runtime is "" when only a bare id shows; QoS "guaranteed" when no class shows.
// A container id is exactly 64 lowercase hex characters; a bare 64-hex segment is a container
// (runtime from an ancestor: "docker", "containerd.service", else ""). Runtime monitors
// (crio-conmon-<id>, libpod-conmon-<id>) are not containers: the result is empty for them,
// pod included, so a monitor never takes a pod's name.
ContainerIdentity parse_container_identity(std::string_view cgroup_path);

// The innermost "*.service" segment ("nginx.service", "foo.service" in
// "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service"), or "" when there is
// none. Not units to name by, hence "": scopes (session-3.scope, docker-<id>.scope), slices,
// the per-user manager user@<uid>.service itself, a unit with a Kubernetes pod below it
// (containerd.service/<pod slice>:cri-containerd:<id> is the pod, not containerd), and a
// container runtime's unit (containerd, docker, crio, podman .service) with a container
// below it. Any other unit with a container below it is kept: podman run by a Quadlet unit
// "web.service" is named by that unit.
std::string systemd_unit_from_cgroup(std::string_view cgroup_path);

}  // namespace redeye::discovery
