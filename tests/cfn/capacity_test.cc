// GPU services on an EC2 capacity provider.

#include "cfn/capacity.h"

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::MainContainer;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::Service;

compose::Service Learner(int gpus) {
  compose::Service learner = Service("learning", "tensorflow/tensorflow:latest-gpu");
  learner.reservations.memory_bytes = int64_t{32} * 1024 * 1024 * 1024;
  learner.reservations.cpus = 4;
  learner.reservations.generic_resources = {{"gpus", gpus}};
  return learner;
}

TEST(Capacity, InstanceMemoryLessWhatTheOsAndAgentKeep) {
  EXPECT_EQ(GpuInstanceTaskMemoryMib(int64_t{16} * 1024), 16384 - 984);  // 6 %, rounded up
  EXPECT_EQ(GpuInstanceTaskMemoryMib(4096), 4096 - 512);                 // at least 512 MiB
}

TEST(Capacity, SmallestG4dnThatFits) {
  EXPECT_EQ(SmallestGpuInstanceType(1, 1, 4096), "g4dn.xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(1, 4, 15400), "g4dn.xlarge");
  // A task of the instance's whole nominal memory cannot be placed on it.
  EXPECT_EQ(SmallestGpuInstanceType(1, 4, 15401), "g4dn.2xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(1, 4, 16384), "g4dn.2xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(1, 4, 32768), "g4dn.4xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(2, 4, 8192), "g4dn.12xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(8, 96, int64_t{384} * 1024), "");
  EXPECT_EQ(SmallestGpuInstanceType(16, 1, 1), "");
}

TEST(Capacity, GpuServiceRunsOnItsCapacityProvider) {
  ordered_json tmpl = ConvertOk(Project("ml", {Learner(1), Service("web", "nginx")}));
  const ordered_json& service = Props(tmpl, "LearningService");
  EXPECT_FALSE(service.contains("LaunchType"));
  EXPECT_FALSE(service.contains("PlatformVersion"));
  EXPECT_EQ(service["CapacityProviderStrategy"][0]["CapacityProvider"], RefTo("CapacityProvider"));
  EXPECT_FALSE(service["NetworkConfiguration"]["AwsvpcConfiguration"].contains("AssignPublicIp"));
  EXPECT_EQ(Props(tmpl, "LearningTaskDefinition")["RequiresCompatibilities"],
            (ordered_json{"EC2"}));
  EXPECT_EQ(MainContainer(tmpl, "LearningTaskDefinition")["ResourceRequirements"],
            (ordered_json{{{"Type", "GPU"}, {"Value", "1"}}}));
  const ordered_json& launch = Props(tmpl, "LaunchTemplate")["LaunchTemplateData"];
  // A 32 GiB task fits neither an xlarge nor a 2xlarge (32 GiB less what ECS cannot use).
  EXPECT_EQ(launch["InstanceType"], "g4dn.4xlarge");
  EXPECT_NE(launch["ImageId"].get<std::string>().find("/gpu/recommended/image_id"),
            std::string::npos);
  EXPECT_EQ(Props(tmpl, "CapacityProviderAssociations")["CapacityProviders"],
            (ordered_json{RefTo("CapacityProvider")}));
  EXPECT_EQ(Props(tmpl, "WebService")["LaunchType"], "FARGATE");
  ExpectLintClean(tmpl);
}

TEST(Capacity, LaunchTemplateInstancesAndVolumesAreTagged) {
  ordered_json tmpl = ConvertOk(Project("ml", {Learner(1)}));
  const ordered_json tags = {{{"Key", "com.docker.compose.project"}, {"Value", "ml"}}};
  EXPECT_EQ(Props(tmpl, "LaunchTemplate")["LaunchTemplateData"]["TagSpecifications"],
            (ordered_json{{{"ResourceType", "instance"}, {"Tags", tags}},
                          {{"ResourceType", "volume"}, {"Tags", tags}}}));
  EXPECT_EQ(Props(tmpl, "LaunchTemplate")["TagSpecifications"],
            (ordered_json{{{"ResourceType", "launch-template"}, {"Tags", tags}}}));
  ExpectLintClean(tmpl);
}

TEST(Capacity, RejectsWhatAGpuInstanceCannotHonour) {
  compose::Service learner = Learner(1);
  learner.platform = "linux/arm64";
  std::string error = ConvertError(Project("ml", {learner}));
  EXPECT_NE(error.find("learning"), std::string::npos) << error;
  EXPECT_NE(error.find("x86_64"), std::string::npos) << error;

  learner = Learner(1);
  learner.extensions = {{"x-ecsync-ephemeral_storage", 100}};
  error = ConvertError(Project("ml", {learner}));
  EXPECT_NE(error.find("learning"), std::string::npos) << error;
  EXPECT_NE(error.find("x-ecsync-ephemeral_storage"), std::string::npos) << error;

  // linux/amd64 is what g4dn runs.
  learner = Learner(1);
  learner.platform = "linux/amd64";
  ExpectLintClean(ConvertOk(Project("ml", {learner})));
}

// A GPU provider could only join a cluster we do not own by replacing the cluster's whole
// provider list, so a GPU service with x-aws-cluster is refused rather than take it over.
TEST(Capacity, GpuServiceRefusedOnAnExistingCluster) {
  compose::Project project = Project("ml", {Learner(1), Service("web", "nginx")});
  project.extensions = {{"x-aws-cluster", "shared-cluster"}};
  const std::string error = ConvertError(project);
  EXPECT_NE(error.find("learning"), std::string::npos) << error;
  EXPECT_NE(error.find("x-aws-cluster"), std::string::npos) << error;
  EXPECT_NE(error.find("remove x-aws-cluster"), std::string::npos) << error;
}

TEST(Capacity, PlacementConstraintsChooseMachineAndAmi) {
  compose::Service learner = Learner(1);
  learner.deploy = compose::Deploy{};
  learner.deploy->placement.constraints = {"node.machine == g4dn.4xlarge",
                                           "node.ami == ami-0123456789abcdef0"};
  ordered_json tmpl = ConvertOk(Project("ml", {learner}));
  const ordered_json& launch = Props(tmpl, "LaunchTemplate")["LaunchTemplateData"];
  EXPECT_EQ(launch["InstanceType"], "g4dn.4xlarge");
  EXPECT_EQ(launch["ImageId"], "ami-0123456789abcdef0");
  ExpectLintClean(tmpl);

  learner.extensions = {{"x-ecsync-capacity_providers", {{{"provider", "FARGATE_SPOT"}}}}};
  EXPECT_NE(ConvertError(Project("ml", {learner})).find("GPU"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
