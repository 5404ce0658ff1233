#pragma once

// Internal to git/: SSH signatures (SSHSIG, namespace "git") checked by OpenSSH's ssh-keygen
// against an allowed_signers file, the way git itself checks them.

#include <string>

#include "git/signature_check.h"

namespace ecsync::git::internal {

// Checks the armored SSH `signature` over `payload` against `allowed_signers`: the signature
// must verify in the namespace "git", and its key must be listed. When `principal` is not
// empty, the key must be listed for that principal (the committer's e-mail); otherwise the
// first principal listed for the key is used. Runs ssh-keygen (-Y check-novalidate to find
// the key, -Y find-principals, -Y verify); a missing ssh-keygen is kError.
SignatureCheck VerifySshSignature(const std::string& allowed_signers, const std::string& payload,
                                  const std::string& signature, const std::string& principal);

}  // namespace ecsync::git::internal
