// The x-aws-cloudformation overlay.

#include "cfn/overlay.h"

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"
#include "tests/cfn/yaml_json.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::Port;
using testing::Project;
using testing::Props;
using testing::Service;

TEST(Overlay, MappingsMergeSequencesReplaceOrAppendNullDeletes) {
  ordered_json tmpl = {
      {"A", {{"keep", 1}, {"change", 2}, {"gone", 3}}}, {"List", {1, 2}}, {"More", {1}}};
  ordered_json overlay = {{"A", {{"change", 20}, {"gone", nullptr}, {"new", 4}}},
                          {"List", {9}},
                          {"More+", {2, 3}},
                          {"Fresh+", {"x"}}};
  ASSERT_TRUE(MergeOverlay(tmpl, overlay).ok());
  EXPECT_EQ(tmpl, (ordered_json{{"A", {{"keep", 1}, {"change", 20}, {"new", 4}}},
                                {"List", {9}},
                                {"More", {1, 2, 3}},
                                {"Fresh", {"x"}}}));
  ordered_json scalar = {{"A", 1}};
  EXPECT_FALSE(MergeOverlay(scalar, {{"A+", {2}}}).ok());
  EXPECT_FALSE(MergeOverlay(scalar, {{"B+", 2}}).ok());
}

TEST(Overlay, AppliedToTheConvertedTemplateForJsonAndYaml) {
  compose::Project project = Project("shop", {Service("web", "nginx", {Port(80)})});
  project.extensions = testing::YamlToJson(R"(
x-aws-cloudformation:
  Resources:
    WebTCP80TargetGroup:
      Properties:
        HealthCheckPath: /health
        Matcher:
          HttpCode: "200-399"
    WebTaskExecutionRole:
      Properties:
        ManagedPolicyArns+:
          - arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess
    LogGroup:
      Properties:
        RetentionInDays: 30
  Outputs:
    LoadBalancerDns:
      Value: {"Fn::GetAtt": [LoadBalancer, DNSName]}
)");
  ordered_json tmpl = ConvertOk(project);
  EXPECT_EQ(Props(tmpl, "WebTCP80TargetGroup")["HealthCheckPath"], "/health");
  EXPECT_EQ(Props(tmpl, "WebTCP80TargetGroup")["Port"], 80);  // merged, not replaced
  EXPECT_EQ(Props(tmpl, "WebTaskExecutionRole")["ManagedPolicyArns"].size(), 3u);
  EXPECT_EQ(Props(tmpl, "LogGroup")["RetentionInDays"], 30);
  EXPECT_TRUE(tmpl["Outputs"].contains("LoadBalancerDns"));
  EXPECT_EQ(testing::YamlToJson(ToYaml(tmpl)), tmpl);
  ExpectLintClean(tmpl, /*yaml=*/true);

  project.extensions["x-aws-cloudformation"] = "not a mapping";
  EXPECT_NE(ConvertError(project).find("x-aws-cloudformation"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
