#pragma once

// Test-only helpers shared by the cfn tests: convert-or-fail, property access, cfn-lint.

#include <gtest/gtest.h>

#include <string>

#include "cfn/convert.h"
#include "tests/support/support.h"

namespace ecsync::cfn::testing {

// cfn-lint checks ID formats, so these are shaped like real ones.
inline ConvertOptions RealisticNetwork() {
  return ConvertOptions("vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"});
}

inline Conversion ConvertProjectOrDie(const compose::Project& project,
                                      const ConvertOptions& options = RealisticNetwork()) {
  base::Result<Conversion> result = ConvertProject(project, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : Conversion{nlohmann::ordered_json::object(), {}, {}};
}

inline nlohmann::ordered_json ConvertOk(const compose::Project& project,
                                        const ConvertOptions& options = RealisticNetwork()) {
  return ConvertProjectOrDie(project, options).tmpl;
}

// The error message of a conversion that must fail with kInvalid.
inline std::string ConvertError(const compose::Project& project,
                                const ConvertOptions& options = RealisticNetwork()) {
  base::Result<Conversion> result = ConvertProject(project, options);
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  return result.status().message();
}

inline const nlohmann::ordered_json& ResourceIn(const nlohmann::ordered_json& tmpl,
                                                const std::string& id) {
  return tmpl.at("Resources").at(id);
}

inline const nlohmann::ordered_json& Props(const nlohmann::ordered_json& tmpl,
                                           const std::string& id) {
  return tmpl.at("Resources").at(id).at("Properties");
}

// The service's own container (after the init containers) in <Svc>TaskDefinition.
inline const nlohmann::ordered_json& MainContainer(const nlohmann::ordered_json& tmpl,
                                                   const std::string& task_definition_id) {
  return Props(tmpl, task_definition_id).at("ContainerDefinitions").back();
}

inline nlohmann::ordered_json RefTo(const std::string& id) { return {{"Ref", id}}; }

// Fails the test when cfn-lint reports an error for the template, as JSON or as YAML.
inline void ExpectLintClean(const nlohmann::ordered_json& tmpl, bool yaml = false) {
  const std::string text = yaml ? ToYaml(tmpl) : ToJson(tmpl);
  base::Status lint = ecsync::testing::CfnLint(text);
  EXPECT_TRUE(lint.ok()) << lint.ToString() << "\n" << text;
}

}  // namespace ecsync::cfn::testing
