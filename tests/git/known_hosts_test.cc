#include "git/known_hosts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "base/hash.h"
#include "tests/support/support.h"

namespace ecsync::git {
namespace {

using ::testing::HasSubstr;
using testing::ReadFileOrDie;
using testing::RunCommand;
using testing::TempDir;

// A key pair made by ssh-keygen, with its public line and decoded wire-format blob.
struct Key {
  std::string type;
  std::string base64;
  std::string blob;
  std::string pub_path;
};

Key MakeKey(const TempDir& dir, const std::string& name, const std::string& type) {
  std::string path = dir.path() + "/" + name;
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", type, "-N", "", "-f", path};
  if (type == "rsa") argv.insert(argv.end(), {"-b", "2048"});
  testing::CommandResult made = RunCommand(argv);
  EXPECT_EQ(made.exit_code, 0) << made.err;
  std::istringstream pub(ReadFileOrDie(path + ".pub"));
  Key key;
  pub >> key.type >> key.base64;
  EXPECT_TRUE(DecodeBase64(key.base64, &key.blob));
  key.pub_path = path + ".pub";
  return key;
}

PresentedHostKey Presented(const Key& key) { return {key.blob, base::Sha256(key.blob)}; }

std::string Line(const std::string& hosts, const Key& key) {
  return hosts + " " + key.type + " " + key.base64 + " comment\n";
}

// The keys are made once for the suite (RSA generation is slow); files go to `dir_`.
class KnownHostsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_dir_ = new TempDir;
    keys_ = new std::vector<Key>{MakeKey(*keys_dir_, "server", "ed25519"),
                                 MakeKey(*keys_dir_, "other", "ed25519"),
                                 MakeKey(*keys_dir_, "rsa", "rsa")};
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete keys_dir_;
  }

  static TempDir* keys_dir_;
  static std::vector<Key>* keys_;
  TempDir dir_;
  const Key& server_ = (*keys_)[0];
  const Key& other_ = (*keys_)[1];
  const Key& rsa_ = (*keys_)[2];
};

TempDir* KnownHostsTest::keys_dir_ = nullptr;
std::vector<Key>* KnownHostsTest::keys_ = nullptr;

