#pragma once

// Real OpenPGP and SSH signing keys for the signed-commit tests, made with gpg and ssh-keygen
// once per test binary folder (ctest runs every TEST in its own process; making the keys takes a
// second or two, copying them milliseconds) and copied into a private GnuPG home per process.

#include <memory>
#include <string>

#include "tests/support/support.h"

namespace ecsync::testing {

class SigningKeys {
 public:
  // The process's keys (made on first use next to the test binary, then copied). Aborts the test
  // binary when gpg or ssh-keygen fail.
  static const SigningKeys& Get();
  // Stops the gpg-agent of this process's home. Call once at the end (TearDownTestSuite).
  static void StopAgent();

  // OpenPGP fingerprints. alice, bob and old are in keyring(); rev is in it revoked;
  // stranger is not. old expired in 2020 (made and used with a faked system time).
  std::string alice, bob, stranger, old, rev;
  std::string keyring;          // binary export of alice, bob, old, rev (revoked)
  std::string alice_armored;    // armored export of alice alone
  std::string allowed_signers;  // alice@example.com and bob@example.com with their SSH keys
  // SSH private key files; alice_ssh and bob_ssh are listed in allowed_signers().
  std::string alice_ssh, bob_ssh, stranger_ssh;
  // gpg.program for git: gpg in this process's home; gpg_old also fakes the time (2020) so
  // that the expired key can sign.
  std::string gpg, gpg_old;

  // Commits everything in `repo` signed with OpenPGP key `fpr` (gpg_old for old) as committer
  // `email`; returns the commit.
  std::string CommitPgp(const GitRepo& repo, const std::string& fpr,
                        const std::string& email = "alice@example.com") const;
  // The same, signed with the SSH private key file `key`.
  std::string CommitSsh(const GitRepo& repo, const std::string& key,
                        const std::string& email = "alice@example.com") const;
  // An annotated tag `name` at HEAD signed with OpenPGP key `fpr`.
  void TagPgp(const GitRepo& repo, const std::string& name, const std::string& fpr) const;

 private:
  std::unique_ptr<TempDir> dir_;  // this process's copy
};

}  // namespace ecsync::testing
