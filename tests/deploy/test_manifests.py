#!/usr/bin/python3
"""The deployment files: Kubernetes manifests, the systemd unit, the Dockerfile.

Checks what the agent needs in order to work as deployed (docs/DEPLOY.md): the host PID
namespace, exactly the documented capabilities, read-only host mounts at the paths the agent
reads, the probe endpoints, the port named "metrics", selectors that find the pods, and
kustomizations that list only files that exist and that every overlay changes only what it
says.

The kustomizations are rendered by this script (the subset of kustomize they use: resources,
JSON 6902 patches, images). When kubectl is on PATH, `kubectl kustomize` renders them too
and the results must be the same.

With --redeye BINARY it also checks that the ConfigMap's file passes `redeye check --config`
and states the same values as `redeye default-config`, that the Dockerfile installs a
package for every shared library the binary links (where dpkg can tell), and that
deploy/systemd/install.sh installs into a scratch directory, twice, without changes the
second time.

Needs Python 3 and PyYAML (Debian: python3-yaml). Exit codes: 0 pass, 1 fail.
"""

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean

try:
    import yaml
except ImportError:  # pragma: no cover - reported as a failure, not a skip
    print("FAIL: PyYAML is missing (Debian: apt-get install python3-yaml)")
    sys.exit(1)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
UNIT = os.path.join(ROOT, "deploy", "systemd", "redeye.service")
INSTALL = os.path.join(ROOT, "deploy", "systemd", "install.sh")
DOCKERFILE = os.path.join(ROOT, "deploy", "docker", "Dockerfile")

# The capabilities the agent needs (docs/DEPLOY.md has the why of each).
CAPS = {"BPF", "PERFMON", "SYS_PTRACE", "DAC_READ_SEARCH"}
NAMESPACE = "redeye"
CONFIG_PATH = "/etc/redeye/redeye.yaml"
PORT = 9464
# hostPath volumes: mounted read-only at the same path, because the agent reads fixed paths.
HOST_PATHS = {"/sys/fs/cgroup", "/sys/kernel/tracing"}
OVERLAYS = ["privileged", "kernel-5.8-to-5.10", "prometheus-operator"]
# Libraries of the base image (debian:12-slim) that need no package in the Dockerfile.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok

    def skip(self, what, why):
        print(f"skip  {what} ({why})")


# ---------------------------------------------------------------- kustomize, the used subset

class RenderError(Exception):
    pass


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def pointer_parts(pointer):
    if not pointer.startswith("/"):
        raise RenderError(f"JSON pointer {pointer!r} does not start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def walk(doc, parts):
    node = doc
    for part in parts:
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                raise RenderError(f"path element {part!r} does not exist")
            node = node[part]
        else:
            raise RenderError(f"cannot descend into {type(node).__name__} at {part!r}")
    return node


def apply_json6902(doc, ops):
    for op in ops:
        parts = pointer_parts(op["path"])
        parent = walk(doc, parts[:-1])
        last = parts[-1]
        kind = op["op"]
        if kind == "add":
            if isinstance(parent, list):
                if last == "-":
                    parent.append(copy.deepcopy(op["value"]))
                else:
                    parent.insert(int(last), copy.deepcopy(op["value"]))
            else:
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "replace":
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op["value"])
            else:
                if last not in parent:
                    raise RenderError(f"replace of missing {op['path']}")
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
        else:
            raise RenderError(f"patch op {kind!r} is not supported by this test")


def target_matches(doc, target):
    api = doc.get("apiVersion", "")
    group, _, version = api.rpartition("/")
    for key, value in target.items():
        actual = {"kind": doc.get("kind"), "name": doc.get("metadata", {}).get("name"),
                  "namespace": doc.get("metadata", {}).get("namespace"),
                  "group": group, "version": version}.get(key)
        if key not in ("kind", "name", "namespace", "group", "version"):
            raise RenderError(f"patch target key {key!r} is not supported by this test")
        if actual != value:
            return False
    return True


def pod_spec(doc):
    if doc.get("kind") in ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job"):
        return doc["spec"]["template"]["spec"]
    if doc.get("kind") == "Pod":
        return doc["spec"]
    return None


