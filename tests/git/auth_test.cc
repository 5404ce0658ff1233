// HTTPS authentication against a real server: smart HTTP with basic auth
// (tests/support/git_http_server.py). SSH is in ssh_auth_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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
using ::testing::Not;
using testing::TempDir;

constexpr char kToken[] = "ghp_s3cr3tT0kenValue1234567890";
constexpr char kWrongToken[] = "ghp_wr0ngT0kenValue0987654321";

// Lines of the HTTP server's request log whose status is `status`.
int CountStatus(const std::string& log_path, const std::string& status) {
  std::ifstream in(log_path);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    if (line.compare(0, status.size() + 1, status + " ") == 0) ++count;
  }
  return count;
}

class HttpAuthTest : public ::testing::Test {
 protected:
  HttpAuthTest() : source_(cache_.path() + "/git") {
    repo_.Write("compose.yaml", "services: {}\n");
    sha_ = repo_.Commit("first");
  }

  // Starts the server requiring `user`:`password`; returns the repository's URL.
  std::string Serve(const std::string& user, const std::string& password) {
    log_ = logs_.path() + "/requests.log";
    server_ = std::make_unique<LoopbackServer>(git_testing::GitHttpServerArgv(
        fs::path(repo_.path()).parent_path().string(), user, password, log_));
    EXPECT_GT(server_->port(), 0) << "the smart HTTP server did not start";
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/" +
           fs::path(repo_.path()).filename().string();
  }

  TempDir cache_;
  TempDir logs_;
  LibGit2Source source_;
  GitRepo repo_;
  std::string sha_;
  std::string log_;
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(HttpAuthTest, TokenWithDefaultUserName) {
  std::string url = Serve("x-access-token", kToken);
  Credentials token;
  token.password = kToken;
  source_.SetCredentials(url, token);
  auto head = source_.RemoteHead(url, "main");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(*head, sha_);
  auto fetched = source_.Fetch(url, "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha_);
  repo_.Write("compose.yaml", "v2\n");
  std::string second = repo_.Commit("second");
  EXPECT_EQ(*source_.RemoteHead(url, "main"), second);
  EXPECT_EQ(*source_.Fetch(url, "main"), second);
}

TEST_F(HttpAuthTest, UserNameAndPassword) {
  std::string url = Serve("deploy-bot", "pa55word");
  Credentials basic;
  basic.username = "deploy-bot";
  basic.password = "pa55word";
  // Credentials are matched after normalization: a trailing '/' does not matter.
  source_.SetCredentials(url + "/", basic);
  auto fetched = source_.Fetch(url, "");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, sha_);
}

TEST_F(HttpAuthTest, WrongTokenIsInvalidWithoutLeakingItOrLooping) {
  std::string url = Serve("x-access-token", kToken);
  Credentials wrong;
  wrong.password = kWrongToken;
  source_.SetCredentials(url, wrong);
  for (bool fetch : {false, true}) {
    auto result = fetch ? source_.Fetch(url, "main") : source_.RemoteHead(url, "main");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
    EXPECT_THAT(result.status().message(), HasSubstr("authentication failed"));
    EXPECT_THAT(result.status().message(), HasSubstr(url));
    EXPECT_THAT(result.status().message(), Not(HasSubstr(kWrongToken)));
    EXPECT_THAT(result.status().message(), Not(HasSubstr(kToken)));
  }
  // One anonymous request and one with the token per operation: no retry loop.
  EXPECT_LE(CountStatus(log_, "401"), 4);
  EXPECT_EQ(CountStatus(log_, "200"), 0);
}

TEST_F(HttpAuthTest, MissingCredentialsAreInvalid) {
  std::string url = Serve("x-access-token", kToken);
  auto result = source_.RemoteHead(url, "main");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("none that fit are configured"));
  // Credentials for another repository do not apply.
  Credentials token;
  token.password = kToken;
  source_.SetCredentials(url + "-other", token);
  EXPECT_EQ(source_.Fetch(url, "main").status().kind(), ErrorKind::kInvalid);
  // Setting empty credentials removes them again.
  source_.SetCredentials(url, token);
  EXPECT_TRUE(source_.RemoteHead(url, "main").ok());
  source_.SetCredentials(url, Credentials());
  EXPECT_EQ(source_.RemoteHead(url, "main").status().kind(), ErrorKind::kInvalid);
}

// A source's own credentials go with its own cache entries: an anonymous source for the same
// URL neither authenticates with them nor reads what they fetched.
TEST_F(HttpAuthTest, ASourceWithItsOwnCredentialsKeepsItsOwnCache) {
  std::string url = Serve("deploy-bot", "pa55word");
  Credentials basic;
  basic.username = "deploy-bot";
  basic.password = "pa55word";
  const std::string cache_dir = cache_.path() + "/git";
  LibGit2Source owned(cache_dir, "repository:good", basic);
  EXPECT_NE(*owned.CacheEntryDir(url), *source_.CacheEntryDir(url));
  EXPECT_EQ(*LibGit2Source(cache_dir, "", Credentials()).CacheEntryDir(url),
            *source_.CacheEntryDir(url));
  auto fetched = owned.Fetch(url, "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_TRUE(owned.ReadFile(url, sha_, "compose.yaml").ok());
  EXPECT_EQ(source_.Fetch(url, "main").status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(source_.ReadFile(url, sha_, "compose.yaml").status().kind(), ErrorKind::kNotFound);
  // SetCredentials still overrides a source's own credentials for one URL.
  Credentials wrong = basic;
  wrong.password = "wrong";
  owned.SetCredentials(url, wrong);
  EXPECT_EQ(owned.RemoteHead(url, "main").status().kind(), ErrorKind::kInvalid);
}

TEST_F(HttpAuthTest, PasswordInTheUrlIsRedacted) {
  std::string url = Serve("x-access-token", kToken);
  std::string with_password = "http://x-access-token:" + std::string(kWrongToken) + "@" +
                              url.substr(std::string("http://").size());
  auto result = source_.Fetch(with_password, "main");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
  EXPECT_THAT(result.status().message(), Not(HasSubstr(kWrongToken)));
  auto head = source_.RemoteHead(with_password, "main");
  ASSERT_FALSE(head.ok());
  EXPECT_THAT(head.status().message(), Not(HasSubstr(kWrongToken)));
}

}  // namespace
}  // namespace ecsync::git
