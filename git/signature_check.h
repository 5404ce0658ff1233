#pragma once

// Internal to git/: what one signature check found, shared by the OpenPGP and SSH checkers.

#include <string>
#include <vector>

#include "git/signature.h"

namespace ecsync::git::internal {

struct SignatureCheck {
  RefusalReason refusal = RefusalReason::kNone;  // kNone: a good signature by a trusted key
  std::string detail;                            // why it was refused, for people
  std::string key;  // the key found (OpenPGP primary fingerprint, SSH SHA256 fingerprint)
  // OpenPGP: the primary and signing-subkey fingerprints, for the `keys` allow-list.
  std::vector<std::string> fingerprints;
  // The addresses the key belongs to: OpenPGP user-ID e-mails, or the SSH principal.
  std::vector<std::string> identities;
};

// A refused check.
inline SignatureCheck Refused(RefusalReason reason, std::string detail, std::string key = "") {
  SignatureCheck check;
  check.refusal = reason;
  check.detail = std::move(detail);
  check.key = std::move(key);
  return check;
}

}  // namespace ecsync::git::internal
