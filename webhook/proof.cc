// Webhook authentication: HMAC signatures and GitLab's token (webhook/webhook.h).

#include <openssl/crypto.h>

#include "base/hash.h"
#include "base/strings.h"
#include "webhook/parse.h"
#include "webhook/webhook.h"

namespace ecsync::webhook {

namespace {

using internal::Header;
using internal::HexValue;
using internal::IsHex;

// The 32 bytes of "<prefix><64 hex digits>" (prefix compared ignoring case), or nullopt when
// `value` does not have that shape.
std::optional<std::string> Digest(std::string_view value, std::string_view prefix) {
  if (value.size() != prefix.size() + 64) return std::nullopt;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (base::AsciiLower(value[i]) != prefix[i]) return std::nullopt;
  }
  std::string_view hex = value.substr(prefix.size());
  if (!IsHex(hex)) return std::nullopt;
  std::string out(32, '\0');
  for (size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<char>(HexValue(hex[2 * i]) << 4 | HexValue(hex[2 * i + 1]));
  }
  return out;
}

}  // namespace

WebhookProof::WebhookProof(Provider provider, const Headers& headers, std::string_view body)
    : provider_(provider), body_(body) {
  switch (provider) {
    case Provider::kGitHub:
      // Over the body as sent, form-encoded or not.
      digest_ = Digest(Header(headers, "X-Hub-Signature-256"), "sha256=");
      break;
    case Provider::kGitea:
      digest_ = Digest(Header(headers, "X-Hub-Signature-256"), "sha256=");
      if (!digest_) digest_ = Digest(Header(headers, "X-Gitea-Signature"), "");
      // Gitea signs the JSON payload, also when it sends it inside a form field.
      if (digest_ && internal::IsFormEncoded(headers)) {
        form_payload_ = internal::FormValue(body, "payload");
      }
      break;
    case Provider::kBitbucket:
      digest_ = Digest(Header(headers, "X-Hub-Signature"), "sha256=");
      break;
    case Provider::kGeneric:
      digest_ = Digest(Header(headers, "X-Signature"), "sha256=");
      break;
    case Provider::kGitLab: {
      auto it = headers.find(std::string_view("X-Gitlab-Token"));
      if (it != headers.end() && !it->second.empty()) token_digest_ = base::Sha256(it->second);
      break;
    }
  }
}

bool WebhookProof::present() const { return digest_.has_value() || token_digest_.has_value(); }

bool WebhookProof::Matches(const std::string& secret) const {
  if (secret.empty()) return false;
  if (provider_ == Provider::kGitLab) {
    // Digests have one length, so the comparison does not reveal the secret's.
    return token_digest_ && ConstantTimeEquals(*token_digest_, base::Sha256(secret));
  }
  if (!digest_) return false;
  if (form_payload_ && ConstantTimeEquals(*digest_, base::HmacSha256(secret, *form_payload_))) {
    return true;
  }
  return ConstantTimeEquals(*digest_, base::HmacSha256(secret, body_));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool VerifyWebhook(Provider provider, const Headers& headers, std::string_view body,
                   const std::string& secret) {
  return WebhookProof(provider, headers, body).Matches(secret);
}

}  // namespace ecsync::webhook
