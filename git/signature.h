#pragma once

// Which revisions may deploy: a repository's `verify:` policy and the verdict on one revision.
// The policy is data the configuration fills in; VerifyRevisionInRepository applies it to a
// local repository (git/source.h exposes it per remote as GitSource::VerifyRevision).

#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::git {

enum class VerifyMode {
  kHead,    // the deployed commit itself carries a good signature
  kTag,     // a signed annotated tag points at the deployed commit
  kStrict,  // every first-parent commit since the previous deployed one is signed
};

// "head", "tag" or "strict".
const char* VerifyModeName(VerifyMode mode);

// Whom a repository trusts. At least one of the two key files is set; an OpenPGP signature
// needs `keyring` and an SSH signature `allowed_signers`, otherwise it is refused.
struct SignaturePolicy {
  VerifyMode mode = VerifyMode::kHead;
  // Absolute path of OpenPGP public keys (armored or binary); every key in it is trusted
  // (narrowed by `keys`). "" for none.
  std::string keyring;
  // Absolute path of an allowed_signers file in git's (ssh-keygen's) format. "" for none.
  std::string allowed_signers;
  // When not empty: the committer's (a tag's tagger's) e-mail must match one of these
  // (exact, or a pattern with '*' and '?', case-insensitive), and the signing key must belong
  // to that address (a user ID of the OpenPGP key; the SSH principal).
  std::vector<std::string> committers;
  // When not empty: OpenPGP fingerprints (40 hex, upper case) allowed to sign; a signature
  // by a subkey counts for its primary key.
  std::vector<std::string> keys;

  bool operator==(const SignaturePolicy&) const = default;
};

// Why a revision was refused; the word is the `reason` label of
// ecsync_signature_refusals_total.
enum class RefusalReason {
  kNone,
  kUnsigned,       // no signature (or no signed tag in tag mode)
  kBadSignature,   // the signature does not match the object (tampered, wrong namespace)
  kUnknownKey,     // the key is not in the keyring / allowed_signers
  kExpiredKey,     // the key (or signature) has expired
  kRevokedKey,     // the key was revoked
  kKeyNotAllowed,  // a good signature by a key outside `keys`
  kCommitter,      // the committer is not allowed, or the key is not the committer's
  kError,          // the check itself failed (a missing tool, an unreadable key file)
};
const char* RefusalReasonName(RefusalReason reason);

struct Verdict {
  bool ok = false;
  RefusalReason refusal = RefusalReason::kNone;
  // For people: what was checked, or why it was refused ("commit 1a2b3c4d5e6f is not signed").
  std::string reason;
  // The key found: an OpenPGP fingerprint, or an SSH key's SHA256 fingerprint; "" when none.
  std::string key;
  // The commit (or tag) the verdict is about: the refused one, else the deployed commit.
  std::string commit;
};

// Applies `policy` to `commit` (40 hex) in the repository at `repository_path` (bare or not;
// its tags under refs/tags are the fetched ones). `previous` is the commit deployed before
// ("" for none); only kStrict uses it. A refused revision is an ok Result with ok false;
// errors are for a repository that cannot be read (kNotFound: unknown commit).
base::Result<Verdict> VerifyRevisionInRepository(const std::string& repository_path,
                                                 const std::string& commit,
                                                 const std::string& previous,
                                                 const SignaturePolicy& policy);

}  // namespace ecsync::git
