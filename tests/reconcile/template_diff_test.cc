#include "reconcile/template_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecsync::reconcile {
namespace {

using ::testing::ElementsAre;

TEST(DiffTemplates, ReportsAddedRemovedAndChangedValuesByPath) {
  std::string before = R"({"Resources":{
    "Old":{"Type":"AWS::SNS::Topic"},
    "Web":{"Type":"AWS::ECS::Service","Properties":{"DesiredCount":1,"Name":"web"}}}})";
  std::string after = R"({"Resources":{
    "New":{"Type":"AWS::SQS::Queue"},
    "Web":{"Type":"AWS::ECS::Service","Properties":{"DesiredCount":2,"Name":"web","Tags":[1]}}}})";
  EXPECT_THAT(DiffTemplates(before, after),
              ElementsAre("+ Resources.New (AWS::SQS::Queue)", "- Resources.Old (AWS::SNS::Topic)",
                          "~ Resources.Web.Properties.DesiredCount: 1 -> 2",
                          "+ Resources.Web.Properties.Tags: [1]"));
}

TEST(DiffTemplates, EqualTemplatesHaveNoLines) {
  EXPECT_TRUE(DiffTemplates(R"({"a":[1,2]})", R"({"a":[1,2]})").empty());
}

TEST(DiffTemplates, LongValuesAreShortenedAndNonJsonIsSaid) {
  std::string big(300, 'x');
  auto lines = DiffTemplates(R"({"a":"x"})", "{\"a\":\"" + big + "\"}");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LT(lines[0].size(), 140u);
  EXPECT_NE(lines[0].find("..."), std::string::npos);
  EXPECT_EQ(DiffTemplates("Resources: {}", "{}").size(), 1u);
}

}  // namespace
}  // namespace ecsync::reconcile
