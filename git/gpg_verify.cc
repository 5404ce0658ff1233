#include "git/gpg_verify.h"

#include <gpgme.h>

#include <mutex>

#include "base/file.h"
#include "base/strings.h"

namespace ecsync::git::internal {

namespace {

struct DataFree {
  void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
using DataPtr = std::unique_ptr<gpgme_data, DataFree>;
struct KeyFree {
  void operator()(gpgme_key_t key) const { gpgme_key_unref(key); }
};
using KeyPtr = std::unique_ptr<_gpgme_key, KeyFree>;

// gpgme_check_version must run once before any other gpgme call.
void EnsureGpgmeInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { gpgme_check_version(nullptr); });
}

std::string GpgError(gpgme_error_t error) {
  return std::string(gpgme_strsource(error)) + ": " + gpgme_strerror(error);
}

// A copy of `bytes` gpgme reads from; null when gpgme cannot allocate.
DataPtr DataOf(const std::string& bytes) {
  gpgme_data_t data = nullptr;
  if (gpgme_data_new_from_mem(&data, bytes.data(), bytes.size(), /*copy=*/1) != 0) return nullptr;
  return DataPtr(data);
}

}  // namespace

struct GpgVerifier::Context {
  gpgme_ctx_t ctx = nullptr;
  ~Context() {
    if (ctx != nullptr) gpgme_release(ctx);
  }
};

GpgVerifier::GpgVerifier(std::unique_ptr<ScratchDir> home, std::unique_ptr<Context> context)
    : home_(std::move(home)), context_(std::move(context)) {}

// The context goes first: gpg must be done with the home before it is removed.
GpgVerifier::~GpgVerifier() { context_.reset(); }

base::Result<std::unique_ptr<GpgVerifier>> GpgVerifier::Open(const std::string& keyring_path) {
  EnsureGpgmeInitialized();
  auto keyring = base::ReadWholeFile(keyring_path);
  if (!keyring.ok()) {
    return base::Status(base::ErrorKind::kInvalid,
                        "verify.keyring " + keyring_path + ": " + keyring.status().message());
  }
  ECSYNC_ASSIGN_OR_RETURN(std::unique_ptr<ScratchDir> home, ScratchDir::Create("ecsync-gnupg-"));
  // Nothing is ever fetched from the network.
  // No agent either: verifying needs no secret key, and an agent would outlive the home.
  const std::string conf = "no-autostart\nno-auto-key-retrieve\nno-auto-key-locate\n";
  ECSYNC_RETURN_IF_ERROR(home->Write("gpg.conf", conf).status());
  auto context = std::make_unique<Context>();
  if (gpgme_error_t error = gpgme_new(&context->ctx); error != 0) {
    return base::Status(base::ErrorKind::kTransient, "starting GnuPG: " + GpgError(error));
  }
  gpgme_ctx_t ctx = context->ctx;
  if (gpgme_error_t error = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP); error != 0) {
    return base::Status(base::ErrorKind::kTransient, "starting GnuPG: " + GpgError(error));
  }
  if (gpgme_error_t error =
          gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, nullptr, home->path().c_str());
      error != 0) {
    return base::Status(base::ErrorKind::kTransient, "starting GnuPG: " + GpgError(error));
  }
  gpgme_set_offline(ctx, 1);
  DataPtr keys = DataOf(*keyring);
  if (keys == nullptr) return base::Status(base::ErrorKind::kTransient, "out of memory");
  if (gpgme_error_t error = gpgme_op_import(ctx, keys.get()); error != 0) {
    return base::Status(base::ErrorKind::kInvalid,
                        "verify.keyring " + keyring_path + ": cannot import: " + GpgError(error));
  }
  gpgme_import_result_t imported = gpgme_op_import_result(ctx);
  if (imported == nullptr || imported->considered == 0 ||
      imported->imported + imported->unchanged == 0) {
    return base::Status(base::ErrorKind::kInvalid,
                        "verify.keyring " + keyring_path +
                            ": holds no OpenPGP public key; export one with gpg --export KEY");
  }
  // Every key of the configured keyring is trusted, and nothing else is in this home: each
  // becomes a trusted-key, so GnuPG calls its good signatures valid.
  std::string trusted = conf;
  if (gpgme_error_t error = gpgme_op_keylist_start(ctx, nullptr, /*secret_only=*/0); error != 0) {
    return base::Status(base::ErrorKind::kTransient, "listing keys: " + GpgError(error));
  }
  gpgme_key_t key_raw = nullptr;
  while (gpgme_op_keylist_next(ctx, &key_raw) == 0) {
    KeyPtr key(key_raw);
    if (key->subkeys != nullptr && key->subkeys->keyid != nullptr) {
      trusted += std::string("trusted-key ") + key->subkeys->keyid + "\n";
    }
  }
  gpgme_op_keylist_end(ctx);
  ECSYNC_RETURN_IF_ERROR(home->Write("gpg.conf", trusted).status());
  return std::unique_ptr<GpgVerifier>(new GpgVerifier(std::move(home), std::move(context)));
}

