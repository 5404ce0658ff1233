#include <gtest/gtest.h>

#include "cfn/convert.h"
#include "tests/cfn/projects.h"
#include "tests/cfn/yaml_json.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;

TEST(Output, JsonIsIndentedByTwoWithTrailingNewline) {
  ordered_json tmpl = {{"A", {{"B", 1}}}};
  EXPECT_EQ(ToJson(tmpl), "{\n  \"A\": {\n    \"B\": 1\n  }\n}\n");
}

TEST(Output, YamlKeepsTypesOfStringsThatLookLikeScalars) {
  ordered_json tmpl = {
      {"Version", "2012-10-17"},
      {"Cpu", "256"},
      {"Proto", "-1"},
      {"Yes", "yes"},
      {"Off", "Off"},
      {"Null", "null"},
      {"Tilde", "~"},
      {"Float", "1.5"},
      {"Dot", ".inf"},
      {"Empty", ""},
      {"Merge", "<<"},
      {"Colon", "a: b"},
      {"Hash", "x #y"},
      {"Quote", "\"q\" x"},
      {"Multi", "line1\nline2"},
      {"Bool", true},
      {"Int", -3},
      {"Unsigned", 80u},
      {"Double", 0.25},
      {"Nothing", nullptr},
      {"EmptyMap", ordered_json::object()},
      {"EmptyList", ordered_json::array()},
      {"12", "key looks numeric"},
      {"List", {"a", "1", 1, {{"k", "v"}}}},
  };
  std::string yaml = ToYaml(tmpl);
  ASSERT_EQ(yaml.back(), '\n');
  EXPECT_EQ(testing::YamlToJson(yaml), tmpl) << yaml;
}

TEST(Output, YamlOfTemplatesReparsesToTheSameStructure) {
  for (const compose::Project& project :
       {testing::SimpleSingleService(), testing::MultiServiceNetworkLb(),
        testing::MultiServiceApplicationLb()}) {
    for (const ConvertOptions& options :
         {ConvertOptions{},
          ConvertOptions{"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}}}) {
      base::Result<ordered_json> tmpl = Convert(project, options);
      ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();
      std::string yaml = ToYaml(*tmpl);
      EXPECT_EQ(testing::YamlToJson(yaml), *tmpl) << yaml;
      // The JSON text is YAML too.
      EXPECT_EQ(testing::YamlToJson(ToJson(*tmpl)), *tmpl);
    }
  }
}

}  // namespace
}  // namespace ecsync::cfn
