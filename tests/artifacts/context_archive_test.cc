// Build-context archives from real git repositories, read back with Info-ZIP's unzip and
// zipinfo: what is sent (the .dockerignore honoured, the Dockerfile and the ignore file
// always), modes and links as git has them, byte-identical archives of one tree, and the
// errors for submodules, limits and missing contexts.
#include "artifacts/context_archive.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

using ecsync::testing::GitRepo;
using ecsync::testing::ReadFileOrDie;
using ecsync::testing::RunCommand;
using ecsync::testing::TempDir;

constexpr char kIgnore[] =
    "# build output, but keep what the image needs\n"
    "\n"
    "build\n"
    "!build/keep\n"
    "**/*.log\n"
    "*.md\n"
    "!README.md\n"
    "Dockerfile\n"      // ignored in vain: always sent
    ".dockerignore\n";  // likewise

void MakeExecutable(const GitRepo& repo, const std::string& relative) {
  std::filesystem::permissions(repo.path() + "/" + relative,
                               std::filesystem::perms::owner_exec |
                                   std::filesystem::perms::group_exec |
                                   std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
}

// A context with nested directories, an executable, a link and a .dockerignore.
void WriteSampleContext(const GitRepo& repo, const std::string& dir) {
  const std::string at = dir.empty() ? "" : dir + "/";
  repo.Write(at + "Dockerfile", "FROM scratch\nCOPY . /app\n");
  repo.Write(at + ".dockerignore", kIgnore);
  repo.Write(at + "README.md", "# app\n");
  repo.Write(at + "NOTES.md", "private notes\n");
  repo.Write(at + "docs/guide.md", "# guide\n");
  repo.Write(at + "src/main.c", "int main(void) { return 0; }\n");
  repo.Write(at + "src/lib/util.c", "int util(void) { return 1; }\n");
  repo.Write(at + "src/lib/debug.log", "noise\n");
  repo.Write(at + "src/run.sh", "#!/bin/sh\nexec ./app\n");
  MakeExecutable(repo, at + "src/run.sh");
  std::filesystem::create_symlink("lib/util.c", repo.path() + "/" + at + "src/link");
  repo.Write(at + "build/out.o", "object code\n");
  repo.Write(at + "build/keep/important.txt", "needed\n");
  repo.Write(at + "logs/app.log", "log\n");
}

std::string RunOk(const std::vector<std::string>& argv) {
  ecsync::testing::CommandResult run = RunCommand(argv);
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  return run.out;
}

std::string Save(const TempDir& dir, const ContextArchive& archive) {
  return dir.WriteFile("context.zip", archive.zip);
}

ContextArchive ArchiveOrDie(const std::string& repo, const std::string& commit,
                            const std::string& context, const std::string& dockerfile) {
  auto archive = ArchiveBuildContext(repo, commit, context, dockerfile);
  EXPECT_TRUE(archive.ok()) << archive.status().ToString();
  return archive.ok() ? *archive : ContextArchive();
}

TEST(ContextArchive, SendsWhatDockerignoreKeepsWithModesAndLinks) {
  GitRepo repo;
  WriteSampleContext(repo, "");
  const std::string commit = repo.Commit();
  ContextArchive archive = ArchiveOrDie(repo.path(), commit, "", "Dockerfile");
  TempDir dir;
  const std::string path = Save(dir, archive);

  RunOk({"unzip", "-tq", path});
  EXPECT_EQ(RunOk({"unzip", "-Z1", path}),
            ".dockerignore\n"
            "Dockerfile\n"
            "README.md\n"
            "build/keep/important.txt\n"
            "docs/guide.md\n"
            "src/lib/util.c\n"
            "src/link\n"
            "src/main.c\n"
            "src/run.sh\n");
  EXPECT_EQ(archive.files, 9u);
  uint64_t bytes = 0;
  for (const char* f : {".dockerignore", "Dockerfile", "README.md", "build/keep/important.txt",
                        "docs/guide.md", "src/lib/util.c", "src/main.c", "src/run.sh"}) {
    bytes += ReadFileOrDie(repo.path() + "/" + f).size();
  }
  bytes += std::string("lib/util.c").size();  // the link's target
  EXPECT_EQ(archive.bytes, bytes);

  const std::string listing = RunOk({"zipinfo", path});
  auto line_of = [&](const std::string& name) {
    size_t end = listing.find(" " + name + "\n");
    EXPECT_NE(end, std::string::npos) << name << " in\n" << listing;
    size_t begin = listing.rfind('\n', end);
    return listing.substr(begin + 1, end - begin);
  };
  EXPECT_EQ(line_of("src/run.sh").substr(0, 10), "-rwxr-xr-x");
  EXPECT_EQ(line_of("src/main.c").substr(0, 10), "-rw-r--r--");
  EXPECT_EQ(line_of("src/link").substr(0, 10), "lrwxrwxrwx");
  EXPECT_NE(line_of("src/main.c").find("80-Jan-01 00:00"), std::string::npos);

  const std::string out = dir.path() + "/out";
  RunOk({"unzip", "-q", path, "-d", out});
  EXPECT_EQ(std::filesystem::read_symlink(out + "/src/link").string(), "lib/util.c");
  EXPECT_EQ(ReadFileOrDie(out + "/src/link"), "int util(void) { return 1; }\n");
  EXPECT_EQ(ReadFileOrDie(out + "/Dockerfile"), "FROM scratch\nCOPY . /app\n");
  EXPECT_EQ(ContextKey(archive), "ecsync/contexts/" + archive.sha256 + ".zip");
  EXPECT_EQ(archive.sha256.size(), 64u);
}

TEST(ContextArchive, SameTreeGivesByteIdenticalArchives) {
  GitRepo first;
  WriteSampleContext(first, "app");
  const std::string first_commit = first.Commit("first");
  // The same files in another repository, committed later with another message: another
  // commit, the same tree.
  GitRepo second;
  WriteSampleContext(second, "app");
  second.Write("unrelated.txt", "outside the context\n");
  const std::string second_commit = second.Commit("second");
  ASSERT_NE(first_commit, second_commit);

  ContextArchive a = ArchiveOrDie(first.path(), first_commit, "app", "Dockerfile");
  ContextArchive b = ArchiveOrDie(first.path(), first_commit, "app", "Dockerfile");
  ContextArchive c = ArchiveOrDie(second.path(), second_commit, "app", "Dockerfile");
  EXPECT_EQ(a.zip, b.zip);
  EXPECT_EQ(a.zip, c.zip);
  EXPECT_EQ(a.sha256, c.sha256);
  EXPECT_EQ(ContextKey(a), ContextKey(c));
}

TEST(ContextArchive, ChangedFileChangesHashIgnoredFileDoesNot) {
  GitRepo repo;
  WriteSampleContext(repo, "");
  const std::string base = repo.Commit();
  const std::string base_hash = ArchiveOrDie(repo.path(), base, "", "Dockerfile").sha256;

  repo.Write("NOTES.md", "edited private notes\n");  // excluded by *.md
  repo.Write("build/out.o", "new object code\n");    // excluded by build
  const std::string ignored_change = repo.Commit();
  EXPECT_EQ(ArchiveOrDie(repo.path(), ignored_change, "", "Dockerfile").sha256, base_hash);

  repo.Write("src/main.c", "int main(void) { return 2; }\n");
  const std::string sent_change = repo.Commit();
  EXPECT_NE(ArchiveOrDie(repo.path(), sent_change, "", "Dockerfile").sha256, base_hash);

  // A mode change alone is a change too.
  repo.Write("src/main.c", "int main(void) { return 0; }\n");
  MakeExecutable(repo, "src/main.c");
  const std::string mode_change = repo.Commit();
  EXPECT_NE(ArchiveOrDie(repo.path(), mode_change, "", "Dockerfile").sha256, base_hash);
}

TEST(ContextArchive, DockerfileSpecificIgnoreFileWinsAndItsDirectoryStillSendsDockerfile) {
  GitRepo repo;
  repo.Write("services/api/.dockerignore", "*\n");  // would exclude everything
  repo.Write("services/api/docker/api.Dockerfile", "FROM scratch\n");
  repo.Write("services/api/docker/api.Dockerfile.dockerignore", "docker\ntmp\n");
  repo.Write("services/api/docker/other.txt", "excluded with its directory\n");
  repo.Write("services/api/tmp/cache", "excluded\n");
  repo.Write("services/api/app.py", "print('hi')\n");
  repo.Write("other/file", "outside the context\n");
  const std::string commit = repo.Commit();
  ContextArchive archive =
      ArchiveOrDie(repo.path(), commit, "services/api", "docker/api.Dockerfile");
  TempDir dir;
  EXPECT_EQ(RunOk({"unzip", "-Z1", Save(dir, archive)}),
            ".dockerignore\n"
            "app.py\n"
            "docker/api.Dockerfile\n"
            "docker/api.Dockerfile.dockerignore\n");
}

TEST(ContextArchive, WithoutDockerignoreEverythingIsSent) {
  GitRepo repo;
  repo.Write("Dockerfile", "FROM scratch\n");
  repo.Write("a/b/c.txt", "c\n");
  const std::string commit = repo.Commit();
  ContextArchive archive = ArchiveOrDie(repo.path(), commit, "", "Dockerfile");
  TempDir dir;
  EXPECT_EQ(RunOk({"unzip", "-Z1", Save(dir, archive)}), "Dockerfile\na/b/c.txt\n");
}

// Without an ignore file the archive holds what `git archive` of the context folder holds:
// the same files, bytes, links and executable bits, unpacked by two unrelated tools.
TEST(ContextArchive, WithoutIgnoreFileUnpacksLikeGitArchive) {
  GitRepo repo;
  WriteSampleContext(repo, "svc");
  repo.Remove("svc/.dockerignore");
  repo.Write("elsewhere/file", "outside the context\n");
  const std::string commit = repo.Commit();
  ContextArchive archive = ArchiveOrDie(repo.path(), commit, "svc", "Dockerfile");
  TempDir dir;
  const std::string ours = dir.path() + "/ours";
  const std::string git = dir.path() + "/git";
  RunOk({"unzip", "-q", Save(dir, archive), "-d", ours});
  std::filesystem::create_directories(git);
  // tar.umask 0022: git's default (0002) would add group write, which git's modes lack.
  RunOk({"sh", "-c",
         "git -C \"$1\" -c tar.umask=0022 archive --format=tar \"$2:svc\" | tar -x -C \"$3\"", "sh",
         repo.path(), commit, git});
  RunOk({"diff", "-r", "--no-dereference", ours, git});
  // Types and permission bits of every entry (diff compares content and link targets).
  const std::string list = "cd \"$1\" && find . -mindepth 1 ! -type d -printf '%y %m %p\\n' | sort";
  EXPECT_EQ(RunOk({"sh", "-c", list, "sh", ours}), RunOk({"sh", "-c", list, "sh", git}));
  EXPECT_NE(RunOk({"sh", "-c", list, "sh", ours}).find("f 755 ./src/run.sh"), std::string::npos);
}

TEST(ContextArchive, SubmoduleIsRefusedWithItsPathUnlessIgnored) {
  GitRepo repo;
  repo.Write("app/Dockerfile", "FROM scratch\n");
  repo.Commit();
  // A gitlink, as `git submodule add` records it (committed from the index alone: the work
  // tree has no app/vendor/lib, which `git add -A` would take as a removal).
  repo.Git({"update-index", "--add", "--cacheinfo", "160000," + repo.Head() + ",app/vendor/lib"});
  repo.Git({"commit", "-q", "-m", "submodule"});
  const std::string commit = repo.Head();
  auto archive = ArchiveBuildContext(repo.path(), commit, "app", "Dockerfile");
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(archive.status().message().find("build context app"), std::string::npos)
      << archive.status().message();
  EXPECT_NE(archive.status().message().find("app/vendor/lib is a git submodule"), std::string::npos)
      << archive.status().message();

  repo.Write("app/.dockerignore", "vendor\n");
  repo.Git({"add", "app/.dockerignore"});
  repo.Git({"commit", "-q", "-m", "ignore the submodule"});
  ASSERT_EQ(repo.Git({"ls-tree", "-r", "HEAD", "app/vendor/lib"}).substr(0, 6), "160000");
  auto ignored = ArchiveBuildContext(repo.path(), repo.Head(), "app", "Dockerfile");
  ASSERT_TRUE(ignored.ok()) << ignored.status().ToString();
  EXPECT_EQ(ignored->files, 2u);  // .dockerignore and Dockerfile
}

TEST(ContextArchive, LimitsOnFilesAndBytesNameTheContext) {
  GitRepo repo;
  WriteSampleContext(repo, "web");
  const std::string commit = repo.Commit();
  ContextArchiveLimits files;
  files.max_files = 8;  // the context sends 9
  auto too_many = ArchiveBuildContext(repo.path(), commit, "web", "Dockerfile", files);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(too_many.status().message().find("build context web has more than 8 files"),
            std::string::npos)
      << too_many.status().message();
  files.max_files = 9;
  EXPECT_TRUE(ArchiveBuildContext(repo.path(), commit, "web", "Dockerfile", files).ok());

  ContextArchiveLimits bytes;
  bytes.max_bytes = 100;
  auto too_big = ArchiveBuildContext(repo.path(), commit, "web", "Dockerfile", bytes);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(too_big.status().message().find("build context web holds more than 100 bytes"),
            std::string::npos)
      << too_big.status().message();
}

TEST(ContextArchive, MissingContextOrOutsideDockerfileIsInvalid) {
  GitRepo repo;
  repo.Write("app/Dockerfile", "FROM scratch\n");
  repo.Write("file", "not a directory\n");
  const std::string commit = repo.Commit();
  for (const char* context : {"missing", "file"}) {
    auto archive = ArchiveBuildContext(repo.path(), commit, context, "Dockerfile");
    ASSERT_FALSE(archive.ok()) << context;
    EXPECT_EQ(archive.status().kind(), base::ErrorKind::kInvalid) << context;
    EXPECT_NE(archive.status().message().find(std::string("build context ") + context),
              std::string::npos)
        << archive.status().message();
  }
  auto climbing = ArchiveBuildContext(repo.path(), commit, "../app", "Dockerfile");
  ASSERT_FALSE(climbing.ok());
  EXPECT_EQ(climbing.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(climbing.status().message().find("build context ../app"), std::string::npos)
      << climbing.status().message();
  auto outside = ArchiveBuildContext(repo.path(), commit, "app", "../Dockerfile");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().kind(), base::ErrorKind::kInvalid);
  auto no_commit = ArchiveBuildContext(repo.path(), std::string(40, 'a'), "app", "Dockerfile");
  ASSERT_FALSE(no_commit.ok());
  EXPECT_EQ(no_commit.status().kind(), base::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace ecsync::artifacts