TEST_F(KnownHostsTest, PlainEntriesMatchHostAndBracketedPort) {
  KnownHosts known = KnownHosts::Parse(Line("git.example.com,10.1.2.3", server_) +
                                       Line("[git.example.com]:2222", other_));
  EXPECT_EQ(known.size(), 2u);
  EXPECT_EQ(known.Check("git.example.com", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known.Check("GIT.Example.com", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known.Check("10.1.2.3", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known.Check("git.example.com", 2222, Presented(other_)), HostKeyVerdict::kTrusted);
  // The port-22 line does not vouch for another port, nor the other way round.
  EXPECT_EQ(known.Check("10.1.2.3", 2222, Presented(server_)), HostKeyVerdict::kUnknownHost);
  EXPECT_EQ(known.Check("git.example.com", 2222, Presented(server_)), HostKeyVerdict::kMismatch);
  EXPECT_EQ(known.Check("unknown.example.com", 22, Presented(server_)),
            HostKeyVerdict::kUnknownHost);
}

TEST_F(KnownHostsTest, HashedEntriesWrittenBySshKeygenMatch) {
  std::string file = dir_.WriteFile(
      "known_hosts", Line("git.example.com", server_) + Line("[127.0.0.1]:2222", other_));
  testing::CommandResult hashed = RunCommand({"ssh-keygen", "-H", "-f", file});
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  std::string text = ReadFileOrDie(file);
  ASSERT_THAT(text, HasSubstr("|1|"));
  ASSERT_THAT(text, ::testing::Not(HasSubstr("git.example.com")));
  auto known = KnownHosts::Load(file);
  ASSERT_TRUE(known.ok()) << known.status().ToString();
  EXPECT_EQ(known->size(), 2u);
  EXPECT_EQ(known->Check("git.example.com", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known->Check("127.0.0.1", 2222, Presented(other_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known->Check("127.0.0.1", 22, Presented(other_)), HostKeyVerdict::kUnknownHost);
  EXPECT_EQ(known->Check("git.example.org", 22, Presented(server_)), HostKeyVerdict::kUnknownHost);
  EXPECT_EQ(known->Check("git.example.com", 22, Presented(other_)), HostKeyVerdict::kMismatch);
}

TEST_F(KnownHostsTest, KeyOfAnotherTypeIsNotListedRatherThanMismatched) {
  KnownHosts known = KnownHosts::Parse(Line("git.example.com", rsa_));
  EXPECT_EQ(known.Check("git.example.com", 22, Presented(server_)), HostKeyVerdict::kKeyNotListed);
  EXPECT_EQ(known.Check("git.example.com", 22, Presented(rsa_)), HostKeyVerdict::kTrusted);
}

TEST_F(KnownHostsTest, OnlyTheFingerprintIsEnough) {
  KnownHosts known = KnownHosts::Parse(Line("git.example.com", server_));
  PresentedHostKey digest_only{"", base::Sha256(server_.blob)};
  EXPECT_EQ(known.Check("git.example.com", 22, digest_only), HostKeyVerdict::kTrusted);
  PresentedHostKey wrong{"", base::Sha256(other_.blob)};
  // Without the key its type is unknown, so this cannot be called a mismatch.
  EXPECT_EQ(known.Check("git.example.com", 22, wrong), HostKeyVerdict::kKeyNotListed);
}

TEST_F(KnownHostsTest, WildcardsAndNegation) {
  KnownHosts known =
      KnownHosts::Parse(Line("*.example.com,!evil.example.com,git?.example.org", server_));
  EXPECT_EQ(known.Check("a.example.com", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known.Check("a.b.example.com", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known.Check("git1.example.org", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  EXPECT_EQ(known.Check("git12.example.org", 22, Presented(server_)), HostKeyVerdict::kUnknownHost);
  EXPECT_EQ(known.Check("evil.example.com", 22, Presented(server_)), HostKeyVerdict::kUnknownHost);
  EXPECT_EQ(known.Check("example.com", 22, Presented(server_)), HostKeyVerdict::kUnknownHost);
}

TEST_F(KnownHostsTest, RevokedKeysAreRefusedEvenWhenAlsoListed) {
  KnownHosts known =
      KnownHosts::Parse(Line("git.example.com", server_) + "@revoked " + Line("*", server_));
  EXPECT_EQ(known.Check("git.example.com", 22, Presented(server_)), HostKeyVerdict::kRevoked);
}

TEST_F(KnownHostsTest, CommentsCertAuthoritiesAndMalformedLinesAreSkipped) {
  std::string text = "# a comment\n\n   \n" + ("@cert-authority " + Line("*", other_)) +
                     "git.example.com ssh-ed25519\n" +                     // no key
                     "git.example.com ssh-ed25519 !!notbase64\n" +         // bad base64
                     "git.example.com ssh-rsa " + server_.base64 + "\n" +  // type disagrees
                     "|1|bad git.example.com ssh-ed25519 " + server_.base64 + "\n" +
                     Line("git.example.com", server_);
  KnownHosts known = KnownHosts::Parse(text);
  EXPECT_EQ(known.size(), 1u);
  EXPECT_EQ(known.Check("git.example.com", 22, Presented(server_)), HostKeyVerdict::kTrusted);
  // A @cert-authority line vouches for nothing.
  EXPECT_EQ(known.Check("other.example.com", 22, Presented(other_)), HostKeyVerdict::kUnknownHost);
}

TEST_F(KnownHostsTest, MissingFileIsInvalid) {
  auto known = KnownHosts::Load(dir_.path() + "/absent");
  ASSERT_FALSE(known.ok());
  EXPECT_EQ(known.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(known.status().message(), HasSubstr(dir_.path() + "/absent"));
}

TEST_F(KnownHostsTest, KeyTypeAndFingerprintAgreeWithSshKeygen) {
  EXPECT_EQ(HostKeyType(server_.blob), "ssh-ed25519");
  EXPECT_EQ(HostKeyType(rsa_.blob), "ssh-rsa");
  EXPECT_EQ(HostKeyType("abc"), "");
  testing::CommandResult listed =
      RunCommand({"ssh-keygen", "-l", "-E", "sha256", "-f", server_.pub_path});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(Sha256Fingerprint(base::Sha256(server_.blob))));
}

TEST(DecodeBase64, PaddingOptionalGarbageRejected) {
  std::string out;
  EXPECT_TRUE(DecodeBase64("aGVsbG8=", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(DecodeBase64("aGVsbG8", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(DecodeBase64("", &out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(DecodeBase64("aGV*bG8=", &out));
  EXPECT_FALSE(DecodeBase64("a", &out));
}

}  // namespace
}  // namespace ecsync::git
