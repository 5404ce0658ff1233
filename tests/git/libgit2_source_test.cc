#include "git/libgit2_source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/git/git_servers.h"
#include "tests/support/support.h"

namespace ecsync::git {
namespace {

namespace fs = std::filesystem;
using base::ErrorKind;
using ecsync::testing::FreeLoopbackPort;
using git_testing::LoopbackServer;
using ::testing::ElementsAre;
using testing::GitRepo;
using ::testing::HasSubstr;
using testing::TempDir;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A cache directory and a source over it, plus a repository with one commit.
class LibGit2SourceTest : public ::testing::Test {
 protected:
  LibGit2SourceTest() : source_(cache_.path() + "/git") {}

  std::string CommitInitial() {
    repo_.Write("compose.yaml", "services: {}\n");
    repo_.Write("apps/web/compose.yaml", "services:\n  web:\n    image: nginx\n");
    return repo_.Commit("initial");
  }

  // The contents of `path` at `commit`, or "<absent>"; fails the test on error.
  std::string Read(const std::string& url, const std::string& commit, const std::string& path) {
    auto content = source_.ReadFile(url, commit, path);
    EXPECT_TRUE(content.ok()) << content.status().ToString();
    if (!content.ok()) return "<error>";
    return content->value_or("<absent>");
  }

