#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ecsync::git {

// The host key an SSH server presented, as libgit2 reports it.
struct PresentedHostKey {
  // The public key in SSH wire format (what a known_hosts line holds in base64). Empty when
  // libgit2 did not pass the raw key.
  std::string blob;
  // The raw 32-byte SHA-256 of `blob`; compared instead of the blob when the blob is empty.
  std::string sha256;
};

enum class HostKeyVerdict {
  kTrusted,       // a line for the host lists this key
  kUnknownHost,   // no line names the host
  kKeyNotListed,  // the host is listed, but only with keys of other types (or of an unknown type)
  kMismatch,      // the host is listed with a different key of the same type
  kRevoked,       // an @revoked line lists this key
};

// An OpenSSH known_hosts file: plain host patterns (comma-separated, with `*`/`?` wildcards
// and `!` negation, "[host]:port" for ports other than 22), hashed names ("|1|salt|hash",
// HMAC-SHA1 as `ssh-keygen -H` writes them), and @revoked markers. @cert-authority lines are
// ignored (certificates are not supported); malformed lines are skipped. Immutable after
// construction, so safe to share between threads.
class KnownHosts {
 public:
  // Reads and parses `path`. kInvalid when the file cannot be read (the message names it).
  static base::Result<KnownHosts> Load(const std::string& path);
  static KnownHosts Parse(std::string_view text);

  // Checks `key` for `host` (a name or IP address, compared case-insensitively) on `port`.
  HostKeyVerdict Check(std::string_view host, int port, const PresentedHostKey& key) const;

  // The number of usable lines.
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    bool revoked = false;
    std::vector<std::string> patterns;  // plain entries
    std::string salt;                   // hashed entries: raw salt and HMAC-SHA1
    std::string hash;
    std::string key_type;  // e.g. "ssh-ed25519"
    std::string blob;      // decoded key
  };
  bool Names(const Entry& entry, const std::string& name) const;

  std::vector<Entry> entries_;
};

// The key type named at the start of an SSH wire-format public key ("ssh-ed25519", ...);
// empty when `blob` is too short to hold one.
std::string HostKeyType(std::string_view blob);

// OpenSSH's fingerprint of a raw SHA-256 digest: "SHA256:" + unpadded base64.
std::string Sha256Fingerprint(std::string_view sha256);

// Decodes standard base64 (padding optional) into `out`. false when `text` is not base64.
bool DecodeBase64(std::string_view text, std::string* out);

}  // namespace ecsync::git