def apply_images(docs, images):
    for image in images:
        unknown = set(image) - {"name", "newName", "newTag"}
        if unknown:
            raise RenderError(f"images keys {sorted(unknown)} are not supported by this test")
        for doc in docs:
            spec = pod_spec(doc)
            if not spec:
                continue
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                ref = c["image"].split("@")[0]
                if ":" in ref.rsplit("/", 1)[-1]:
                    name, tag = ref.rsplit(":", 1)
                else:
                    name, tag = ref, None
                if name != image["name"]:
                    continue
                new = image.get("newName", name)
                new_tag = image.get("newTag", tag)
                c["image"] = new + (f":{new_tag}" if new_tag else "")


def kustomization_file(directory):
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise RenderError(f"{directory} has no kustomization.yaml")


def referenced_paths(directory):
    """Every path a kustomization names, relative to the repository root."""
    k = load_docs(kustomization_file(directory))[0]
    paths = [os.path.normpath(os.path.join(directory, r)) for r in k.get("resources", [])]
    for p in k.get("patches", []):
        if "path" in p:
            paths.append(os.path.normpath(os.path.join(directory, p["path"])))
    return paths


def render(directory):
    path = kustomization_file(directory)
    k = load_docs(path)[0]
    supported = {"apiVersion", "kind", "resources", "patches", "images"}
    unknown = set(k) - supported
    if unknown:
        raise RenderError(f"{path}: keys {sorted(unknown)} are not supported by this test")
    if k.get("kind") != "Kustomization":
        raise RenderError(f"{path}: kind is not Kustomization")
    docs = []
    for res in k.get("resources", []):
        full = os.path.normpath(os.path.join(directory, res))
        if os.path.isdir(full):
            docs.extend(render(full))
        elif os.path.isfile(full):
            docs.extend(load_docs(full))
        else:
            raise RenderError(f"{path}: resource {res} does not exist")
    for patch in k.get("patches", []):
        if "path" in patch:
            ops = load_docs(os.path.join(directory, patch["path"]))[0]
        else:
            ops = yaml.safe_load(patch["patch"])
        if not isinstance(ops, list):
            raise RenderError(f"{path}: only JSON 6902 patches (a list of ops) are supported")
        target = patch.get("target")
        if not target:
            raise RenderError(f"{path}: a JSON 6902 patch needs a target")
        hits = [d for d in docs if target_matches(d, target)]
        if not hits:
            raise RenderError(f"{path}: patch target {target} matches nothing")
        for d in hits:
            apply_json6902(d, ops)
    apply_images(docs, k.get("images", []))
    return docs


def keyed(docs):
    out = {}
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"), d.get("metadata", {}).get("namespace"),
               d.get("metadata", {}).get("name"))
        if key in out:
            raise RenderError(f"two objects {key}")
        out[key] = d
    return out


def only(docs, kind):
    found = [d for d in docs if d.get("kind") == kind]
    if len(found) != 1:
        raise RenderError(f"expected one {kind}, found {len(found)}")
    return found[0]


# ---------------------------------------------------------------- checks

def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*redeye\s+VERSION\s+([0-9.]+)", f.read())
    return m.group(1) if m else None


def check_files(c):
    yaml_files = []
    for dirpath, _, files in os.walk(K8S):
        for f in files:
            full = os.path.join(dirpath, f)
            if not f.endswith((".yaml", ".yml")):
                c.check(False, f"only YAML in deploy/kubernetes", os.path.relpath(full, ROOT))
                continue
            yaml_files.append(full)
            try:
                load_docs(full)
                c.check(True, f"parses: {os.path.relpath(full, ROOT)}")
            except yaml.YAMLError as e:
                c.check(False, f"parses: {os.path.relpath(full, ROOT)}", str(e))

    kustomize_dirs = [d for d, _, files in os.walk(K8S) if "kustomization.yaml" in files]
    referenced = set()
    for d in kustomize_dirs:
        paths = referenced_paths(d)
        missing = [os.path.relpath(p, ROOT) for p in paths if not os.path.exists(p)]
        c.check(not missing, f"{os.path.relpath(d, ROOT)}/kustomization.yaml names only "
                             f"files that exist", f"missing: {missing}")
        referenced.update(paths)
        referenced.add(os.path.join(d, "kustomization.yaml"))
    orphans = [os.path.relpath(f, ROOT) for f in yaml_files if f not in referenced]
    c.check(not orphans, "every manifest is part of a kustomization", f"orphans: {orphans}")


