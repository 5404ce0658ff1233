#pragma once

// Internal to git/: OpenPGP signatures checked with GnuPG's library (gpgme) against a
// configured keyring only.

#include <memory>
#include <string>

#include "base/result.h"
#include "git/scratch_dir.h"
#include "git/signature_check.h"

namespace ecsync::git::internal {

// A private GnuPG home holding the keys of one keyring file and nothing else (never the
// user's own home), where every key is a trusted-key (being in the configured keyring is the
// trust decision). The home is removed on destruction. Not thread-safe: one
// verifier per thread.
class GpgVerifier {
 public:
  // Imports the OpenPGP public keys of `keyring_path` (armored or binary). kInvalid when the
  // file cannot be read or holds no key; kTransient when GnuPG cannot be started.
  static base::Result<std::unique_ptr<GpgVerifier>> Open(const std::string& keyring_path);
  ~GpgVerifier();
  GpgVerifier(const GpgVerifier&) = delete;
  GpgVerifier& operator=(const GpgVerifier&) = delete;

  // Checks the detached `signature` over `payload`. Good only when GnuPG calls it valid
  // (GPGME_SIGSUM_VALID); an unknown, expired or revoked key, an expired or bad signature
  // is refused with its reason.
  SignatureCheck Verify(const std::string& payload, const std::string& signature);

 private:
  struct Context;
  GpgVerifier(std::unique_ptr<ScratchDir> home, std::unique_ptr<Context> context);

  std::unique_ptr<ScratchDir> home_;
  std::unique_ptr<Context> context_;
};

}  // namespace ecsync::git::internal
