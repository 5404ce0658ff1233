#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "compose/loader.h"
#include "tests/support/support.h"

namespace ecsync::compose {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  const fs::path root = fs::path(testing::CorpusDir()) / "real-compose";
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    const fs::path file = entry.path() / "compose.yaml";
    if (entry.is_directory() && fs::exists(file)) files.push_back(file);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every real-world file either loads or fails with an error that points at a line.
TEST(RealCompose, EveryFileLoadsOrFailsWithALocation) {
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

TEST(RealCompose, TemporalMergeKeysAndLongPorts) {
  const fs::path file =
      fs::path(testing::CorpusDir()) / "real-compose" / "temporal-multirole" / "compose.yaml";
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

// The reference loader's fixtures use features this version ignores or lacks (extends,
// include, profiles); none may crash, and every failure must point at a file position.
TEST(ComposeGoFixtures, LoadOrFailWithALocation) {
  const fs::path root = fs::path(testing::CorpusDir()) / "compose" / "compose-go" / "loader";
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  DiskFileReader reader;
  for (const fs::path& file : files) {
    LoadOptions options;
    options.files = {file.string()};
    options.project_name = "fixture";
    base::Result<Project> result = Load(options, reader);
    if (result.ok()) continue;
    std::cout << "[ not loaded ] " << fs::relative(file, root).string() << ": "
              << result.status().message() << "\n";
    EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid) << file;
    EXPECT_EQ(result.status().message().rfind(file.string() + ":", 0), 0u)
        << result.status().message();
  }
}

// Reads one extra file from memory and everything else from disk.
class DiskPlusFileReader final : public FileReader {
 public:
  DiskPlusFileReader(std::string path, std::string content)
      : path_(std::move(path)), content_(std::move(content)) {}
  base::Result<std::string> Read(const std::string& path) override {
    if (path == path_) return content_;
    return disk_.Read(path);
  }

 private:
  DiskFileReader disk_;
  std::string path_;
  std::string content_;
};

// Field by field against the reference loader's expected-full-example.yaml, for the fields
// this version models. The example depends on db and redis without defining them, so a
// second file adds them (the reference loader skips that check).
TEST(ComposeGoFullExample, MatchesTheReferenceForModelledFields) {
  const fs::path file = fs::path(testing::CorpusDir()) / "compose" /
                        "compose-go-full-example" / "full-example.yml";
  DiskPlusFileReader reader("extra.yaml", "services: {db: {image: db}, redis: {image: redis}}\n");
  LoadOptions options;
  options.files = {file.string(), "extra.yaml"};
  options.environment = {{"HOME", "/HOMEDIR"}, {"BAR", "this is a secret"},
                         {"QUX", "qux_from_environment"}};
  base::Result<Project> result = Load(options, reader);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->name, "full_example_project_name");
  const Service* foo = result->FindService("foo");
  ASSERT_NE(foo, nullptr);
  EXPECT_EQ(foo->image, "redis");
  EXPECT_THAT(*foo->command, ::testing::ElementsAre("bundle", "exec", "thin", "-p", "3000"));
  EXPECT_THAT(*foo->entrypoint, ::testing::ElementsAre("/code/entrypoint.sh", "-p", "3000"));
  EXPECT_EQ(foo->environment.at("BAZ"), "baz_from_service_def");
  EXPECT_EQ(foo->environment.at("QUX"), std::nullopt);  // resolved later, not by Load
  EXPECT_EQ(foo->replicas, 6);
  EXPECT_EQ(foo->limits.cpus, 0.001);
  EXPECT_EQ(foo->limits.memory_bytes, 52428800);
  EXPECT_EQ(foo->reservations.cpus, 0.0001);
  EXPECT_EQ(foo->reservations.memory_bytes, 20971520);
  EXPECT_THAT(foo->depends_on, ::testing::ElementsAre("db", "redis"));

  struct Want {
    const char* host_ip;
    uint32_t target;
    std::optional<uint32_t> published;
  };
  std::vector<Want> want = {{"", 3000, std::nullopt}};
  for (uint32_t p = 3001; p <= 3005; ++p) want.push_back({"", p, std::nullopt});
  want.push_back({"", 8000, 8000});
  want.push_back({"", 8080, 9090});
  want.push_back({"", 8081, 9091});
  want.push_back({"", 22, 49100});
  want.push_back({"127.0.0.1", 8001, 8001});
  for (uint32_t p = 5000; p <= 5010; ++p) want.push_back({"127.0.0.1", p, p});
  ASSERT_EQ(foo->ports.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(foo->ports[i].host_ip, want[i].host_ip) << i;
    EXPECT_EQ(foo->ports[i].target, want[i].target) << i;
    EXPECT_EQ(foo->ports[i].published, want[i].published) << i;
    EXPECT_EQ(foo->ports[i].protocol, "tcp") << i;
  }
  const Service* bar = result->FindService("bar");
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ(bar->image, "");
}

}  // namespace
}  // namespace ecsync::compose
