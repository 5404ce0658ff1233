// LibGit2Source::RemoteHead against real servers: file://, git daemon (git://) and smart
// HTTP. Each answer is compared with what Fetch resolves for the same ref.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "git/libgit2_source.h"
#include "tests/git/git_servers.h"
#include "tests/support/support.h"

namespace ecsync::git {
namespace {

namespace fs = std::filesystem;
using base::ErrorKind;
using git_testing::LoopbackServer;
using testing::GitRepo;
using ::testing::HasSubstr;
using testing::TempDir;

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class RemoteHeadTest : public ::testing::Test {
 protected:
  RemoteHeadTest() : source_(cache_.path() + "/git") {
    repo_.Write("compose.yaml", "services: {}\n");
    first_ = repo_.Commit("first");
    repo_.Git({"tag", "-a", "v1", "-m", "v1"});
    repo_.Git({"tag", "light"});
    repo_.Git({"branch", "release/1.2"});
    repo_.Write("compose.yaml", "services: {a: {image: x}}\n");
    second_ = repo_.Commit("second");
  }

  // RemoteHead(url, ref), and that Fetch agrees with it.
  std::string HeadAgreeingWithFetch(const std::string& url, const std::string& ref) {
    auto head = source_.RemoteHead(url, ref);
    if (!head.ok()) return head.status().ToString();
    auto fetched = source_.Fetch(url, ref);
    EXPECT_TRUE(fetched.ok()) << ref << ": " << fetched.status().ToString();
    if (fetched.ok()) {
      EXPECT_EQ(*head, *fetched) << ref;
    }
    return *head;
  }

  void ExpectRefsResolve(const std::string& url) {
    EXPECT_EQ(HeadAgreeingWithFetch(url, ""), second_);
    EXPECT_EQ(HeadAgreeingWithFetch(url, "HEAD"), second_);
    EXPECT_EQ(HeadAgreeingWithFetch(url, "main"), second_);
    EXPECT_EQ(HeadAgreeingWithFetch(url, "refs/heads/main"), second_);
    EXPECT_EQ(HeadAgreeingWithFetch(url, "release/1.2"), first_);
    EXPECT_EQ(HeadAgreeingWithFetch(url, "v1"), first_);  // annotated: peeled
    EXPECT_EQ(HeadAgreeingWithFetch(url, "refs/tags/v1"), first_);
    EXPECT_EQ(HeadAgreeingWithFetch(url, "light"), first_);
    auto missing = source_.RemoteHead(url, "nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound) << missing.status().ToString();
    auto branch_only = source_.RemoteHead(url, "refs/heads/v1");
    ASSERT_FALSE(branch_only.ok());
    EXPECT_EQ(branch_only.status().kind(), ErrorKind::kNotFound);
  }

  std::string BaseDir() const { return fs::path(repo_.path()).parent_path().string(); }
  std::string Name() const { return fs::path(repo_.path()).filename().string(); }

  TempDir cache_;
  LibGit2Source source_;
  GitRepo repo_;
  std::string first_;
  std::string second_;
};

TEST_F(RemoteHeadTest, ResolvesRefsOverFileUrlLikeFetch) { ExpectRefsResolve(repo_.url()); }

TEST_F(RemoteHeadTest, SeesNewCommitsWithoutFetching) {
  EXPECT_EQ(*source_.RemoteHead(repo_.url(), "main"), second_);
  repo_.Write("compose.yaml", "v3\n");
  std::string third = repo_.Commit("third");
  EXPECT_EQ(*source_.RemoteHead(repo_.url(), "main"), third);
  EXPECT_EQ(Trimmed(repo_.Git({"rev-parse", "main"})), third);
}

TEST_F(RemoteHeadTest, DoesNotTouchTheCache) {
  ASSERT_TRUE(source_.RemoteHead(repo_.url(), "main").ok());
  auto dir = source_.CacheEntryDir(repo_.url());
  ASSERT_TRUE(dir.ok());
  EXPECT_FALSE(fs::exists(*dir));
  EXPECT_FALSE(fs::exists(source_.cache_dir()));
}

TEST_F(RemoteHeadTest, FullShaIsReturnedWithoutContactingTheServer) {
  int port = testing::FreeLoopbackPort();  // nothing listens there
  std::string url = "git://127.0.0.1:" + std::to_string(port) + "/repo";
  std::string upper = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
  auto sha = source_.RemoteHead(url, upper);
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(*sha, "abcdef0123456789abcdef0123456789abcdef01");
  auto unreachable = source_.RemoteHead(url, "main");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.status().kind(), ErrorKind::kTransient) << unreachable.status().ToString();
}

TEST_F(RemoteHeadTest, BadInputAndMissingRepository) {
  EXPECT_EQ(source_.RemoteHead("ftp://example.com/r", "main").status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(source_.RemoteHead(repo_.url(), "a..b").status().kind(), ErrorKind::kInvalid);
  auto missing = source_.RemoteHead(repo_.url() + "-absent", "main");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
}

TEST_F(RemoteHeadTest, EmptyRepositoryHasNoHead) {
  GitRepo empty;
  auto head = source_.RemoteHead(empty.url(), "");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().kind(), ErrorKind::kNotFound) << head.status().ToString();
  EXPECT_EQ(source_.Fetch(empty.url(), "").status().kind(), ErrorKind::kNotFound);
}

TEST_F(RemoteHeadTest, ResolvesRefsOverGitDaemon) {
  LoopbackServer daemon(git_testing::GitDaemonArgv(BaseDir()));
  ASSERT_GT(daemon.port(), 0) << "git daemon did not start";
  std::string url = "git://127.0.0.1:" + std::to_string(daemon.port()) + "/" + Name();
  ExpectRefsResolve(url);
  repo_.Write("compose.yaml", "v3\n");
  std::string third = repo_.Commit("third");
  EXPECT_EQ(*source_.RemoteHead(url, "main"), third);
}

TEST_F(RemoteHeadTest, ResolvesRefsOverSmartHttp) {
  LoopbackServer server(git_testing::GitHttpServerArgv(BaseDir()));
  ASSERT_GT(server.port(), 0) << "the smart HTTP server did not start";
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/" + Name();
  ExpectRefsResolve(url);
}

TEST_F(RemoteHeadTest, TheDefaultImplementationFetches) {
  // A GitSource that only implements Fetch still answers RemoteHead.
  struct FetchOnly : GitSource {
    int fetches = 0;
    base::Result<std::string> Fetch(const std::string&, const std::string& ref) override {
      ++fetches;
      return "sha-of-" + ref;
    }
    base::Result<std::optional<std::string>> ReadFile(const std::string&, const std::string&,
                                                      const std::string&) override {
      return std::optional<std::string>();
    }
  } only;
  auto head = static_cast<GitSource&>(only).RemoteHead("u", "main");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, "sha-of-main");
  EXPECT_EQ(only.fetches, 1);
}

}  // namespace
}  // namespace ecsync::git
