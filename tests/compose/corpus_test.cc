#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "compose/loader.h"
#include "tests/support/corpus.h"
#include "tests/support/support.h"

namespace ecsync::compose {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  const fs::path root = fs::path(ecsync::testing::CorpusDir()) / "real-compose";
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    const fs::path file = entry.path() / "compose.yaml";
    if (entry.is_directory() && fs::exists(file)) files.push_back(file);
  }
  std::sort(files.begin(), files.end());
  return files;
}

class RealComposeCorpus : public ecsync::testing::CorpusTest {};

// Every real-world file either loads or fails with an error that points at a line.
TEST_F(RealComposeCorpus, EveryFileLoadsOrFailsWithALocation) {
  const std::vector<fs::path> files = CorpusFiles();
  ASSERT_GE(files.size(), 20u);
  DiskFileReader reader;
  size_t loaded = 0;
  for (const fs::path& file : files) {
    LoadOptions options;
    options.files = {file.string()};
    base::Result<Project> result = Load(options, reader);
    if (result.ok()) {
      ++loaded;
      EXPECT_FALSE(result->services.empty()) << file;
      EXPECT_TRUE(std::regex_match(result->name, std::regex("[a-z0-9][a-z0-9_-]*")))
          << file << ": " << result->name;
      continue;
    }
    std::cout << "[ not loaded ] " << file.parent_path().filename().string() << ": "
              << result.status().message() << "\n";
    EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid) << file;
    const std::string message = result.status().message();
    const std::string prefix = file.string() + ":";
    EXPECT_TRUE(message.rfind(prefix, 0) == 0 && message.size() > prefix.size() &&
                std::isdigit(static_cast<unsigned char>(message[prefix.size()])))
        << result.status().message();
  }
  std::cout << "[ corpus ] loaded " << loaded << " of " << files.size() << " files\n";
  EXPECT_GE(loaded * 10, files.size() * 9) << "most real compose files should load";
}

TEST_F(RealComposeCorpus, TemporalMergeKeysAndLongPorts) {
  const fs::path file = fs::path(ecsync::testing::CorpusDir()) / "real-compose" /
                        "temporal-multirole" / "compose.yaml";
  DiskFileReader reader;
  LoadOptions options;
  options.files = {file.string()};
  options.environment = {{"TEMPORAL_VERSION", "1.22"}, {"POSTGRESQL_VERSION", "13"}};
  base::Result<Project> result = Load(options, reader);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Service* loki = result->FindService("loki");
  ASSERT_NE(loki, nullptr);
  ASSERT_EQ(loki->ports.size(), 1u);
  EXPECT_EQ(loki->ports[0].target, 3100u);
  EXPECT_EQ(loki->ports[0].published, 3100u);
  EXPECT_THAT(loki->depends_on, ::testing::ElementsAre("grafana"));
  const Service* history = result->FindService("temporal-history");
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(history->image, "temporalio/auto-setup:1.22");
  EXPECT_EQ(history->environment.at("SERVICES"), "history");
  EXPECT_EQ(result->FindService("postgresql")->image, "postgres:13");
}

}  // namespace
}  // namespace ecsync::compose
