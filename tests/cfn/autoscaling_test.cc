// x-aws-autoscaling.

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::Service;

TEST(Autoscaling, TargetTrackingOnCpu) {
  compose::Service api = Service("api", "example/api");
  api.deploy = compose::Deploy{};
  api.deploy->extensions = {{"x-aws-autoscaling", {{"min", 2}, {"max", 10}, {"cpu", 75}}}};
  ordered_json tmpl = ConvertOk(Project("shop", {api}));
  const ordered_json& target = Props(tmpl, "ApiScalableTarget");
  EXPECT_EQ(target["MinCapacity"], 2);
  EXPECT_EQ(target["MaxCapacity"], 10);
  EXPECT_EQ(target["ScalableDimension"], "ecs:service:DesiredCount");
  EXPECT_EQ(target["ResourceId"],
            (ordered_json{
                {"Fn::Join",
                 {"/", {"service", RefTo("Cluster"), {{"Fn::GetAtt", {"ApiService", "Name"}}}}}}}));
  EXPECT_EQ(target["RoleARN"], (ordered_json{{"Fn::GetAtt", {"ApiAutoScalingRole", "Arn"}}}));
  const ordered_json& policy = Props(tmpl, "ApiScalingPolicy");
  // Docker's name: a stack it deployed keeps its policy when ecsync takes over.
  EXPECT_EQ(policy["PolicyName"], "ApiScalingPolicy");
  EXPECT_EQ(policy["PolicyType"], "TargetTrackingScaling");
  EXPECT_EQ(policy["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"], 60);
  EXPECT_EQ(policy["TargetTrackingScalingPolicyConfiguration"]["ScaleOutCooldown"], 60);
  EXPECT_EQ(policy["ScalingTargetId"], RefTo("ApiScalableTarget"));
  EXPECT_EQ(policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"], 75);
  EXPECT_EQ(policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
                  ["PredefinedMetricType"],
            "ECSServiceAverageCPUUtilization");
  // The initial count is within the range.
  EXPECT_EQ(Props(tmpl, "ApiService")["DesiredCount"], 2);
  ExpectLintClean(tmpl);
}

TEST(Autoscaling, MemoryAtServiceLevelAndExistingCluster) {
  compose::Service api = Service("api", "example/api");
  api.extensions = {{"x-aws-autoscaling", {{"max", "4"}, {"memory", 80}}}};
  compose::Project project = Project("shop", {api});
  project.extensions = {{"x-aws-cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/shared"}};
  ordered_json tmpl = ConvertOk(project);
  EXPECT_EQ(Props(tmpl, "ApiScalableTarget")["ResourceId"]["Fn::Join"][1][1], "shared");
  EXPECT_EQ(
      Props(tmpl, "ApiScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]
                                     ["PredefinedMetricSpecification"]["PredefinedMetricType"],
      "ECSServiceAverageMemoryUtilization");
  // The metric does not change the name, so switching cpu/memory updates the policy in place.
  EXPECT_EQ(Props(tmpl, "ApiScalingPolicy")["PolicyName"], "ApiScalingPolicy");
  ExpectLintClean(tmpl);
}

TEST(Autoscaling, RejectsIncompleteSettings) {
  compose::Service api = Service("api", "example/api");
  api.extensions = {{"x-aws-autoscaling", {{"min", 1}, {"cpu", 50}}}};
  EXPECT_NE(ConvertError(Project("p", {api})).find("max is required"), std::string::npos);
  api.extensions = {{"x-aws-autoscaling", {{"max", 3}, {"cpu", 50}, {"memory", 50}}}};
  EXPECT_NE(ConvertError(Project("p", {api})).find("exactly one"), std::string::npos);
  api.extensions = {{"x-aws-autoscaling", {{"min", 5}, {"max", 3}, {"cpu", 50}}}};
  EXPECT_NE(ConvertError(Project("p", {api})).find("greater than max"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
