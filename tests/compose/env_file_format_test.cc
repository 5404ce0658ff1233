// env_file's `format: raw`: values as written, no interpolation, quotes or escapes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "compose/dotenv.h"
#include "compose/loader.h"
#include "tests/compose/memory_file_reader.h"

namespace ecsync::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kEnv[] =
    "# a comment\n"
    "QUOTED=\"a b\"\n"
    "SINGLE='x'\n"
    "DOLLAR=${HOME}/$USER\n"
    "  INDENTED=v # not a comment\n"
    "EQUALS=a=b\r\n"
    "\n"
    "FROM_VARIABLES\n"
    "UNSET_VARIABLE\n";

base::Result<Project> LoadWithEnvFile(const std::string& env_file_item) {
  MemoryFileReader reader(
      {{"compose.yaml", "services:\n  web:\n    image: a\n    env_file:\n" + env_file_item},
       {"app.env", kEnv}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.project_name = "p";
  options.environment = {{"HOME", "/home/me"}, {"USER", "me"}, {"FROM_VARIABLES", "v"}};
  return Load(options, reader);
}

TEST(EnvFileFormat, RawKeepsValuesAsWritten) {
  base::Result<Project> project = LoadWithEnvFile("      - path: app.env\n        format: raw\n");
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const auto& env = project->services.at(0).environment;
  EXPECT_EQ(env.at("QUOTED"), "\"a b\"");
  EXPECT_EQ(env.at("SINGLE"), "'x'");
  EXPECT_EQ(env.at("DOLLAR"), "${HOME}/$USER");
  EXPECT_EQ(env.at("INDENTED"), "v # not a comment");
  EXPECT_EQ(env.at("EQUALS"), "a=b");
  EXPECT_EQ(env.at("FROM_VARIABLES"), "v");
  EXPECT_EQ(env.count("UNSET_VARIABLE"), 0u);
}

TEST(EnvFileFormat, DefaultFormatInterpolatesAndUnquotes) {
  base::Result<Project> project = LoadWithEnvFile("      - path: app.env\n");
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const auto& env = project->services.at(0).environment;
  EXPECT_EQ(env.at("QUOTED"), "a b");
  EXPECT_EQ(env.at("DOLLAR"), "/home/me/me");
}

TEST(EnvFileFormat, UnknownFormatIsAnError) {
  base::Result<Project> project = LoadWithEnvFile("      - path: app.env\n        format: toml\n");
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              HasSubstr("compose.yaml:5:9: services.web.env_file[0].format: unsupported "
                        "env_file format \"toml\""));
}

TEST(EnvFileFormat, RawErrorsNameTheLine) {
  EXPECT_THAT(ParseRawEnv("A=1\n=2\n", {}).status().message(), HasSubstr("line 2:"));
  EXPECT_THAT(ParseRawEnv("A B=1\n", {}).status().message(),
              HasSubstr("line 1: key \"A B\" cannot contain a space"));
  base::Result<DotEnv> bom = ParseRawEnv("\xEF\xBB\xBFK=v  \n", {});
  ASSERT_TRUE(bom.ok());
  EXPECT_THAT(*bom, ElementsAre(Pair("K", "v  ")));
}

}  // namespace
}  // namespace ecsync::compose
