// SSH authentication against a private sshd on loopback: key authentication (with and
// without a passphrase) and known_hosts checking (plain and hashed entries, unknown and
// changed host keys). Skipped when sshd is not installed (package openssh-server).
//
// A separate executable because libgit2 1.5's SSH transport leaks a few bytes per
// connection (its ~/.ssh/known_hosts lookup); the suppressions below hide only those, so the
// other git tests keep full leak checking.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "git/libgit2_source.h"
#include "tests/git/git_servers.h"
#include "tests/support/support.h"

// LeakSanitizer reads this hook at start-up; only sanitizer builds call it.
// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming): the runtime's name.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libssh2_knownhost_init\n"
         "leak:libssh2.so\n"
         "leak:libgit2.so\n";
}

namespace ecsync::git {
namespace {

using base::ErrorKind;
using testing::GitRepo;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

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
