// Signed commits and tags against real keys: OpenPGP through gpgme, SSH through ssh-keygen.
#include "git/signature.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/libgit2_source.h"
#include "tests/support/signing_keys.h"
#include "tests/support/support.h"

namespace ecsync::git {
namespace {

using testing::GitRepo;
using ::testing::HasSubstr;
using testing::SigningKeys;

class SignatureTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { SigningKeys::StopAgent(); }

  SignatureTest() : keys_(SigningKeys::Get()) {
    policy_.keyring = keys_.keyring;
    policy_.allowed_signers = keys_.allowed_signers;
    repo_.Write("compose.yaml", "services: {}\n");
  }

  // A file change, so that every commit differs.
  void Touch() { repo_.Write("file" + std::to_string(++changes_), "x\n"); }

  Verdict Verify(const std::string& commit, const std::string& previous = "") {
    auto verdict = VerifyRevisionInRepository(repo_.path(), commit, previous, policy_);
    EXPECT_TRUE(verdict.ok()) << verdict.status().ToString();
    return verdict.ok() ? *verdict : Verdict{};
  }

  // `commit` with its message changed and its signature kept.
  std::string Tampered(const std::string& commit) {
    std::string raw = repo_.Git({"cat-file", "commit", commit});
    const size_t at = raw.rfind("change");
    raw.replace(at, 6, "chanGe");
    testing::CommandResult r = testing::RunCommand(
        {"git", "-C", repo_.path(), "hash-object", "-t", "commit", "-w", "--stdin"}, {}, "", raw);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, 40);
  }

  const SigningKeys& keys_;
  SignaturePolicy policy_;
  GitRepo repo_;
  int changes_ = 0;
};

TEST_F(SignatureTest, UnsignedCommitIsRefused) {
  const std::string commit = repo_.Commit("unsigned");
  const Verdict verdict = Verify(commit);
  EXPECT_FALSE(verdict.ok);
  EXPECT_EQ(verdict.refusal, RefusalReason::kUnsigned);
  EXPECT_EQ(verdict.commit, commit);
  EXPECT_THAT(verdict.reason, HasSubstr(commit.substr(0, 12) + " is not signed"));
  EXPECT_EQ(verdict.key, "");
}

TEST_F(SignatureTest, OpenPgpSignatureByKeyInKeyringIsAccepted) {
  const std::string commit = keys_.CommitPgp(repo_, keys_.alice);
  const Verdict verdict = Verify(commit);
  EXPECT_TRUE(verdict.ok) << verdict.reason;
  EXPECT_EQ(verdict.key, keys_.alice);
  EXPECT_EQ(verdict.commit, commit);
}

TEST_F(SignatureTest, ArmoredKeyringWorksToo) {
  policy_.keyring = keys_.alice_armored;
  const std::string commit = keys_.CommitPgp(repo_, keys_.alice);
  EXPECT_TRUE(Verify(commit).ok);
  Touch();
  // bob is only in the binary keyring.
  const Verdict bob = Verify(keys_.CommitPgp(repo_, keys_.bob));
  EXPECT_EQ(bob.refusal, RefusalReason::kUnknownKey) << bob.reason;
}

TEST_F(SignatureTest, KeyOutsideKeyringIsRefusedAndNamed) {
  const Verdict verdict = Verify(keys_.CommitPgp(repo_, keys_.stranger));
  EXPECT_EQ(verdict.refusal, RefusalReason::kUnknownKey) << verdict.reason;
  EXPECT_EQ(verdict.key, keys_.stranger);
  EXPECT_THAT(verdict.reason, HasSubstr("not in the keyring"));
}

TEST_F(SignatureTest, TamperedOpenPgpCommitIsRefused) {
  const std::string signed_commit = keys_.CommitPgp(repo_, keys_.alice);
  const Verdict verdict = Verify(Tampered(signed_commit));
  EXPECT_EQ(verdict.refusal, RefusalReason::kBadSignature) << verdict.reason;
}

TEST_F(SignatureTest, ExpiredKeyIsRefused) {
  const Verdict verdict = Verify(keys_.CommitPgp(repo_, keys_.old));
  EXPECT_EQ(verdict.refusal, RefusalReason::kExpiredKey) << verdict.reason;
  EXPECT_EQ(verdict.key, keys_.old);
}

