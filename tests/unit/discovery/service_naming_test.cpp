#include "discovery/service_naming.h"

#include <gtest/gtest.h>

#include <string>

namespace redeye::discovery {
namespace {

constexpr char kId[] = "4f9c2b1a7e3d5c6b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3";

ProcessInfo process_with_exe(std::string exe) {
  ProcessInfo p;
  p.pid = 42;
  p.exe = std::move(exe);
  p.comm = "comm-name";
  return p;
}

TEST(WorkloadNameFromPod, StripsControllerSuffixes) {
  EXPECT_EQ(workload_name_from_pod("shop-api-7d9f8c6b5-x2x9z"), "shop-api");  // Deployment
  EXPECT_EQ(workload_name_from_pod("coredns-5d78c9869d-8wq5n"), "coredns");
  EXPECT_EQ(workload_name_from_pod("web-68f9c8b7d6-zq2rt"), "web");
  EXPECT_EQ(workload_name_from_pod("node-exporter-x2x9z"), "node-exporter");  // DaemonSet
  EXPECT_EQ(workload_name_from_pod("migrate-db-4s7vk"), "migrate-db");        // Job
  EXPECT_EQ(workload_name_from_pod("backup-28391040-x2x9z"), "backup");       // CronJob
  EXPECT_EQ(workload_name_from_pod("mes-db-0"), "mes-db");                    // StatefulSet
  EXPECT_EQ(workload_name_from_pod("kafka-12"), "kafka");
}

TEST(WorkloadNameFromPod, KeepsNamesWithoutGeneratedSuffix) {
  EXPECT_EQ(workload_name_from_pod("redis-cache"), "redis-cache");  // vowels: not generated
  EXPECT_EQ(workload_name_from_pod("nginx"), "nginx");
  EXPECT_EQ(workload_name_from_pod("api-v2"), "api-v2");
  EXPECT_EQ(workload_name_from_pod("-0"), "-0");
  EXPECT_EQ(workload_name_from_pod("db-"), "db-");
  EXPECT_EQ(workload_name_from_pod(""), "");
  // A 5-character generated-looking tail is stripped even on a bare pod: documented.
  EXPECT_EQ(workload_name_from_pod("tools-bcdfg"), "tools");
}

TEST(ResourceAttribute, FindsTrimsAndDecodes) {
  const std::string attrs =
      "deployment.environment=prod, service.name = billing ,service.namespace=fin%2Cance";
  EXPECT_EQ(resource_attribute(attrs, "service.name"), "billing");
  EXPECT_EQ(resource_attribute(attrs, "service.namespace"), "fin,ance");
  EXPECT_EQ(resource_attribute(attrs, "deployment.environment"), "prod");
  EXPECT_EQ(resource_attribute(attrs, "service"), std::nullopt);
  EXPECT_EQ(resource_attribute("", "service.name"), std::nullopt);
  EXPECT_EQ(resource_attribute("service.name=a=b", "service.name"), "a=b");
  EXPECT_EQ(resource_attribute("service.name=%zz%4", "service.name"), "%zz%4");
  EXPECT_EQ(resource_attribute("junk,service.name=x", "service.name"), "x");
}

TEST(SanitizeServiceName, TrimsReplacesAndCaps) {
  EXPECT_EQ(sanitize_service_name("  Shop API \n"), "Shop API");
  EXPECT_EQ(sanitize_service_name("a\tb\x01"
                                  "c\x7f"),
            "a_b_c_");
  EXPECT_EQ(sanitize_service_name("caf\xc3\xa9"), "caf\xc3\xa9");  // valid UTF-8 kept
  EXPECT_EQ(sanitize_service_name("bad\xff\xc3"), "bad__");        // invalid bytes
  EXPECT_EQ(sanitize_service_name("\xed\xa0\x80"), "___");         // surrogate
  EXPECT_EQ(sanitize_service_name(std::string(300, 'x')), std::string(128, 'x'));
  std::string multibyte;
  for (int i = 0; i < 50; ++i) multibyte += "\xe2\x82\xac";  // 150 bytes of euro signs
  EXPECT_EQ(sanitize_service_name(multibyte).size(), 126u);  // cut at a character boundary
  EXPECT_EQ(sanitize_service_name("   "), "");
}

TEST(DefaultServiceName, OtelEnvironmentFirst) {
  ProcessInfo p = process_with_exe("/usr/bin/java");
  p.otel_service_name = "checkout";
  p.otel_service_namespace = "shop";
  p.systemd_unit = "checkout-svc.service";
  p.container = {"docker", kId, "", ""};
  EXPECT_EQ(default_service_name(p), (ServiceName{"checkout", "shop", "otel_env"}));
}

TEST(DefaultServiceName, BlankOtelNameIsIgnored) {
  ProcessInfo p = process_with_exe("/usr/bin/java");
  p.otel_service_name = "   ";
  p.otel_service_namespace = "shop";
  EXPECT_EQ(default_service_name(p), (ServiceName{"java", "", "exe"}));
}

TEST(DefaultServiceName, SystemdUnitWithoutSuffix) {
  ProcessInfo p = process_with_exe("/usr/sbin/nginx");
  p.systemd_unit = "nginx.service";
  EXPECT_EQ(default_service_name(p), (ServiceName{"nginx", "", "systemd"}));
  p.systemd_unit = "getty@tty1.service";
  EXPECT_EQ(default_service_name(p).name, "getty@tty1");
}

TEST(DefaultServiceName, KubernetesPodNameFromHostname) {
  ProcessInfo p = process_with_exe("/app/shop-api");
  p.container = {"containerd", kId, "5f1e2d3c-4b5a-4697-8877-665544332211", "burstable"};
  p.hostname_env = "shop-api-7d9f8c6b5-x2x9z";
  EXPECT_EQ(default_service_name(p), (ServiceName{"shop-api", "", "kubernetes"}));
}

TEST(DefaultServiceName, PodWithoutHostnameFallsBackToContainer) {
  ProcessInfo p = process_with_exe("/app/shop-api");
  p.container = {"containerd", kId, "5f1e2d3c-4b5a-4697-8877-665544332211", "burstable"};
  EXPECT_EQ(default_service_name(p), (ServiceName{"container-4f9c2b1a7e3d", "", "container"}));
}

TEST(DefaultServiceName, HostnameOutsideAPodIsNotAPodName) {
  ProcessInfo p = process_with_exe("/usr/local/bin/redis-server");
  p.container = {"docker", kId, "", ""};
  p.hostname_env = "4f9c2b1a7e3d";
  EXPECT_EQ(default_service_name(p), (ServiceName{"container-4f9c2b1a7e3d", "", "container"}));
}

TEST(DefaultServiceName, ExecutableBasenameThenCommThenUnknown) {
  ProcessInfo p = process_with_exe("/usr/local/bin/redis-server");
  EXPECT_EQ(default_service_name(p), (ServiceName{"redis-server", "", "exe"}));
  p.exe.clear();
  EXPECT_EQ(default_service_name(p), (ServiceName{"comm-name", "", "exe"}));
  p.comm.clear();
  EXPECT_EQ(default_service_name(p), (ServiceName{"unknown", "", "exe"}));
}

TEST(ServiceNameForRule, RuleWinsOverEverything) {
  ProcessInfo p = process_with_exe("/usr/bin/java");
  p.otel_service_name = "checkout";
  ServiceRule rule;
  rule.name = "Shop API";
  rule.service_namespace = "shop";
  EXPECT_EQ(service_name(p, &rule), (ServiceName{"Shop API", "shop", "rule"}));
  EXPECT_EQ(service_name(p, nullptr), (ServiceName{"checkout", "", "otel_env"}));
}

}  // namespace
}  // namespace redeye::discovery