def check_base(c, docs):
    c.check(sorted(d["kind"] for d in docs) ==
            sorted(["Namespace", "ServiceAccount", "ConfigMap", "DaemonSet", "Service"]),
            "base renders Namespace, ServiceAccount, ConfigMap, DaemonSet, Service",
            str([d["kind"] for d in docs]))
    ns = only(docs, "Namespace")
    c.check(ns["metadata"]["name"] == NAMESPACE, f"namespace is {NAMESPACE}")
    c.check(ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce")
            == "privileged", "namespace admits privileged pods (Pod Security Admission)")
    wrong_ns = [d["kind"] for d in docs if d["kind"] != "Namespace"
                and d["metadata"].get("namespace") != NAMESPACE]
    c.check(not wrong_ns, f"every object is in namespace {NAMESPACE}", str(wrong_ns))

    ds = only(docs, "DaemonSet")
    sa = only(docs, "ServiceAccount")
    cm = only(docs, "ConfigMap")
    svc = only(docs, "Service")
    spec = ds["spec"]["template"]["spec"]
    c.check(spec.get("hostPID") is True, "DaemonSet: hostPID: true")
    c.check(not spec.get("hostNetwork"), "DaemonSet: no hostNetwork")
    c.check(spec.get("serviceAccountName") == sa["metadata"]["name"],
            "DaemonSet: runs as the ServiceAccount")
    c.check(spec.get("automountServiceAccountToken") is False
            and sa.get("automountServiceAccountToken") is False,
            "no service account token is mounted (the agent never calls the API)")
    c.check({"operator": "Exists"} in spec.get("tolerations", []),
            "DaemonSet: tolerates every taint (runs on every node)")
    strategy = ds["spec"].get("updateStrategy", {})
    c.check(strategy.get("type") == "RollingUpdate"
            and strategy.get("rollingUpdate", {}).get("maxUnavailable") == 1,
            "DaemonSet: RollingUpdate, maxUnavailable 1")
    selector = ds["spec"]["selector"]["matchLabels"]
    labels = ds["spec"]["template"]["metadata"]["labels"]
    c.check(selector.get("app.kubernetes.io/name") == "redeye"
            and all(labels.get(k) == v for k, v in selector.items()),
            "DaemonSet: selector app.kubernetes.io/name=redeye matches the pod labels")

    containers = spec["containers"]
    c.check(len(containers) == 1, "DaemonSet: one container")
    ctr = containers[0]
    c.check(ctr.get("args") == ["run", "--config", CONFIG_PATH, "--stay-up-on-error"],
            "container args: run --config /etc/redeye/redeye.yaml --stay-up-on-error",
            str(ctr.get("args")))
    version = project_version()
    c.check(ctr.get("image") == f"redeye:{version}",
            f"image redeye:{version} (the CMake project version)", ctr.get("image"))
    sc = ctr.get("securityContext", {})
    caps = sc.get("capabilities", {})
    add = caps.get("add", [])
    c.check(set(add) == CAPS and len(add) == len(CAPS),
            f"capabilities add exactly {sorted(CAPS)}", str(add))
    c.check(caps.get("drop") == ["ALL"], "capabilities drop ALL", str(caps.get("drop")))
    c.check(sc.get("runAsUser") == 0, "runAsUser 0")
    c.check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
    c.check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem true")
    c.check(not sc.get("privileged"), "not privileged")

    ports = [p for p in ctr.get("ports", []) if p.get("name") == "metrics"]
    c.check(len(ports) == 1 and ports[0].get("containerPort") == PORT
            and ports[0].get("protocol", "TCP") == "TCP",
            f"container port {PORT} named metrics")
    for probe, path in (("readinessProbe", "/healthz"), ("livenessProbe", "/livez")):
        get = ctr.get(probe, {}).get("httpGet", {})
        c.check(get.get("path") == path and get.get("port") == "metrics",
                f"{probe}: GET {path} on port metrics", str(get))
    env = {e["name"]: e for e in ctr.get("env", [])}
    c.check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {})
            .get("fieldPath") == "spec.nodeName", "env NODE_NAME from spec.nodeName")
    res = ctr.get("resources", {})
    c.check(all(k in res.get(level, {}) for level in ("requests", "limits")
                for k in ("cpu", "memory")), "cpu and memory requests and limits are set")

    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["name"]: m for m in ctr.get("volumeMounts", [])}
    c.check(all(m.get("readOnly") is True for m in mounts.values()),
            "every volume is mounted read-only")
    host = {v["hostPath"]["path"]: name for name, v in volumes.items() if "hostPath" in v}
    c.check(set(host) == HOST_PATHS, f"hostPath volumes are exactly {sorted(HOST_PATHS)}",
            str(sorted(host)))
    for path, name in host.items():
        c.check(mounts.get(name, {}).get("mountPath") == path,
                f"hostPath {path} is mounted at the same path in the container")
    config_volumes = [n for n, v in volumes.items() if "configMap" in v]
    c.check(len(config_volumes) == 1
            and volumes[config_volumes[0]]["configMap"]["name"] == cm["metadata"]["name"]
            and mounts.get(config_volumes[0], {}).get("mountPath")
            == os.path.dirname(CONFIG_PATH),
            f"the ConfigMap is mounted at {os.path.dirname(CONFIG_PATH)}")
    c.check(os.path.basename(CONFIG_PATH) in cm.get("data", {}),
            f"the ConfigMap has the key {os.path.basename(CONFIG_PATH)}")

    config = yaml.safe_load(cm["data"][os.path.basename(CONFIG_PATH)])
    listen = str(config.get("listen", "")) if isinstance(config, dict) else ""
    c.check(listen.rsplit(":", 1)[-1] == str(PORT),
            f"the configuration listens on port {PORT}, the container port", listen)

    c.check(svc["spec"].get("clusterIP") == "None", "Service is headless")
    c.check(svc["spec"].get("selector") == selector, "Service selects the agent pods")
    sports = [p for p in svc["spec"].get("ports", []) if p.get("name") == "metrics"]
    c.check(len(sports) == 1 and sports[0].get("port") == PORT
            and sports[0].get("targetPort") == "metrics", "Service port metrics -> metrics")
    ann = svc["metadata"].get("annotations", {})
    c.check(ann.get("prometheus.io/scrape") == "true"
            and ann.get("prometheus.io/port") == str(PORT),
            "Service has prometheus.io/scrape and prometheus.io/port annotations")
    return config