TEST_F(SignatureTest, RevokedKeyIsRefused) {
  const Verdict verdict = Verify(keys_.CommitPgp(repo_, keys_.rev));
  EXPECT_EQ(verdict.refusal, RefusalReason::kRevokedKey) << verdict.reason;
  EXPECT_EQ(verdict.key, keys_.rev);
}

TEST_F(SignatureTest, KeysAllowListNarrowsTheKeyring) {
  policy_.keys = {keys_.alice};
  EXPECT_TRUE(Verify(keys_.CommitPgp(repo_, keys_.alice)).ok);
  Touch();
  const Verdict bob = Verify(keys_.CommitPgp(repo_, keys_.bob));
  EXPECT_EQ(bob.refusal, RefusalReason::kKeyNotAllowed) << bob.reason;
  EXPECT_EQ(bob.key, keys_.bob);
}

TEST_F(SignatureTest, CommitterRestrictionNeedsTheCommittersOwnKey) {
  policy_.committers = {"*@example.com"};
  EXPECT_TRUE(Verify(keys_.CommitPgp(repo_, keys_.alice, "alice@example.com")).ok);
  Touch();
  // bob's key is trusted, but the commit says alice committed it.
  const Verdict other = Verify(keys_.CommitPgp(repo_, keys_.bob, "alice@example.com"));
  EXPECT_EQ(other.refusal, RefusalReason::kCommitter) << other.reason;
  EXPECT_THAT(other.reason, HasSubstr("does not belong to the committer alice@example.com"));
  Touch();
  const Verdict outsider = Verify(keys_.CommitPgp(repo_, keys_.alice, "alice@elsewhere.org"));
  EXPECT_EQ(outsider.refusal, RefusalReason::kCommitter) << outsider.reason;
}

TEST_F(SignatureTest, SshSignatureByAllowedSignerIsAccepted) {
  const Verdict verdict = Verify(keys_.CommitSsh(repo_, keys_.alice_ssh));
  EXPECT_TRUE(verdict.ok) << verdict.reason;
  EXPECT_THAT(verdict.key, ::testing::StartsWith("SHA256:"));
}

TEST_F(SignatureTest, SshKeyNotInAllowedSignersIsRefused) {
  const Verdict verdict = Verify(keys_.CommitSsh(repo_, keys_.stranger_ssh));
  EXPECT_EQ(verdict.refusal, RefusalReason::kUnknownKey) << verdict.reason;
  EXPECT_THAT(verdict.key, ::testing::StartsWith("SHA256:"));
}

TEST_F(SignatureTest, TamperedSshCommitIsRefused) {
  const std::string signed_commit = keys_.CommitSsh(repo_, keys_.alice_ssh);
  const Verdict verdict = Verify(Tampered(signed_commit));
  EXPECT_EQ(verdict.refusal, RefusalReason::kBadSignature) << verdict.reason;
}

TEST_F(SignatureTest, SshPrincipalMustBeTheCommitter) {
  policy_.committers = {"alice@example.com", "bob@example.com"};
  EXPECT_TRUE(Verify(keys_.CommitSsh(repo_, keys_.bob_ssh, "bob@example.com")).ok);
  Touch();
  const Verdict verdict = Verify(keys_.CommitSsh(repo_, keys_.bob_ssh, "alice@example.com"));
  EXPECT_EQ(verdict.refusal, RefusalReason::kCommitter) << verdict.reason;
}

TEST_F(SignatureTest, FormatWithoutItsKeyFileIsRefused) {
  policy_.allowed_signers.clear();
  const Verdict verdict = Verify(keys_.CommitSsh(repo_, keys_.alice_ssh));
  EXPECT_EQ(verdict.refusal, RefusalReason::kUnknownKey) << verdict.reason;
  EXPECT_THAT(verdict.reason, HasSubstr("no allowed_signers"));
}