  TempDir cache_;
  LibGit2Source source_;
  GitRepo repo_;
};

TEST_F(LibGit2SourceTest, FetchBranchReturnsTheSameShaAsGit) {
  std::string sha = CommitInitial();
  auto fetched = source_.Fetch(repo_.url(), "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha);
  EXPECT_EQ(*fetched, Trim(repo_.Git({"rev-parse", "main"})));
  // The cache holds a bare repository; nothing is checked out.
  auto dir = source_.CacheEntryDir(repo_.url());
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(fs::exists(*dir + "/HEAD"));
  EXPECT_FALSE(fs::exists(*dir + "/compose.yaml"));
  EXPECT_EQ(fs::path(*dir).parent_path(), fs::path(cache_.path() + "/git"));
  EXPECT_EQ(fs::path(*dir).filename().string().size(), 16u);
  // The entry names its remote "origin", so the git CLI can inspect it.
  testing::CommandResult origin =
      testing::RunCommand({"git", "--git-dir=" + *dir, "config", "remote.origin.url"});
  EXPECT_EQ(Trim(origin.out), repo_.url());
}

TEST_F(LibGit2SourceTest, ReadsFilesFromTheCommitTree) {
  std::string sha = CommitInitial();
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  EXPECT_EQ(Read(repo_.url(), sha, "compose.yaml"), "services: {}\n");
  EXPECT_EQ(Read(repo_.url(), sha, "apps/web/compose.yaml"),
            "services:\n  web:\n    image: nginx\n");
  EXPECT_EQ(Read(repo_.url(), sha, "./apps/../apps/web//compose.yaml"),
            "services:\n  web:\n    image: nginx\n");
  EXPECT_EQ(Read(repo_.url(), sha, "missing.yaml"), "<absent>");
  EXPECT_EQ(Read(repo_.url(), sha, "apps/missing/compose.yaml"), "<absent>");
  EXPECT_EQ(Read(repo_.url(), sha, "compose.yaml/inside"), "<absent>");
}

TEST_F(LibGit2SourceTest, ReadFileRejectsDirectoriesAndEscapes) {
  std::string sha = CommitInitial();
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  EXPECT_EQ(source_.ReadFile(repo_.url(), sha, "apps").status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(source_.ReadFile(repo_.url(), sha, "../etc/passwd").status().kind(),
            ErrorKind::kInvalid);
  EXPECT_EQ(source_.ReadFile(repo_.url(), sha, "/compose.yaml").status().kind(),
            ErrorKind::kInvalid);
  EXPECT_EQ(source_.ReadFile(repo_.url(), "abc123", "compose.yaml").status().kind(),
            ErrorKind::kInvalid);
}

TEST_F(LibGit2SourceTest, ReadFileOfUnfetchedCommitIsNotFound) {
  std::string sha = CommitInitial();
  auto before = source_.ReadFile(repo_.url(), sha, "compose.yaml");
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.status().kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  auto unknown = source_.ReadFile(repo_.url(), std::string(40, 'a'), "compose.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("fetch it first"));
}

TEST_F(LibGit2SourceTest, NewCommitIsFetchedAndOldCommitStaysReadable) {
  std::string first = CommitInitial();
  ASSERT_EQ(*source_.Fetch(repo_.url(), "main"), first);
  repo_.Write("compose.yaml", "services: {changed: {}}\n");
  std::string second = repo_.Commit("second");
  auto fetched = source_.Fetch(repo_.url(), "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, second);
  EXPECT_EQ(Read(repo_.url(), second, "compose.yaml"), "services: {changed: {}}\n");
  EXPECT_EQ(Read(repo_.url(), first, "compose.yaml"), "services: {}\n");
}

TEST_F(LibGit2SourceTest, DeletedFileIsAbsentOnlyAfterTheDeletion) {
  std::string first = CommitInitial();
  repo_.Remove("apps/web/compose.yaml");
  std::string second = repo_.Commit("remove web");
  ASSERT_EQ(*source_.Fetch(repo_.url(), "main"), second);
  EXPECT_EQ(Read(repo_.url(), second, "apps/web/compose.yaml"), "<absent>");
  EXPECT_EQ(Read(repo_.url(), first, "apps/web/compose.yaml"),
            "services:\n  web:\n    image: nginx\n");
}

TEST_F(LibGit2SourceTest, UnknownBranchIsNotFound) {
  CommitInitial();
  auto fetched = source_.Fetch(repo_.url(), "nope");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(fetched.status().message(), HasSubstr("branch 'nope' not found in " + repo_.url()));
  auto qualified = source_.Fetch(repo_.url(), "refs/heads/nope");
  EXPECT_EQ(qualified.status().kind(), ErrorKind::kNotFound);
  auto tag = source_.Fetch(repo_.url(), "refs/tags/nope");
  EXPECT_EQ(tag.status().kind(), ErrorKind::kNotFound);
}

TEST_F(LibGit2SourceTest, MalformedRefIsInvalid) {
  CommitInitial();
  for (const char* ref : {"bad..name", "ends.lock", "refs/notes/x", "with space"}) {
    auto fetched = source_.Fetch(repo_.url(), ref);
    ASSERT_FALSE(fetched.ok()) << ref;
    EXPECT_EQ(fetched.status().kind(), ErrorKind::kInvalid) << ref;
  }
}

TEST_F(LibGit2SourceTest, BranchWithSlashesAndQualifiedName) {
  CommitInitial();
  repo_.Git({"checkout", "-q", "-b", "release/1.2"});
  repo_.Write("release.txt", "1.2\n");
  std::string release = repo_.Commit("release");
  EXPECT_EQ(*source_.Fetch(repo_.url(), "release/1.2"), release);
  EXPECT_EQ(*source_.Fetch(repo_.url(), "refs/heads/release/1.2"), release);
}

TEST_F(LibGit2SourceTest, TagsResolveToTheirCommit) {
  std::string first = CommitInitial();
  repo_.Git({"tag", "light"});
  repo_.Git({"tag", "-a", "v1.0", "-m", "release 1.0"});
  std::string second = repo_.Commit("after tags");
  EXPECT_EQ(*source_.Fetch(repo_.url(), "light"), first);
  auto annotated = source_.Fetch(repo_.url(), "v1.0");
  ASSERT_TRUE(annotated.ok()) << annotated.status().ToString();
  EXPECT_EQ(*annotated, first);  // the commit, not the tag object
  EXPECT_NE(*annotated, Trim(repo_.Git({"rev-parse", "v1.0"})));
  EXPECT_EQ(*source_.Fetch(repo_.url(), "refs/tags/v1.0"), first);
  // A tag moved on the remote is followed.
  repo_.Git({"tag", "-f", "light", second});
  EXPECT_EQ(*source_.Fetch(repo_.url(), "light"), second);
}

TEST_F(LibGit2SourceTest, BranchWinsOverTagOfTheSameName) {
  std::string first = CommitInitial();
  repo_.Git({"tag", "same", first});
  std::string second = repo_.Commit("second");
  repo_.Git({"branch", "same", second});
  EXPECT_EQ(*source_.Fetch(repo_.url(), "same"), second);
  EXPECT_EQ(*source_.Fetch(repo_.url(), "refs/tags/same"), first);
}

TEST_F(LibGit2SourceTest, FullShaRef) {
  std::string first = CommitInitial();
  std::string second = repo_.Commit("second");
  EXPECT_EQ(*source_.Fetch(repo_.url(), first), first);
  EXPECT_EQ(*source_.Fetch(repo_.url(), second), second);
  std::string upper = first;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(*source_.Fetch(repo_.url(), upper), first);
  auto unknown = source_.Fetch(repo_.url(), std::string(40, 'b'));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().kind(), ErrorKind::kNotFound);
}

TEST_F(LibGit2SourceTest, EmptyAndHeadRefMeanTheDefaultBranch) {
  GitRepo trunk("trunk");
  trunk.Write("a.txt", "a\n");
  std::string sha = trunk.Commit("on trunk");
  trunk.Git({"checkout", "-q", "-b", "other"});
  std::string other = trunk.Commit("on other");
  trunk.Git({"checkout", "-q", "trunk"});
  EXPECT_EQ(*source_.Fetch(trunk.url(), ""), sha);
  EXPECT_EQ(*source_.Fetch(trunk.url(), "HEAD"), sha);
  // Following the remote when its default branch changes.
  trunk.Git({"checkout", "-q", "other"});
  EXPECT_EQ(*source_.Fetch(trunk.url(), "HEAD"), other);
}

TEST_F(LibGit2SourceTest, EmptyRepositoryHasNoDefaultBranch) {
  auto fetched = source_.Fetch(repo_.url(), "HEAD");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().kind(), ErrorKind::kNotFound);
}

TEST_F(LibGit2SourceTest, DeletedBranchIsPruned) {
  CommitInitial();
  repo_.Git({"branch", "feature"});
  ASSERT_TRUE(source_.Fetch(repo_.url(), "feature").ok());
  repo_.Git({"branch", "-D", "feature"});
  EXPECT_EQ(source_.Fetch(repo_.url(), "feature").status().kind(), ErrorKind::kNotFound);
}

TEST_F(LibGit2SourceTest, ChangedPathsListsAddedModifiedAndDeletedFiles) {
  std::string first = CommitInitial();
  repo_.Write("apps/api/compose.yaml", "services: {api: {}}\n");
  repo_.Write("compose.yaml", "services: {x: {}}\n");
  repo_.Remove("apps/web/compose.yaml");
  std::string second = repo_.Commit("change");
  repo_.Git({"mv", "apps/api/compose.yaml", "apps/api/compose.yml"});
  std::string third = repo_.Commit("rename");
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  auto changed = source_.ChangedPaths(repo_.url(), first, second);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_THAT(*changed,
              ElementsAre("apps/api/compose.yaml", "apps/web/compose.yaml", "compose.yaml"));
  EXPECT_THAT(*source_.ChangedPaths(repo_.url(), second, third),
              ElementsAre("apps/api/compose.yaml", "apps/api/compose.yml"));
  EXPECT_TRUE(source_.ChangedPaths(repo_.url(), third, third)->empty());
  EXPECT_THAT(*source_.ChangedPaths(repo_.url(), "", first),
              ElementsAre("apps/web/compose.yaml", "compose.yaml"));
  EXPECT_EQ(source_.ChangedPaths(repo_.url(), std::string(40, 'c'), third).status().kind(),
            ErrorKind::kNotFound);
}

TEST_F(LibGit2SourceTest, ListFilesIsRecursiveAndSorted) {
  std::string sha = CommitInitial();
  repo_.Write("apps/api/compose.yaml", "x\n");
  repo_.Write("apps/api/.env", "A=1\n");
  sha = repo_.Commit("more");
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  EXPECT_THAT(*source_.ListFiles(repo_.url(), sha, "apps"),
              ElementsAre("apps/api/.env", "apps/api/compose.yaml", "apps/web/compose.yaml"));
  EXPECT_THAT(*source_.ListFiles(repo_.url(), sha, ""),
              ElementsAre("apps/api/.env", "apps/api/compose.yaml", "apps/web/compose.yaml",
                          "compose.yaml"));
  EXPECT_TRUE(source_.ListFiles(repo_.url(), sha, "nowhere")->empty());
  EXPECT_EQ(source_.ListFiles(repo_.url(), sha, "compose.yaml").status().kind(),
            ErrorKind::kInvalid);
}

TEST_F(LibGit2SourceTest, SymbolicLinksInsideTheRepositoryAreFollowed) {
  CommitInitial();
  fs::create_symlink("web/compose.yaml", repo_.path() + "/apps/link.yaml");
  fs::create_directory_symlink("apps/web", repo_.path() + "/webdir");
  fs::create_symlink("../../etc/passwd", repo_.path() + "/apps/escape");
  fs::create_symlink("/etc/passwd", repo_.path() + "/absolute");
  std::string sha = repo_.Commit("links");
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  std::string web = "services:\n  web:\n    image: nginx\n";
  EXPECT_EQ(Read(repo_.url(), sha, "apps/link.yaml"), web);
  EXPECT_EQ(Read(repo_.url(), sha, "webdir/compose.yaml"), web);
  EXPECT_EQ(source_.ReadFile(repo_.url(), sha, "apps/escape").status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(source_.ReadFile(repo_.url(), sha, "absolute").status().kind(), ErrorKind::kInvalid);
}

TEST_F(LibGit2SourceTest, CorruptCacheEntryIsReplaced) {
  std::string sha = CommitInitial();
  auto dir = source_.CacheEntryDir(repo_.url());
  ASSERT_TRUE(dir.ok());
  fs::create_directories(*dir + "/junk");
  std::ofstream(*dir + "/HEAD") << "not a ref\n";
  auto fetched = source_.Fetch(repo_.url(), "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha);
  EXPECT_FALSE(fs::exists(*dir + "/junk"));
  EXPECT_EQ(Read(repo_.url(), sha, "compose.yaml"), "services: {}\n");
}

TEST_F(LibGit2SourceTest, CacheEntryWithLostObjectsIsReplaced) {
  std::string first = CommitInitial();
  ASSERT_TRUE(source_.Fetch(repo_.url(), "main").ok());
  auto dir = source_.CacheEntryDir(repo_.url());
  ASSERT_TRUE(dir.ok());
  fs::remove_all(*dir + "/objects");
  fs::create_directories(*dir + "/objects/pack");
  std::string second = repo_.Commit("second");
  auto fetched = source_.Fetch(repo_.url(), "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, second);
  EXPECT_EQ(Read(repo_.url(), first, "compose.yaml"), "services: {}\n");
}

TEST_F(LibGit2SourceTest, PlainPathAndFileUrlShareTheCache) {
  std::string sha = CommitInitial();
  auto fetched = source_.Fetch(repo_.path(), "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha);
  EXPECT_EQ(*source_.CacheEntryDir(repo_.path()), *source_.CacheEntryDir(repo_.url()));
  EXPECT_EQ(*source_.CacheEntryDir(repo_.path() + "/"), *source_.CacheEntryDir(repo_.url()));
  // Fetched through the path, readable through the URL.
  EXPECT_EQ(Read(repo_.url(), sha, "compose.yaml"), "services: {}\n");
}

TEST_F(LibGit2SourceTest, MissingRepositoryIsNotFoundAndBadUrlIsInvalid) {
  auto missing = source_.Fetch("file:///nonexistent/ecsync/repo", "main");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound) << missing.status().ToString();
  auto bad = source_.Fetch("ftp://example.com/repo", "main");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalid);
}

TEST_F(LibGit2SourceTest, ConcurrentFetchesOfOneUrlAgree) {
  std::string sha = CommitInitial();
  GitRepo other;
  other.Write("b.txt", "b\n");
  std::string other_sha = other.Commit();
  constexpr int kThreads = 4;
  std::vector<base::Result<std::string>> results(kThreads, base::InternalError("not run"));
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Two sources over one cache directory still share the per-URL lock.
      LibGit2Source own(cache_.path() + "/git");
      LibGit2Source& source = i % 2 == 0 ? source_ : own;
      const std::string& url = i == 3 ? other.url() : repo_.url();
      results[i] = source.Fetch(url, "main");
      if (results[i].ok()) {
        auto read = source.ReadFile(url, *results[i], i == 3 ? "b.txt" : "compose.yaml");
        if (!read.ok()) results[i] = read.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    EXPECT_EQ(*results[i], i == 3 ? other_sha : sha);
  }
}

// ---------------------------------------------------------------------------------------------
// Network transports, against real servers on loopback.

TEST_F(LibGit2SourceTest, FetchesOverGitDaemon) {
  std::string sha = CommitInitial();
  repo_.Git({"tag", "-a", "v1", "-m", "v1"});
  fs::path base = fs::path(repo_.path()).parent_path();
  std::string name = fs::path(repo_.path()).filename().string();
  LoopbackServer daemon(git_testing::GitDaemonArgv(base.string()));
  ASSERT_GT(daemon.port(), 0) << "git daemon did not start";
  std::string url = "git://127.0.0.1:" + std::to_string(daemon.port()) + "/" + name;
  auto fetched = source_.Fetch(url, "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha);
  EXPECT_EQ(*source_.Fetch(url, "HEAD"), sha);
  EXPECT_EQ(*source_.Fetch(url, "v1"), sha);
  EXPECT_EQ(Read(url, sha, "apps/web/compose.yaml"), "services:\n  web:\n    image: nginx\n");
  repo_.Write("compose.yaml", "v2\n");
  std::string second = repo_.Commit("second");
  EXPECT_EQ(*source_.Fetch(url, "main"), second);
  EXPECT_EQ(source_.Fetch(url, "nope").status().kind(), ErrorKind::kNotFound);
}

TEST_F(LibGit2SourceTest, UnreachableServerIsTransient) {
  int port = FreeLoopbackPort();  // nothing listens there
  std::string url = "git://127.0.0.1:" + std::to_string(port) + "/repo";
  auto fetched = source_.Fetch(url, "main");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().kind(), ErrorKind::kTransient) << fetched.status().ToString();
  auto http = source_.Fetch("http://127.0.0.1:" + std::to_string(port) + "/repo.git", "main");
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.status().kind(), ErrorKind::kTransient) << http.status().ToString();
}

TEST_F(LibGit2SourceTest, FetchesOverSmartHttp) {
  std::string sha = CommitInitial();
  fs::path base = fs::path(repo_.path()).parent_path();
  std::string name = fs::path(repo_.path()).filename().string();
  LoopbackServer server(git_testing::GitHttpServerArgv(base.string()));
  ASSERT_GT(server.port(), 0) << "the smart HTTP server did not start";
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/" + name;
  auto fetched = source_.Fetch(url, "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha);
  EXPECT_EQ(*source_.Fetch(url, ""), sha);
  EXPECT_EQ(Read(url, sha, "compose.yaml"), "services: {}\n");
  repo_.Write("compose.yaml", "v2\n");
  std::string second = repo_.Commit("second");
  EXPECT_EQ(*source_.Fetch(url, "main"), second);
  EXPECT_EQ(Read(url, second, "compose.yaml"), "v2\n");
  auto missing =
      source_.Fetch("http://127.0.0.1:" + std::to_string(server.port()) + "/no-such-repo", "main");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kTransient) << missing.status().ToString();
  EXPECT_THAT(missing.status().message(), HasSubstr("404"));
}

}  // namespace
}  // namespace ecsync::git