SignatureCheck GpgVerifier::Verify(const std::string& payload, const std::string& signature) {
  gpgme_ctx_t ctx = context_->ctx;
  DataPtr sig = DataOf(signature);
  DataPtr text = DataOf(payload);
  if (sig == nullptr || text == nullptr) return Refused(RefusalReason::kError, "out of memory");
  const gpgme_error_t error = gpgme_op_verify(ctx, sig.get(), text.get(), nullptr);
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx);
  if (error != 0 || result == nullptr || result->signatures == nullptr) {
    return Refused(RefusalReason::kBadSignature,
                   "the OpenPGP signature cannot be read" +
                       (error != 0 ? " (" + GpgError(error) + ")" : std::string()));
  }
  const gpgme_signature_t found = result->signatures;
  const std::string fpr = found->fpr != nullptr ? base::AsciiUpper(found->fpr) : "";
  const gpgme_sigsum_t summary = static_cast<gpgme_sigsum_t>(found->summary);
  const gpg_err_code_t status = gpgme_err_code(found->status);
  if ((summary & GPGME_SIGSUM_KEY_MISSING) != 0 || status == GPG_ERR_NO_PUBKEY) {
    return Refused(RefusalReason::kUnknownKey,
                   "signed by key " + fpr + ", which is not in the keyring", fpr);
  }
  if ((summary & GPGME_SIGSUM_KEY_REVOKED) != 0 || status == GPG_ERR_CERT_REVOKED) {
    return Refused(RefusalReason::kRevokedKey, "signed by key " + fpr + ", which is revoked", fpr);
  }
  if ((summary & GPGME_SIGSUM_KEY_EXPIRED) != 0 || status == GPG_ERR_KEY_EXPIRED) {
    return Refused(RefusalReason::kExpiredKey, "signed by key " + fpr + ", which has expired", fpr);
  }
  if ((summary & GPGME_SIGSUM_SIG_EXPIRED) != 0 || status == GPG_ERR_SIG_EXPIRED) {
    return Refused(RefusalReason::kExpiredKey, "the signature by key " + fpr + " has expired", fpr);
  }
  if ((summary & GPGME_SIGSUM_RED) != 0 || status == GPG_ERR_BAD_SIGNATURE) {
    return Refused(RefusalReason::kBadSignature,
                   "the signature by key " + fpr + " does not match the content (tampered?)", fpr);
  }
  if (status != GPG_ERR_NO_ERROR || (summary & GPGME_SIGSUM_VALID) == 0) {
    return Refused(RefusalReason::kBadSignature,
                   "the signature by key " + fpr + " is not valid (" +
                       (found->status != 0 ? GpgError(found->status) : "no valid key") + ")",
                   fpr);
  }
  SignatureCheck check;
  check.key = fpr;
  check.fingerprints.push_back(fpr);
  gpgme_key_t key_raw = nullptr;
  if (gpgme_get_key(ctx, found->fpr, &key_raw, /*secret=*/0) == 0 && key_raw != nullptr) {
    KeyPtr key(key_raw);
    if (key->subkeys != nullptr && key->subkeys->fpr != nullptr) {
      check.key = base::AsciiUpper(key->subkeys->fpr);  // the primary key
      check.fingerprints.push_back(check.key);
    }
    for (gpgme_user_id_t uid = key->uids; uid != nullptr; uid = uid->next) {
      if (uid->email != nullptr && *uid->email != '\0' && uid->revoked == 0) {
        check.identities.emplace_back(uid->email);
      }
    }
  }
  return check;
}

}  // namespace ecsync::git::internal