TEST_F(SignatureTest, TagModeNeedsASignedTagFetchedWithTheCommit) {
  policy_.mode = VerifyMode::kTag;
  const std::string commit = keys_.CommitPgp(repo_, keys_.alice);  // a signed commit is not enough
  repo_.Git({"tag", "lightweight"});
  testing::TempDir cache;
  LibGit2Source source(cache.path() + "/git");
  ASSERT_TRUE(source.Fetch(repo_.url(), "main").ok());
  auto refused = source.VerifyRevision(repo_.url(), commit, "", policy_);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->refusal, RefusalReason::kUnsigned) << refused->reason;

  keys_.TagPgp(repo_, "v0-stranger", keys_.stranger);
  ASSERT_TRUE(source.Fetch(repo_.url(), "main").ok());
  refused = source.VerifyRevision(repo_.url(), commit, "", policy_);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->refusal, RefusalReason::kUnknownKey) << refused->reason;
  EXPECT_EQ(refused->key, keys_.stranger);

  keys_.TagPgp(repo_, "v1", keys_.alice);
  ASSERT_TRUE(source.Fetch(repo_.url(), "main").ok());
  auto accepted = source.VerifyRevision(repo_.url(), commit, "", policy_);
  ASSERT_TRUE(accepted.ok());
  EXPECT_TRUE(accepted->ok) << accepted->reason;
  EXPECT_THAT(accepted->reason, HasSubstr("tag v1"));
  EXPECT_EQ(accepted->key, keys_.alice);
}

TEST_F(SignatureTest, StrictRefusesAnUnsignedCommitInBetween) {
  policy_.mode = VerifyMode::kStrict;
  const std::string deployed = keys_.CommitPgp(repo_, keys_.alice);
  Touch();
  const std::string unsigned_commit = repo_.Commit("unsigned change");
  Touch();
  const std::string head = keys_.CommitPgp(repo_, keys_.alice);
  const Verdict verdict = Verify(head, deployed);
  EXPECT_EQ(verdict.refusal, RefusalReason::kUnsigned) << verdict.reason;
  EXPECT_EQ(verdict.commit, unsigned_commit);
  // head mode looks at the head alone.
  policy_.mode = VerifyMode::kHead;
  EXPECT_TRUE(Verify(head, deployed).ok);
  // Without a previous commit, strict checks the head.
  policy_.mode = VerifyMode::kStrict;
  EXPECT_TRUE(Verify(head).ok);
}

TEST_F(SignatureTest, StrictAcceptsASignedMergeOfASignedBranch) {
  policy_.mode = VerifyMode::kStrict;
  const std::string deployed = keys_.CommitPgp(repo_, keys_.alice);
  repo_.Git({"checkout", "-q", "-b", "feature"});
  Touch();
  keys_.CommitPgp(repo_, keys_.bob, "bob@example.com");
  Touch();
  keys_.CommitPgp(repo_, keys_.bob, "bob@example.com");
  repo_.Git({"checkout", "-q", "main"});
  repo_.Git({"-c", "gpg.program=" + keys_.gpg, "-c", "user.signingkey=" + keys_.alice, "merge",
             "-q", "--no-ff", "-S", "-m", "merge feature", "feature"});
  const Verdict verdict = Verify(repo_.Head(), deployed);
  EXPECT_TRUE(verdict.ok) << verdict.reason;
  EXPECT_EQ(verdict.commit, repo_.Head());
  EXPECT_EQ(verdict.key, keys_.alice);
}

TEST_F(SignatureTest, StrictWithAPreviousCommitThatIsNotAnAncestorChecksTheHead) {
  policy_.mode = VerifyMode::kStrict;
  const std::string base = keys_.CommitPgp(repo_, keys_.alice);
  repo_.Git({"checkout", "-q", "-b", "other"});
  Touch();
  const std::string elsewhere = repo_.Commit("unsigned elsewhere");
  repo_.Git({"checkout", "-q", "main"});
  Touch();
  const std::string head = keys_.CommitPgp(repo_, keys_.alice);
  ASSERT_NE(base, head);
  const Verdict verdict = Verify(head, elsewhere);
  EXPECT_TRUE(verdict.ok) << verdict.reason;
  EXPECT_THAT(verdict.reason, HasSubstr("not an ancestor, so only the head was verified"));
}

}  // namespace
}  // namespace ecsync::git
