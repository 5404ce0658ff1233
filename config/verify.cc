#include "config/verify.h"

#include <cctype>
#include <filesystem>
#include <string_view>

#include "base/strings.h"

namespace ecsync::config {

namespace {

constexpr std::string_view kVerifyKeys[] = {"mode", "keyring", "allowed_signers", "committers",
                                            "keys"};

// `key`'s path, relative to the configuration file's folder, made absolute; the file must exist.
base::Status ReadKeyFile(const ConfigMapping& map, const std::string& key,
                         const ReadFileFn& read_file, std::string* out) {
  std::string written;
  ECSYNC_RETURN_IF_ERROR(map.String(key, &written));
  if (!map.Has(key)) return base::Status::Ok();
  if (written.empty()) return map.Error(key, "is empty; write the path of the file");
  std::filesystem::path path(written);
  if (path.is_relative()) {
    path = std::filesystem::path(map.location().file).parent_path() / path;
  }
  std::error_code ignored;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ignored);
  *out = (absolute.empty() ? path : absolute).lexically_normal().string();
  auto content = read_file(*out);
  if (!content.ok()) return map.Error(key, *out + ": " + content.status().message());
  if (!content->has_value()) {
    return map.Error(
        key, *out + ": no such file" +
                 (key == "keyring" ? "; export the signers' keys with gpg --export KEY > FILE"
                                   : "; write one line per signer: EMAIL KEY-TYPE KEY"));
  }
  return base::Status::Ok();
}

// An OpenPGP fingerprint: 40 (v4) or 64 (v5) hex digits, blanks allowed between groups.
bool NormalizeFingerprint(const std::string& written, std::string* out) {
  out->clear();
  for (char c : written) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    out->push_back(base::AsciiUpper(c));
  }
  return out->size() == 40 || out->size() == 64;
}

base::Status ParseMode(const ConfigMapping& map, git::VerifyMode* mode) {
  std::string written = "head";
  ECSYNC_RETURN_IF_ERROR(map.String("mode", &written));
  for (git::VerifyMode candidate :
       {git::VerifyMode::kHead, git::VerifyMode::kTag, git::VerifyMode::kStrict}) {
    if (written == git::VerifyModeName(candidate)) {
      *mode = candidate;
      return base::Status::Ok();
    }
  }
  return map.Error("mode", "\"" + written + "\" is not a mode; use head, tag or strict");
}

}  // namespace

base::Status ParseVerify(const ConfigMapping& repo_map, const ReadFileFn& read_file,
                         std::optional<git::SignaturePolicy>* policy) {
  if (!repo_map.Has("verify")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, repo_map.Child("verify", kVerifyKeys));
  git::SignaturePolicy out;
  ECSYNC_RETURN_IF_ERROR(ParseMode(map, &out.mode));
  ECSYNC_RETURN_IF_ERROR(ReadKeyFile(map, "keyring", read_file, &out.keyring));
  ECSYNC_RETURN_IF_ERROR(ReadKeyFile(map, "allowed_signers", read_file, &out.allowed_signers));
  if (out.keyring.empty() && out.allowed_signers.empty()) {
    return repo_map.Error("verify",
                          "needs keyring (OpenPGP public keys) or allowed_signers (SSH keys), "
                          "or both: nothing could be trusted otherwise");
  }
  ECSYNC_RETURN_IF_ERROR(map.StringList("committers", /*allow_single=*/true, &out.committers));
  for (size_t i = 0; i < out.committers.size(); ++i) {
    const std::string& pattern = out.committers[i];
    if (pattern.empty() || pattern.find_first_of(" \t\r\n") != std::string::npos) {
      return map.Error("committers", "item " + std::to_string(i) + " (\"" + pattern +
                                         "\") is not an e-mail address or pattern such as "
                                         "*@example.com");
    }
  }
  std::vector<std::string> keys;
  ECSYNC_RETURN_IF_ERROR(map.StringList("keys", /*allow_single=*/true, &keys));
  for (const std::string& key : keys) {
    std::string fingerprint;
    if (!NormalizeFingerprint(key, &fingerprint)) {
      return map.Error("keys",
                       "\"" + key +
                           "\" is not an OpenPGP fingerprint; write its 40 hexadecimal "
                           "digits (gpg --list-keys --with-colons shows them on fpr lines)");
    }
    out.keys.push_back(std::move(fingerprint));
  }
  if (!out.keys.empty() && out.keyring.empty()) {
    return map.Error("keys", "lists OpenPGP keys, but there is no keyring to find them in");
  }
  *policy = std::move(out);
  return base::Status::Ok();
}

}  // namespace ecsync::config
