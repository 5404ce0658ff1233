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

TEST(Capacity, SmallestG4dnThatFits) {
  EXPECT_EQ(SmallestGpuInstanceType(1, 1, 4096), "g4dn.xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(1, 4, 32768), "g4dn.2xlarge");
  EXPECT_EQ(SmallestGpuInstanceType(2, 4, 8192), "g4dn.12xlarge");
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
  EXPECT_EQ(launch["InstanceType"], "g4dn.2xlarge");  // 32 GiB does not fit an xlarge
  EXPECT_NE(launch["ImageId"].get<std::string>().find("/gpu/recommended/image_id"),
            std::string::npos);
  EXPECT_EQ(Props(tmpl, "CapacityProviderAssociations")["CapacityProviders"],
            (ordered_json{RefTo("CapacityProvider")}));
  EXPECT_EQ(Props(tmpl, "WebService")["LaunchType"], "FARGATE");
  ExpectLintClean(tmpl);
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
