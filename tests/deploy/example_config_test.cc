// The configuration shipped in deploy/kubernetes/configmap.yaml, and the one the
// high-availability overlay (deploy/kubernetes-ha/configmap-patch.yaml) puts in its place, must
// load with the controller's own parser, their secrets filled from the example Secret exactly as
// the Deployment's envFrom would fill them.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>

#include "base/env.h"
#include "config/config.h"
#include "config/coordination.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

std::string ManifestPath(const std::string& name, const std::string& folder = "kubernetes") {
  return testing::SourceDir() + "/deploy/" + folder + "/" + name;
}

// The environment the container gets from the Secret's stringData.
std::map<std::string, std::string> SecretEnvironment() {
  const YAML::Node secret = YAML::LoadFile(ManifestPath("secret.yaml"));
  std::map<std::string, std::string> env;
  for (const auto& entry : secret["stringData"]) {
    env[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }
  return env;
}

config::ReadFileFn NoFiles() {
  return [](const std::string&) -> base::Result<std::optional<std::string>> {
    return std::optional<std::string>();
  };
}

TEST(ExampleConfig, ConfigMapLoadsWithSecretsFromTheExampleSecret) {
  const YAML::Node configmap = YAML::LoadFile(ManifestPath("configmap.yaml"));
  const std::string text = configmap["data"]["ecsync.yaml"].as<std::string>();
  const std::map<std::string, std::string> env = SecretEnvironment();

  const base::Result<config::Config> config =
      config::ParseConfig(text, "/etc/ecsync/ecsync.yaml", base::EnvFromMap(env), NoFiles());
  ASSERT_TRUE(config.ok()) << config.status().message();

  EXPECT_EQ(config->cache_dir, "/var/cache/ecsync");       // the Deployment's emptyDir
  EXPECT_EQ(config->server.listen, "0.0.0.0:8080");        // the container port behind the Service
  EXPECT_EQ(config->server.admin_listen, "0.0.0.0:8081");  // the probes' and Prometheus' port
  EXPECT_EQ(config->webhooks.secret, env.at("ECSYNC_WEBHOOK_SECRET"));
  ASSERT_EQ(config->repositories.size(), 1u);
  const config::RepositoryConfig& repository = config->repositories[0];
  EXPECT_EQ(repository.auth.password, env.at("ECSYNC_GIT_TOKEN"));
  EXPECT_FALSE(repository.projects.empty());
}

TEST(ExampleConfig, ConfigMapNeedsTheSecret) {
  const YAML::Node configmap = YAML::LoadFile(ManifestPath("configmap.yaml"));
  const std::string text = configmap["data"]["ecsync.yaml"].as<std::string>();

  const base::Result<config::Config> config =
      config::ParseConfig(text, "/etc/ecsync/ecsync.yaml", base::EnvFromMap({}), NoFiles());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("ECSYNC_"), std::string::npos)
      << config.status().message();
}

TEST(ExampleConfig, HighAvailabilityConfigMapSharesTheProjectsThroughTheTable) {
  const YAML::Node patch = YAML::LoadFile(ManifestPath("configmap-patch.yaml", "kubernetes-ha"));
  const YAML::Node base = YAML::LoadFile(ManifestPath("configmap.yaml"));
  ASSERT_EQ(patch["metadata"]["name"].as<std::string>(),
            base["metadata"]["name"].as<std::string>());
  const std::string text = patch["data"]["ecsync.yaml"].as<std::string>();
  const std::map<std::string, std::string> env = SecretEnvironment();

  const base::Result<config::Config> config =
      config::ParseConfig(text, "/etc/ecsync/ecsync.yaml", base::EnvFromMap(env), NoFiles());
  ASSERT_TRUE(config.ok()) << config.status().message();

  const config::CoordinationConfig& coordination = config->coordination;
  EXPECT_TRUE(coordination.enabled);
  EXPECT_EQ(coordination.table, "ecsync-coordination");
  EXPECT_EQ(coordination.region, "");  // the aws section's
  EXPECT_EQ(config->aws.region, "eu-west-1");
  EXPECT_EQ(coordination.shards, 64);
  // Not set in the ConfigMap every pod mounts: each pod's id is its hostname (the pod's name)
  // and its process id.
  EXPECT_EQ(coordination.replica_id, config::DefaultReplicaId());
  // Everything else is the single-replica configuration's.
  EXPECT_EQ(config->cache_dir, "/var/cache/ecsync");
  EXPECT_EQ(config->server.listen, "0.0.0.0:8080");
  EXPECT_EQ(config->server.admin_listen, "0.0.0.0:8081");
  EXPECT_EQ(config->webhooks.secret, env.at("ECSYNC_WEBHOOK_SECRET"));
  const base::Result<config::Config> single =
      config::ParseConfig(base["data"]["ecsync.yaml"].as<std::string>(), "/etc/ecsync/ecsync.yaml",
                          base::EnvFromMap(env), NoFiles());
  ASSERT_TRUE(single.ok()) << single.status().message();
  EXPECT_FALSE(single->coordination.enabled);
  ASSERT_EQ(config->repositories.size(), single->repositories.size());
  EXPECT_EQ(config->repositories[0].url, single->repositories[0].url);
  EXPECT_EQ(config->repositories[0].projects.size(), single->repositories[0].projects.size());
}

}  // namespace
}  // namespace ecsync::controller
