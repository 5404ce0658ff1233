#include "git/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>

#include "base/base64.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/strings.h"

namespace ecsync::git {

namespace {

constexpr std::string_view kHashedPrefix = "|1|";

std::string EncodeBase64NoPadding(std::string_view bytes) {
  std::string out = base::Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// Shell-style match of `name` against `pattern` with '*' (any run) and '?' (one character).
bool Glob(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  std::string field;
  while (in >> field) fields.push_back(field);
  return fields;
}

// The non-empty comma-separated items of `s`, lower-cased.
std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  for (const std::string& item : base::Split(s, ',')) {
    if (!item.empty()) out.push_back(base::AsciiLower(item));
  }
  return out;
}

}  // namespace

bool DecodeBase64(std::string_view text, std::string* out) {
  std::optional<std::string> decoded = base::Base64Decode(text);
  if (!decoded) {
    out->clear();
    return false;
  }
  *out = std::move(*decoded);
  return true;
}

std::string HostKeyType(std::string_view blob) {
  if (blob.size() < 4) return "";
  uint32_t len = (static_cast<uint32_t>(static_cast<unsigned char>(blob[0])) << 24) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(blob[1])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(blob[2])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(blob[3]));
  if (len == 0 || len > blob.size() - 4) return "";
  return std::string(blob.substr(4, len));
}

std::string Sha256Fingerprint(std::string_view sha256) {
  return "SHA256:" + EncodeBase64NoPadding(sha256);
}

base::Result<KnownHosts> KnownHosts::Load(const std::string& path) {
  const base::Result<std::string> text = base::ReadWholeFile(path);
  if (!text.ok()) {
    return base::InvalidError("cannot read the known_hosts file " + path + " (" +
                              text.status().message() + "); check the path and its permissions");
  }
  return Parse(*text);
}

KnownHosts KnownHosts::Parse(std::string_view text) {
  KnownHosts out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    std::vector<std::string> fields = SplitFields(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    Entry entry;
    size_t i = 0;
    if (fields[0][0] == '@') {
      if (fields[0] != "@revoked") continue;  // @cert-authority and unknown markers
      entry.revoked = true;
      i = 1;
    }
    if (fields.size() < i + 3) continue;
    const std::string& hosts = fields[i];
    if (hosts.compare(0, kHashedPrefix.size(), kHashedPrefix) == 0) {
      std::string_view rest = std::string_view(hosts).substr(kHashedPrefix.size());
      size_t bar = rest.find('|');
      if (bar == std::string_view::npos) continue;
      if (!DecodeBase64(rest.substr(0, bar), &entry.salt) ||
          !DecodeBase64(rest.substr(bar + 1), &entry.hash) || entry.hash.empty()) {
        continue;
      }
    } else {
      entry.patterns = SplitComma(hosts);
      if (entry.patterns.empty()) continue;
    }
    entry.key_type = fields[i + 1];
    if (!DecodeBase64(fields[i + 2], &entry.blob) || entry.blob.empty()) continue;
    // A line whose declared type disagrees with its key is corrupt.
    if (HostKeyType(entry.blob) != entry.key_type) continue;
    out.entries_.push_back(std::move(entry));
  }
  return out;
}

bool KnownHosts::Names(const Entry& entry, const std::string& name) const {
  if (!entry.hash.empty()) return HmacSha1(entry.salt, name) == entry.hash;
  bool matched = false;
  for (const std::string& pattern : entry.patterns) {
    if (pattern[0] == '!') {
      if (Glob(std::string_view(pattern).substr(1), name)) return false;
    } else if (Glob(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

HostKeyVerdict KnownHosts::Check(std::string_view host, int port,
                                 const PresentedHostKey& key) const {
  std::string lower = base::AsciiLower(host);
  if (lower.size() >= 2 && lower.front() == '[' && lower.back() == ']') {
    lower = lower.substr(1, lower.size() - 2);
  }
  std::string name = port == 22 ? lower : "[" + lower + "]:" + std::to_string(port);
  std::string type = HostKeyType(key.blob);
  auto same_key = [&](const Entry& entry) {
    if (!key.blob.empty()) return entry.blob == key.blob;
    return !key.sha256.empty() && base::Sha256(entry.blob) == key.sha256;
  };
  bool listed = false, trusted = false, same_type_differs = false;
  for (const Entry& entry : entries_) {
    if (entry.revoked) {
      // A revoked key is refused for every host.
      if (same_key(entry)) return HostKeyVerdict::kRevoked;
      continue;
    }
    if (!Names(entry, name)) continue;
    listed = true;
    if (same_key(entry)) {
      trusted = true;
    } else if (!type.empty() && entry.key_type == type) {
      same_type_differs = true;
    }
  }
  if (trusted) return HostKeyVerdict::kTrusted;
  if (same_type_differs) return HostKeyVerdict::kMismatch;
  return listed ? HostKeyVerdict::kKeyNotListed : HostKeyVerdict::kUnknownHost;
}

}  // namespace ecsync::git