def container_of(docs):
    return only(docs, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]


def without_security_context(docs):
    out = copy.deepcopy(docs)
    for d in out:
        if d["kind"] == "DaemonSet":
            d["spec"]["template"]["spec"]["containers"][0].pop("securityContext", None)
    return keyed(out)


def check_overlays(c, base, rendered):
    priv = rendered["privileged"]
    sc = container_of(priv).get("securityContext", {})
    c.check(sc.get("privileged") is True and "capabilities" not in sc
            and sc.get("allowPrivilegeEscalation") is not False,
            "overlay privileged: privileged container, no capability list",
            str(sc))
    c.check(without_security_context(priv) == without_security_context(base),
            "overlay privileged: changes nothing but the securityContext")

    old = rendered["kernel-5.8-to-5.10"]
    add = container_of(old).get("securityContext", {}).get("capabilities", {}).get("add", [])
    c.check(set(add) == CAPS | {"SYS_RESOURCE"} and len(add) == len(CAPS) + 1,
            "overlay kernel-5.8-to-5.10: the base capabilities plus SYS_RESOURCE", str(add))
    base_sc = copy.deepcopy(container_of(base)["securityContext"])
    old_sc = copy.deepcopy(container_of(old)["securityContext"])
    old_sc["capabilities"]["add"] = [a for a in old_sc["capabilities"]["add"]
                                     if a != "SYS_RESOURCE"]
    c.check(old_sc == base_sc and without_security_context(old) == without_security_context(base),
            "overlay kernel-5.8-to-5.10: changes nothing else")

    prom = rendered["prometheus-operator"]
    monitors = [d for d in prom if d["kind"] == "PodMonitor"]
    c.check(len(monitors) == 1 and monitors[0]["apiVersion"] == "monitoring.coreos.com/v1",
            "overlay prometheus-operator: adds one monitoring.coreos.com/v1 PodMonitor")
    c.check(keyed([d for d in prom if d["kind"] != "PodMonitor"]) == keyed(base),
            "overlay prometheus-operator: the base unchanged")
    if monitors:
        pm = monitors[0]
        ds = only(base, "DaemonSet")
        c.check(pm["spec"].get("selector", {}).get("matchLabels")
                == ds["spec"]["selector"]["matchLabels"], "PodMonitor selects the agent pods")
        c.check(NAMESPACE in pm["spec"].get("namespaceSelector", {}).get("matchNames", []),
                f"PodMonitor looks in namespace {NAMESPACE}")
        c.check(pm["spec"].get("jobLabel") == "app.kubernetes.io/name",
                "PodMonitor: job label from app.kubernetes.io/name (job=\"redeye\", as the "
                "alerting rules expect)")
        eps = pm["spec"].get("podMetricsEndpoints", [])
        c.check(len(eps) == 1 and eps[0].get("port") == "metrics"
                and eps[0].get("interval") == "15s" and eps[0].get("path", "/metrics")
                == "/metrics", "PodMonitor scrapes port metrics, /metrics, every 15s")


