// Authentication against real servers: smart HTTP with basic auth
// (tests/support/git_http_server.py) and a private sshd with key authentication and
// known_hosts checking.

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
using ::testing::HasSubstr;
using ::testing::Not;
using testing::GitRepo;
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

// ---------------------------------------------------------------------------------------------
// SSH

class SshAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!git_testing::SshdUsable()) GTEST_SKIP() << "sshd is not installed (openssh-server)";
    server_ = std::make_unique<git_testing::SshGitServer>();
    ASSERT_GT(server_->port(), 0) << "sshd did not start";
    repo_.Write("compose.yaml", "services: {}\n");
    sha_ = repo_.Commit("first");
    url_ = server_->Url(repo_.path());
  }

  // A known_hosts file with `lines`.
  std::string KnownHostsFile(const std::string& lines) {
    return files_.WriteFile("known_hosts." + std::to_string(++files_written_), lines);
  }
  // The "[127.0.0.1]:PORT" line for the server's host key.
  std::string HostLine() const {
    return "[127.0.0.1]:" + std::to_string(server_->port()) + " " + server_->HostPublicKey();
  }
  Credentials KeyCredentials(const std::string& known_hosts) const {
    Credentials c;
    c.ssh_private_key_path = server_->client_key();
    c.known_hosts_path = known_hosts;
    return c;
  }
  std::string Explain() const { return "sshd log:\n" + server_->Log(); }

  TempDir cache_;
  TempDir files_;
  int files_written_ = 0;
  LibGit2Source source_{cache_.path() + "/git"};
  GitRepo repo_;
  std::unique_ptr<git_testing::SshGitServer> server_;
  std::string sha_;
  std::string url_;
};

TEST_F(SshAuthTest, KeyAuthenticationWithKnownHost) {
  source_.SetCredentials(url_, KeyCredentials(KnownHostsFile(HostLine())));
  auto head = source_.RemoteHead(url_, "main");
  ASSERT_TRUE(head.ok()) << head.status().ToString() << Explain();
  EXPECT_EQ(*head, sha_);
  auto fetched = source_.Fetch(url_, "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString() << Explain();
  EXPECT_EQ(*fetched, sha_);
  auto read = source_.ReadFile(url_, sha_, "compose.yaml");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value_or(""), "services: {}\n");
}

TEST_F(SshAuthTest, HashedKnownHostsEntryIsAccepted) {
  std::string file = KnownHostsFile(HostLine());
  testing::CommandResult hashed = testing::RunCommand({"ssh-keygen", "-H", "-f", file});
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  ASSERT_THAT(testing::ReadFileOrDie(file), Not(HasSubstr("127.0.0.1")));
  source_.SetCredentials(url_, KeyCredentials(file));
  auto head = source_.RemoteHead(url_, "");
  ASSERT_TRUE(head.ok()) << head.status().ToString() << Explain();
  EXPECT_EQ(*head, sha_);
}

TEST_F(SshAuthTest, UnknownHostIsRejected) {
  // The host is listed for port 22 only, which does not cover the server's port.
  std::string file = KnownHostsFile("127.0.0.1 " + server_->HostPublicKey());
  source_.SetCredentials(url_, KeyCredentials(file));
  for (bool fetch : {false, true}) {
    auto result = fetch ? source_.Fetch(url_, "main") : source_.RemoteHead(url_, "main");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
    EXPECT_THAT(result.status().message(), HasSubstr("add the host key to the known_hosts file"));
    EXPECT_THAT(result.status().message(), HasSubstr(file));
    EXPECT_THAT(result.status().message(), HasSubstr("SHA256:"));
  }
  // The connection was refused before any login.
  EXPECT_THAT(server_->Log(), Not(HasSubstr("Accepted publickey")));
}

TEST_F(SshAuthTest, ChangedHostKeyIsRejected) {
  TempDir keys;
  git_testing::SshGitServer::Keygen(keys.path() + "/impostor", "");
  std::string impostor = testing::ReadFileOrDie(keys.path() + "/impostor.pub");
  std::string file =
      KnownHostsFile("[127.0.0.1]:" + std::to_string(server_->port()) + " " + impostor);
  source_.SetCredentials(url_, KeyCredentials(file));
  auto result = source_.RemoteHead(url_, "main");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("does not match"));
}

TEST_F(SshAuthTest, UnauthorizedKeyFailsOnce) {
  TempDir keys;
  git_testing::SshGitServer::Keygen(keys.path() + "/stranger", "");
  Credentials c = KeyCredentials(KnownHostsFile(HostLine()));
  c.ssh_private_key_path = keys.path() + "/stranger";
  source_.SetCredentials(url_, c);
  for (bool fetch : {false, true}) {
    auto result = fetch ? source_.Fetch(url_, "main") : source_.RemoteHead(url_, "main");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
    EXPECT_THAT(result.status().message(), HasSubstr("authentication failed"));
    EXPECT_THAT(result.status().message(), HasSubstr(keys.path() + "/stranger"));
  }
}

TEST_F(SshAuthTest, PassphraseProtectedKey) {
  TempDir keys;
  std::string key = keys.path() + "/locked";
  const std::string passphrase = "correct horse battery staple";
  git_testing::SshGitServer::Keygen(key, passphrase);
  std::ofstream(server_->dir() + "/authorized_keys", std::ios::app)
      << testing::ReadFileOrDie(key + ".pub");
  Credentials c = KeyCredentials(KnownHostsFile(HostLine()));
  c.ssh_private_key_path = key;
  c.ssh_public_key_path = key + ".pub";
  c.ssh_passphrase = "wrong passphrase";
  source_.SetCredentials(url_, c);
  auto wrong = source_.RemoteHead(url_, "main");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().kind(), ErrorKind::kInvalid) << wrong.status().ToString();
  EXPECT_THAT(wrong.status().message(), Not(HasSubstr("wrong passphrase")));
  EXPECT_THAT(wrong.status().message(), HasSubstr("passphrase is wrong"));
  c.ssh_passphrase = passphrase;
  source_.SetCredentials(url_, c);
  auto head = source_.RemoteHead(url_, "main");
  ASSERT_TRUE(head.ok()) << head.status().ToString() << Explain();
  EXPECT_EQ(*head, sha_);
}

TEST_F(SshAuthTest, WithoutKnownHostsFileTheUsersKnownHostsDecide) {
  // ~/.ssh/known_hosts does not list this freshly made host key on a random port.
  Credentials c = KeyCredentials("");
  source_.SetCredentials(url_, c);
  auto result = source_.RemoteHead(url_, "main");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("~/.ssh/known_hosts"));
}

TEST_F(SshAuthTest, MissingKeyFileIsInvalid) {
  Credentials c = KeyCredentials(KnownHostsFile(HostLine()));
  c.ssh_private_key_path = files_.path() + "/no-such-key";
  source_.SetCredentials(url_, c);
  auto result = source_.RemoteHead(url_, "main");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kInvalid) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("no-such-key"));
}

}  // namespace
}  // namespace ecsync::git
