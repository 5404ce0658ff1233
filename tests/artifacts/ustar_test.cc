// The ustar writer, checked by the tar implementations that unpack its archives: busybox tar
// (what the files init container runs) and GNU tar.
#include "artifacts/ustar.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

using ecsync::testing::ReadFileOrDie;
using ecsync::testing::RunCommand;
using ecsync::testing::TempDir;

constexpr char kBusybox[] = "/usr/bin/busybox";

std::vector<TarEntry> SampleEntries() {
  std::string big(70000, 'x');
  big[12345] = '\0';  // binary content survives
  return {
      {"0/run.sh", false, 0755, 0, 0, "#!/bin/sh\necho hi\n"},
      {"0", true, 0755, 0, 0, ""},
      {"0/conf.d", true, 0750, 0, 0, ""},
      {"0/conf.d/default.conf", false, 0644, 0, 0, "server {}\n"},
      {"0/big.bin", false, 0600, 0, 0, big},
      {"0/empty", false, 0444, 0, 0, ""},
      // Over 100 bytes: needs the ustar prefix field.
      {"1/" + std::string(60, 'd') + "/" + std::string(60, 'e') + "/file.txt", false, 0644, 0, 0,
       "deep\n"},
  };
}

uint32_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

void ExpectExtracted(const std::string& dir) {
  for (const TarEntry& entry : SampleEntries()) {
    const std::string path = dir + "/" + entry.path;
    EXPECT_EQ(ModeOf(path), entry.mode) << entry.path;
    if (!entry.directory) {
      EXPECT_EQ(ReadFileOrDie(path), entry.content) << entry.path;
    }
  }
}

void Extract(const std::vector<std::string>& tar, const std::string& archive,
             const std::string& dir) {
  std::vector<std::string> argv = tar;
  argv.insert(argv.end(), {"-x", "-f", "-", "-C", dir});
  // umask 0: the archive's modes, not the caller's umask, decide.
  std::vector<std::string> shell = {"sh", "-c", "umask 0; exec \"$@\"", "sh"};
  shell.insert(shell.end(), argv.begin(), argv.end());
  ecsync::testing::CommandResult run = RunCommand(shell, {}, "", archive);
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

TEST(Ustar, BusyboxTarRestoresPathsContentAndModes) {
  if (!std::filesystem::exists(kBusybox)) GTEST_SKIP() << "no " << kBusybox;
  auto archive = WriteUstar(SampleEntries());
  ASSERT_TRUE(archive.ok()) << archive.status().ToString();
  EXPECT_EQ(archive->size() % 512, 0u);
  TempDir dir;
  Extract({kBusybox, "tar"}, *archive, dir.path());
  ExpectExtracted(dir.path());
}

TEST(Ustar, GnuTarReadsItAsPosixUstar) {
  auto archive = WriteUstar(SampleEntries());
  ASSERT_TRUE(archive.ok());
  TempDir dir;
  Extract({"tar", "--no-same-owner"}, *archive, dir.path());
  ExpectExtracted(dir.path());
  // GNU tar verifies every header checksum; the listing shows the fixed owner and time.
  ecsync::testing::CommandResult list =
      RunCommand({"tar", "-tv", "--numeric-owner", "-f", "-"}, {}, "", *archive);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("-rwxr-xr-x 0/0"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("1970-01-01"), std::string::npos) << list.out;
}

TEST(Ustar, SameEntriesInAnyOrderGiveTheSameBytes) {
  std::vector<TarEntry> entries = SampleEntries();
  auto first = WriteUstar(entries);
  std::reverse(entries.begin(), entries.end());
  auto second = WriteUstar(entries);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(Ustar, ContentAndModeChangeTheBytes) {
  const std::string base = *WriteUstar({{"a", false, 0644, 0, 0, "x"}});
  EXPECT_NE(base, *WriteUstar({{"a", false, 0755, 0, 0, "x"}}));
  EXPECT_NE(base, *WriteUstar({{"a", false, 0644, 0, 0, "y"}}));
  EXPECT_EQ(base, *WriteUstar({{"a", false, 0644, 0, 0, "x"}}));
}

TEST(Ustar, RefusesWhatCannotBeWritten) {
  EXPECT_EQ(WriteUstar({{"/abs", false, 0644, 0, 0, ""}}).status().kind(),
            base::ErrorKind::kInvalid);
  EXPECT_FALSE(WriteUstar({{"a/../b", false, 0644, 0, 0, ""}}).ok());
  EXPECT_FALSE(WriteUstar({{"../b", false, 0644, 0, 0, ""}}).ok());
  EXPECT_FALSE(WriteUstar({{"", false, 0644, 0, 0, ""}}).ok());
  EXPECT_FALSE(WriteUstar({{"a", false, 0644, 0, 0, ""}, {"a", false, 0644, 0, 0, ""}}).ok());
  EXPECT_FALSE(WriteUstar({{"d", true, 0755, 0, 0, "content"}}).ok());
  EXPECT_FALSE(WriteUstar({{std::string(300, 'n'), false, 0644, 0, 0, ""}}).ok());
}

}  // namespace
}  // namespace ecsync::artifacts
