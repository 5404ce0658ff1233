// The ZIP writer, read back by Info-ZIP's unzip and zipinfo (what a CodeBuild-like consumer
// sees): paths, contents, CRCs, Unix modes, links, and the ZIP64 end records.
#include "artifacts/zip_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

using ecsync::testing::ReadFileOrDie;
using ecsync::testing::RunCommand;
using ecsync::testing::TempDir;

std::string WriteArchive(const TempDir& dir, const std::string& zip) {
  return dir.WriteFile("archive.zip", zip);
}

std::string RunTool(const std::vector<std::string>& argv) {
  ecsync::testing::CommandResult run = RunCommand(argv);
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  return run.out;
}

std::string RandomBytes(size_t n) {
  std::mt19937 random(42);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
  return bytes;
}

TEST(ZipWriter, UnzipRestoresFilesModesAndLinks) {
  ZipWriter zip;
  const std::string text(100000, 'a');           // compresses well: deflated
  const std::string noise = RandomBytes(50000);  // does not: stored
  ASSERT_TRUE(zip.Add("bin/run.sh", ZipEntryType::kFile, 0755, "#!/bin/sh\necho hi\n").ok());
  ASSERT_TRUE(zip.Add("data/noise.bin", ZipEntryType::kFile, 0644, noise).ok());
  ASSERT_TRUE(zip.Add("data/text.txt", ZipEntryType::kFile, 0644, text).ok());
  ASSERT_TRUE(zip.Add("empty", ZipEntryType::kFile, 0644, "").ok());
  ASSERT_TRUE(zip.Add("link", ZipEntryType::kSymlink, 0777, "data/text.txt").ok());
  ASSERT_TRUE(zip.Add("caf\xC3\xA9.txt", ZipEntryType::kFile, 0644, "utf-8 name\n").ok());
  EXPECT_EQ(zip.entries(), 6u);
  TempDir dir;
  const std::string path = WriteArchive(dir, zip.Finish());

  RunTool({"unzip", "-tq", path});  // every CRC checks out
  const std::string listing = RunTool({"zipinfo", path});
  EXPECT_NE(listing.find("-rwxr-xr-x  3.0 unx       18 b- stor 80-Jan-01 00:00 bin/run.sh"),
            std::string::npos)
      << listing;
  EXPECT_NE(listing.find("stor 80-Jan-01 00:00 data/noise.bin"), std::string::npos) << listing;
  EXPECT_NE(listing.find("defN 80-Jan-01 00:00 data/text.txt"), std::string::npos) << listing;
  EXPECT_NE(listing.find("lrwxrwxrwx"), std::string::npos) << listing;

  const std::string out = dir.path() + "/out";
  RunTool({"unzip", "-q", path, "-d", out});
  EXPECT_EQ(ReadFileOrDie(out + "/data/text.txt"), text);
  EXPECT_EQ(ReadFileOrDie(out + "/data/noise.bin"), noise);
  EXPECT_EQ(ReadFileOrDie(out + "/empty"), "");
  EXPECT_EQ(ReadFileOrDie(out + "/caf\xC3\xA9.txt"), "utf-8 name\n");
  EXPECT_TRUE(std::filesystem::is_symlink(out + "/link"));
  EXPECT_EQ(std::filesystem::read_symlink(out + "/link").string(), "data/text.txt");
  const auto perms = std::filesystem::status(out + "/bin/run.sh").permissions();
  EXPECT_NE(perms & std::filesystem::perms::owner_exec, std::filesystem::perms::none);
}

TEST(ZipWriter, SameEntriesGiveSameBytes) {
  auto build = [] {
    ZipWriter zip;
    EXPECT_TRUE(zip.Add("a", ZipEntryType::kFile, 0644, std::string(5000, 'x')).ok());
    EXPECT_TRUE(zip.Add("b/c", ZipEntryType::kSymlink, 0777, "../a").ok());
    return zip.Finish();
  };
  EXPECT_EQ(build(), build());
}

TEST(ZipWriter, MoreThan65535EntriesUseZip64EndRecords) {
  constexpr int kEntries = 70000;
  ZipWriter zip(0);
  for (int i = 0; i < kEntries; ++i) {
    char name[32];
    snprintf(name, sizeof(name), "d%02d/f%06d", i % 50, i);
    ASSERT_TRUE(zip.Add(name, ZipEntryType::kFile, 0644, std::to_string(i)).ok());
  }
  TempDir dir;
  const std::string path = WriteArchive(dir, zip.Finish());
  RunTool({"unzip", "-tq", path});
  const std::string names = RunTool({"unzip", "-Z1", path});
  EXPECT_EQ(std::count(names.begin(), names.end(), '\n'), kEntries);
  EXPECT_NE(names.find("d19/f069969\n"), std::string::npos);
}

TEST(ZipWriter, RefusesEmptyPath) {
  ZipWriter zip;
  base::Status status = zip.Add("", ZipEntryType::kFile, 0644, "x");
  EXPECT_EQ(status.kind(), base::ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ecsync::artifacts
