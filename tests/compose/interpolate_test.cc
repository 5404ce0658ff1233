#include "compose/interpolate.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ecsync::compose {
namespace {

using Env = std::map<std::string, std::string>;

std::string Expand(const std::string& text, const Env& env) {
  base::Result<std::string> result = Interpolate(text, env);
  EXPECT_TRUE(result.ok()) << text << ": " << result.status().ToString();
  return result.ok() ? *result : "<error>";
}

TEST(Interpolate, TextWithoutDollarIsUnchanged) {
  EXPECT_EQ(Expand("nginx:1.25", {}), "nginx:1.25");
}

TEST(Interpolate, BracedAndUnbracedNames) {
  const Env env = {{"TAG", "1.2"}, {"NAME", "web"}};
  EXPECT_EQ(Expand("app:$TAG", env), "app:1.2");
  EXPECT_EQ(Expand("app:${TAG}", env), "app:1.2");
  EXPECT_EQ(Expand("${NAME}-${TAG}", env), "web-1.2");
  EXPECT_EQ(Expand("${NAME}suffix", env), "websuffix");
}

TEST(Interpolate, UnbracedNameEndsAtFirstNonNameCharacter) {
  const Env env = {{"A", "x"}, {"A_B", "y"}};
  EXPECT_EQ(Expand("$A-b", env), "x-b");
  EXPECT_EQ(Expand("$A_B.c", env), "y.c");
  EXPECT_EQ(Expand("$A/$A", env), "x/x");
}

TEST(Interpolate, UnsetVariableWithoutDefaultIsEmpty) {
  EXPECT_EQ(Expand("a${MISSING}b$MISSING", {}), "ab");
}

TEST(Interpolate, ColonDashDefaultsWhenUnsetOrEmpty) {
  EXPECT_EQ(Expand("${V:-default}", {}), "default");
  EXPECT_EQ(Expand("${V:-default}", {{"V", ""}}), "default");
  EXPECT_EQ(Expand("${V:-default}", {{"V", "set"}}), "set");
}

TEST(Interpolate, DashDefaultsOnlyWhenUnset) {
  EXPECT_EQ(Expand("${V-default}", {}), "default");
  EXPECT_EQ(Expand("${V-default}", {{"V", ""}}), "");
  EXPECT_EQ(Expand("${V-default}", {{"V", "set"}}), "set");
}

TEST(Interpolate, DefaultMayBeEmptyOrHoldSpacesAndColons) {
  EXPECT_EQ(Expand("${V:-}", {}), "");
  EXPECT_EQ(Expand("${V:-a b:c}", {}), "a b:c");
}

TEST(Interpolate, ColonQuestionFailsWhenUnsetOrEmpty) {
  base::Result<std::string> unset = Interpolate("${DB_PASSWORD:?set the password}", {});
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(unset.status().message().find("DB_PASSWORD"), std::string::npos);
  EXPECT_NE(unset.status().message().find("set the password"), std::string::npos);

  EXPECT_FALSE(Interpolate("${V:?err}", {{"V", ""}}).ok());
  EXPECT_EQ(Expand("${V:?err}", {{"V", "ok"}}), "ok");
}

TEST(Interpolate, QuestionFailsOnlyWhenUnset) {
  EXPECT_FALSE(Interpolate("${V?err}", {}).ok());
  EXPECT_EQ(Expand("${V?err}", {{"V", ""}}), "");
  EXPECT_EQ(Expand("${V?err}", {{"V", "ok"}}), "ok");
}

TEST(Interpolate, RequiredWithoutMessageStillNamesTheVariable) {
  base::Result<std::string> result = Interpolate("${TOKEN?}", {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("TOKEN"), std::string::npos);
}

TEST(Interpolate, PlusFormsGiveAlternativeWhenSet) {
  EXPECT_EQ(Expand("${V:+alt}", {{"V", "x"}}), "alt");
  EXPECT_EQ(Expand("${V:+alt}", {{"V", ""}}), "");
  EXPECT_EQ(Expand("${V:+alt}", {}), "");
  EXPECT_EQ(Expand("${V+alt}", {{"V", ""}}), "alt");
  EXPECT_EQ(Expand("${V+alt}", {}), "");
}

// The nested forms listed in compose-spec 12-interpolation.md.
TEST(Interpolate, NestedForms) {
  const Env foo = {{"FOO", "foo"}};
  EXPECT_EQ(Expand("${VARIABLE:-${FOO}}", foo), "foo");
  EXPECT_EQ(Expand("${VARIABLE:-${FOO}}", {{"VARIABLE", "v"}, {"FOO", "foo"}}), "v");
  EXPECT_EQ(Expand("${VARIABLE:-${FOO:-default}}", {}), "default");
  EXPECT_EQ(Expand("${VARIABLE:-${FOO:-default}}", foo), "foo");

  base::Result<std::string> error = Interpolate("${VARIABLE?$FOO}", {{"FOO", "need it"}});
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.status().message().find("need it"), std::string::npos);
}

TEST(Interpolate, UnusedDefaultIsNotEvaluated) {
  EXPECT_EQ(Expand("${SET:-${MISSING:?boom}}", {{"SET", "yes"}}), "yes");
  EXPECT_FALSE(Interpolate("${UNSET:-${MISSING:?boom}}", {}).ok());
}

TEST(Interpolate, DoubleDollarIsALiteralDollar) {
  const Env env = {{"VAR_NOT_INTERPOLATED_BY_COMPOSE", "no"}};
  EXPECT_EQ(Expand("$$VAR_NOT_INTERPOLATED_BY_COMPOSE", env), "$VAR_NOT_INTERPOLATED_BY_COMPOSE");
  EXPECT_EQ(Expand("$${VAR}", {{"VAR", "x"}}), "${VAR}");
  EXPECT_EQ(Expand("a$$$$b", {}), "a$$b");
  EXPECT_EQ(Expand("${V:-$$x}", {}), "$x");
}

TEST(Interpolate, DollarWithoutNameIsKept) {
  EXPECT_EQ(Expand("costs $5", {}), "costs $5");
  EXPECT_EQ(Expand("a $ b", {}), "a $ b");
  EXPECT_EQ(Expand("ends with $", {}), "ends with $");
  EXPECT_EQ(Expand("$-x", {}), "$-x");
}

TEST(Interpolate, UnterminatedBraceIsAnError) {
  base::Result<std::string> result = Interpolate("${FOO", {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("unterminated"), std::string::npos);
  EXPECT_FALSE(Interpolate("${A:-${B}", {}).ok());
}

TEST(Interpolate, UnsupportedShellFeaturesAreErrors) {
  EXPECT_FALSE(Interpolate("${VARIABLE/foo/bar}", {{"VARIABLE", "foo"}}).ok());
  EXPECT_FALSE(Interpolate("${}", {}).ok());
  EXPECT_FALSE(Interpolate("${1X}", {}).ok());
  EXPECT_FALSE(Interpolate("${V:=x}", {}).ok());
}

}  // namespace
}  // namespace ecsync::compose
