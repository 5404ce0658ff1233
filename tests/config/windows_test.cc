// The `windows:` lists of repositories and projects, and refusals naming file, line and key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "base/file.h"
#include "config/config.h"
#include "tests/config/parse_text.h"

namespace ecsync::config {
namespace {

using ::testing::HasSubstr;

using testing::ParseText;

std::string WithWindows(const std::string& repository_windows, const std::string& project_windows) {
  return "repositories:\n"
         "  - url: https://example.com/acme/shop.git\n" +
         repository_windows +
         "    projects:\n"
         "      - files: compose.yaml\n" +
         project_windows;
}

TEST(WindowsConfig, RepositoryAndProjectWindows) {
  auto config = ParseText(WithWindows(
      "    windows:\n"
      "      - {kind: deny, cron: \"0 22 * * 5\", duration: 8h, time_zone: Europe/Berlin,\n"
      "         manual_sync: true}\n",
      "        windows:\n"
      "          - kind: allow\n"
      "            cron: \"0 9 * * MON-FRI\"\n"
      "            duration: 8h\n"
      "            time_zone: America/New_York\n"
      "          - {kind: deny, cron: \"@daily\", duration: 30m}\n"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  const RepositoryConfig& repo = config->repositories[0];
  ASSERT_EQ(repo.windows.size(), 1u);
  EXPECT_EQ(repo.windows[0].kind, schedule::Window::Kind::kDeny);
  EXPECT_EQ(repo.windows[0].cron.text(), "0 22 * * 5");
  EXPECT_EQ(repo.windows[0].duration, std::chrono::hours(8));
  EXPECT_EQ(repo.windows[0].zone->name(), "Europe/Berlin");
  EXPECT_TRUE(repo.windows[0].manual_sync);
  const std::vector<schedule::Window>& project = repo.projects[0].windows;
  ASSERT_EQ(project.size(), 2u);
  EXPECT_EQ(project[0].kind, schedule::Window::Kind::kAllow);
  EXPECT_EQ(project[0].zone->name(), "America/New_York");
  EXPECT_FALSE(project[0].manual_sync);
  EXPECT_EQ(project[1].zone->name(), "UTC");
  EXPECT_EQ(project[1].duration, std::chrono::minutes(30));
}

std::string Refusal(const std::string& window, const std::string& env_dir = "") {
  std::map<std::string, std::string> env = {{"HOME", "/home/ci"}};
  if (!env_dir.empty()) env["TZDIR"] = env_dir;
  auto config = ParseText(WithWindows("    windows:\n      - " + window + "\n", ""), env);
  return config.ok() ? "accepted" : config.status().message();
}

TEST(WindowsConfig, RefusalsNameLineAndKey) {
  EXPECT_THAT(Refusal("{kind: deny, cron: \"0 25 * * *\", duration: 1h}"),
              HasSubstr("ecsync.yaml:4: repositories[0].windows[0].cron: cron \"0 25 * * *\": "
                        "hour field \"25\": 25 is out of range 0-23"));
  EXPECT_THAT(Refusal("{kind: block, cron: \"@daily\", duration: 1h}"),
              HasSubstr("repositories[0].windows[0].kind: \"block\" is not a window kind"));
  EXPECT_THAT(Refusal("{cron: \"@daily\", duration: 1h}"), HasSubstr("kind: is required"));
  EXPECT_THAT(Refusal("{kind: deny, duration: 1h}"), HasSubstr("cron: is required"));
  EXPECT_THAT(Refusal("{kind: deny, cron: \"@daily\"}"), HasSubstr("duration: is required"));
  EXPECT_THAT(Refusal("{kind: deny, cron: \"@daily\", duration: 0}"),
              HasSubstr("windows[0].duration"));
  EXPECT_THAT(Refusal("{kind: deny, cron: \"@daily\", duration: 1h, time_zone: Mars/Base}"),
              HasSubstr("windows[0].time_zone: unknown time zone \"Mars/Base\""));
  EXPECT_THAT(Refusal("{kind: deny, cron: \"@daily\", duration: 1h, time_zone: ../../etc}"),
              HasSubstr("is not a time zone name"));
  EXPECT_THAT(Refusal("{kind: deny, cron: \"@daily\", duration: 1h, zone: UTC}"),
              HasSubstr("repositories[0].windows[0].zone: unknown key; remove it"));
  auto not_list = ParseText(WithWindows("    windows: {kind: deny}\n", ""));
  ASSERT_FALSE(not_list.ok());
  EXPECT_THAT(not_list.status().message(), HasSubstr("windows: must be a list of windows"));
}

TEST(WindowsConfig, TzdirChoosesTheZoneinfoFolder) {
  const std::string root = ::testing::TempDir() + "/windows-zoneinfo";
  ASSERT_EQ(std::system(("mkdir -p " + root + "/Test").c_str()), 0);
  auto berlin = base::ReadWholeFile("/usr/share/zoneinfo/Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  std::ofstream(root + "/Test/Zone", std::ios::binary) << *berlin;
  EXPECT_EQ(Refusal("{kind: deny, cron: \"@daily\", duration: 1h, time_zone: Test/Zone}", root),
            "accepted");
  EXPECT_THAT(
      Refusal("{kind: deny, cron: \"@daily\", duration: 1h, time_zone: Europe/Berlin}", root),
      HasSubstr("unknown time zone \"Europe/Berlin\""));
}

}  // namespace
}  // namespace ecsync::config