def check_with_kubectl(c, dirs, rendered):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        c.skip("kubectl kustomize renders the same objects", "kubectl not on PATH")
        return
    for name, directory in dirs.items():
        p = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True,
                           timeout=60)
        if not c.check(p.returncode == 0, f"kubectl kustomize {os.path.relpath(directory, ROOT)}",
                       p.stderr.strip()[-500:]):
            continue
        theirs = keyed([d for d in yaml.safe_load_all(p.stdout) if d is not None])
        ours = keyed(rendered[name])
        diff = sorted(set(theirs) ^ set(ours)) or \
            [k for k in ours if ours[k] != theirs[k]]
        c.check(not diff, f"kubectl kustomize {os.path.relpath(directory, ROOT)} renders what "
                          f"this test renders", str(diff))


def unit_settings(path):
    """(section, key) -> list of values, in order (systemd keys may repeat)."""
    out = {}
    section = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            key, _, value = line.partition("=")
            out.setdefault((section, key.strip()), []).append(value.strip())
    return out


def syscall_groups():
    """systemd's syscall groups ("@debug" -> members), {} without systemd-analyze."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        return {}
    p = subprocess.run([analyze, "syscall-filter"], capture_output=True, text=True, timeout=60)
    groups, current = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand_syscalls(name, groups, seen=None):
    if not name.startswith("@") or name not in groups:
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = set()
    for member in groups[name]:
        out |= expand_syscalls(member, groups, seen)
    return out


def check_systemd(c):
    s = unit_settings(UNIT)
    get = lambda key: s.get(("Service", key), [])  # noqa: E731
    c.check(get("ExecStart") == [f"/usr/local/bin/redeye run --config {CONFIG_PATH}"],
            "unit: ExecStart runs /usr/local/bin/redeye with /etc/redeye/redeye.yaml",
            str(get("ExecStart")))
    want = {"CAP_" + cap for cap in CAPS}
    for key in ("AmbientCapabilities", "CapabilityBoundingSet"):
        have = " ".join(get(key)).split()
        c.check(set(have) == want and len(have) == len(want),
                f"unit: {key} is exactly {sorted(want)}", str(have))
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                       ("ProtectHome", "read-only"), ("PrivateTmp", "yes"),
                       ("ProtectKernelModules", "yes"), ("ProtectControlGroups", "yes"),
                       ("LimitMEMLOCK", "infinity"), ("LimitNOFILE", "8192"),
                       ("Restart", "on-failure")):
        c.check(get(key) == [value], f"unit: {key}={value}", str(get(key)))
    for key in ("PrivateNetwork", "PrivateUsers", "ProtectProc"):
        c.check(not any(v in ("yes", "true", "invisible", "noaccess") for v in get(key)),
                f"unit: {key} does not hide the network, users or processes", str(get(key)))
    c.check(bool(get("MemoryMax")), "unit: MemoryMax is set")
    families = " ".join(get("RestrictAddressFamilies")).split()
    c.check({"AF_INET", "AF_INET6", "AF_UNIX"} <= set(families),
            "unit: RestrictAddressFamilies allows AF_INET, AF_INET6, AF_UNIX", str(families))
    # The syscall filter: the last allow-list line must name bpf and perf_event_open, after
    # which no deny line removes them (systemd applies the lines in order).
    groups = syscall_groups()
    allowed = set()
    for line in get("SystemCallFilter"):
        names = set()
        for name in line.lstrip("~").split():
            names |= expand_syscalls(name, groups)
        if line.startswith("~"):
            allowed -= names
        else:
            allowed |= names
    c.check({"bpf", "perf_event_open"} <= allowed,
            "unit: SystemCallFilter allows bpf and perf_event_open", str(get("SystemCallFilter")))

    analyze = shutil.which("systemd-analyze")
    if not analyze:
        c.skip("systemd-analyze verify", "systemd-analyze not on PATH")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # verify also checks that ExecStart's binary exists: point it at one that does.
        with open(UNIT, encoding="utf-8") as f:
            text = f.read().replace("ExecStart=/usr/local/bin/redeye ", "ExecStart=/bin/true ")
        copy_path = os.path.join(tmp, "redeye.service")
        with open(copy_path, "w", encoding="utf-8") as f:
            f.write(text)
        p = subprocess.run([analyze, "verify", copy_path], capture_output=True, text=True,
                           timeout=60, cwd=tmp)
        out = (p.stdout + p.stderr).strip()
        c.check(p.returncode == 0 and "redeye.service" not in out,
                "systemd-analyze verify redeye.service", out[-800:])


def check_dockerfile(c):
    with open(DOCKERFILE, encoding="utf-8") as f:
        text = f.read()
    joined = re.sub(r"\\\n", " ", text)
    froms = re.findall(r"^FROM\s+(\S+)", joined, re.M)
    c.check(froms == ["debian:12", "debian:12-slim"],
            "Dockerfile: builds on debian:12, runs on debian:12-slim", str(froms))
    c.check(re.search(r"cmake .*-DCMAKE_BUILD_TYPE=Release .*-DREDEYE_BUILD_TESTS=OFF", joined)
            is not None, "Dockerfile: cmake Release without tests")
    c.check('ENTRYPOINT ["/usr/local/bin/redeye"]' in text, "Dockerfile: ENTRYPOINT redeye")
    c.check(f'CMD ["run", "--config", "{CONFIG_PATH}"]' in text,
            "Dockerfile: CMD run --config /etc/redeye/redeye.yaml")
    c.check(re.search(rf"^EXPOSE\s+{PORT}\b", text, re.M) is not None, f"Dockerfile: EXPOSE {PORT}")
    c.check(os.path.isfile(os.path.join(ROOT, ".dockerignore")),
            "the build context has a .dockerignore")


def runtime_packages():
    """The packages the Dockerfile's last stage installs."""
    with open(DOCKERFILE, encoding="utf-8") as f:
        joined = re.sub(r"\\\n", " ", f.read())
    last_stage = re.split(r"^FROM\s", joined, flags=re.M)[-1]
    pkgs = set()
    for m in re.finditer(r"apt-get install ([^&\n]*)", last_stage):
        pkgs.update(w for w in m.group(1).split() if not w.startswith("-"))
    return pkgs


