// `ecsync reconcile --once --config` with a repository's verify: section, against moto_server:
// an unsigned commit leaves the stack as it is and exits 2 naming the commit; a later signed
// commit deploys.

#include <gtest/gtest.h>

#include "tests/support/signing_keys.h"
#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

class SignedCommits : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { SigningKeys::StopAgent(); }

  SignedCommits() : keys_(SigningKeys::Get()) {
    // Key files are relative to the configuration file.
    work_.WriteFile("keys/keyring.gpg", ReadFileOrDie(keys_.keyring));
    work_.WriteFile("keys/allowed_signers", ReadFileOrDie(keys_.allowed_signers));
    config_ = work_.WriteFile(
        "ecsync.yaml", "cache_dir: " + work_.path() + "/cache\n" +
                           "aws:\n  endpoint_url: " + moto_.endpoint() +
                           "\nrepositories:\n  - name: shop\n    url: " + repo_.url() +
                           "\n    verify:\n      mode: head\n      keyring: keys/keyring.gpg\n"
                           "      allowed_signers: keys/allowed_signers\n"
                           "    projects:\n      - name: web\n        files: [compose.yaml]\n"
                           "        stack_name: shop-web\n");
  }

  CommandResult ReconcileOnce() {
    return RunCommand({EcsyncBinary(), "reconcile", "--once", "--config", config_},
                      moto_.ClientEnv());
  }

  const SigningKeys& keys_;
  MotoServer moto_;
  GitRepo repo_;
  TempDir work_;
  std::string config_;
};

TEST_F(SignedCommits, UnsignedCommitIsRefusedBeforeAnyChangeAndASignedOneDeploys) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = keys_.CommitPgp(repo_, keys_.alice);
  CommandResult created = ReconcileOnce();
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  ASSERT_EQ(moto_.StackTag("shop-web", "ecsync:revision"), first);

  repo_.Write("compose.yaml", App(2));
  const std::string unsigned_commit = repo_.Commit("unsigned change");
  CommandResult refused = ReconcileOnce();
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("Stalled: signature check refused " + unsigned_commit.substr(0, 12) +
                             " (unsigned)"),
            std::string::npos)
      << refused.out;
  EXPECT_EQ(moto_.StackStatus("shop-web"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_.StackTag("shop-web", "ecsync:revision"), first);  // untouched

  repo_.Write("compose.yaml", App(3));
  const std::string signed_commit = keys_.CommitSsh(repo_, keys_.alice_ssh);
  CommandResult updated = ReconcileOnce();
  ASSERT_EQ(updated.exit_code, 0) << updated.out << updated.err;
  EXPECT_EQ(moto_.StackTag("shop-web", "ecsync:revision"), signed_commit);
}

TEST_F(SignedCommits, CommitByAKeyOutsideTheKeyringIsRefusedWithTheKey) {
  repo_.Write("compose.yaml", App(1));
  keys_.CommitPgp(repo_, keys_.stranger);
  CommandResult refused = ReconcileOnce();
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("(unknown_key)"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("key found: " + keys_.stranger), std::string::npos) << refused.out;
  EXPECT_EQ(moto_.StackStatus("shop-web"), "");  // nothing was created
}

}  // namespace
}  // namespace ecsync::testing