def check_binary(c, redeye):
    try:
        docs = render(os.path.join(K8S, "base"))
        text = only(docs, "ConfigMap")["data"][os.path.basename(CONFIG_PATH)]
    except (RenderError, KeyError) as e:
        c.check(False, "the ConfigMap's file can be read", f"{type(e).__name__}: {e}")
        text = None
    if text is not None:
        check_configuration(c, redeye, text)
    check_libraries(c, redeye)
    check_install(c, redeye)


def check_configuration(c, redeye, text):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "redeye.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REDEYE_")}
        p = subprocess.run([redeye, "check", "--config", path], capture_output=True, text=True,
                           timeout=60, env=env)
        c.check(p.returncode == 0, "redeye check --config accepts the ConfigMap's file",
                (p.stdout + p.stderr).strip())
        p = subprocess.run([redeye, "default-config"], capture_output=True, text=True,
                           timeout=60, env=env)
        ok = p.returncode == 0
        default = yaml.safe_load(p.stdout) if ok else None
        c.check(ok and yaml.safe_load(text) == default,
                "the ConfigMap states the same values as `redeye default-config`",
                f"configmap={yaml.safe_load(text)} default={default}")


def check_libraries(c, redeye):
    ldd, dpkg = shutil.which("ldd"), shutil.which("dpkg")
    if not ldd or not dpkg:
        c.skip("the runtime image has a package for every linked library", "no ldd or dpkg")
        return
    p = subprocess.run([ldd, redeye], capture_output=True, text=True, timeout=60)
    libs = re.findall(r"=>\s+(/\S+)", p.stdout)
    needed, unknown = set(), []
    for lib in libs:
        for candidate in (os.path.realpath(lib), lib, "/usr" + lib):
            q = subprocess.run([dpkg, "-S", candidate], capture_output=True, text=True,
                               timeout=60)
            if q.returncode == 0:
                needed.add(q.stdout.split(":")[0].split(",")[0].strip())
                break
        else:
            unknown.append(lib)
    if unknown:
        c.skip("the runtime image has a package for every linked library",
               f"not from a Debian package: {unknown}")
        return
    missing = sorted(needed - runtime_packages() - BASE_IMAGE_PACKAGES)
    c.check(not missing, "Dockerfile runtime stage installs a package for every library "
                         "the binary links", f"missing: {missing}")


def check_install(c, redeye):
    with tempfile.TemporaryDirectory() as dest:
        cmd = ["bash", INSTALL, "--binary", redeye, "--destdir", dest]
        first = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        files = ["usr/local/bin/redeye", "etc/systemd/system/redeye.service",
                 "etc/redeye/redeye.yaml"]
        c.check(first.returncode == 0 and all(os.path.isfile(os.path.join(dest, f))
                                              for f in files),
                "install.sh --destdir installs the binary, the unit and the configuration",
                first.stderr.strip()[-800:])
        second = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        c.check(second.returncode == 0 and "installed:" not in second.stderr,
                "install.sh run again changes nothing", second.stderr.strip()[-800:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redeye", help="the redeye binary (enables the checks that run it)")
    args = parser.parse_args()

    c = Checks()
    try:
        check_files(c)
        dirs = {"base": os.path.join(K8S, "base"), "top": K8S}
        dirs.update({name: os.path.join(K8S, "overlays", name) for name in OVERLAYS})
        rendered = {name: render(d) for name, d in dirs.items()}
        c.check(keyed(rendered["top"]) == keyed(rendered["base"]),
                "deploy/kubernetes renders the base")
        check_base(c, rendered["base"])
        check_overlays(c, rendered["base"], rendered)
        check_with_kubectl(c, dirs, rendered)
    except (RenderError, KeyError, IndexError, TypeError, ValueError) as e:
        c.check(False, "the Kubernetes manifests render", f"{type(e).__name__}: {e}")
    check_systemd(c)
    check_dockerfile(c)
    if args.redeye:
        if c.check(os.access(args.redeye, os.X_OK), f"--redeye {args.redeye} is executable"):
            check_binary(c, os.path.abspath(args.redeye))
    else:
        c.skip("checks that run redeye", "no --redeye given")

    print(f"deploy: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
