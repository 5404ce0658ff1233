#include "git/remote_auth.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "base/hash.h"
#include "git/known_hosts.h"
#include "git/libgit2_util.h"

namespace ecsync::git::internal {

namespace {

namespace fs = std::filesystem;

constexpr char kDefaultTokenUser[] = "x-access-token";
constexpr char kDefaultSshUser[] = "git";

std::string AllowedMethods(unsigned int allowed) {
  std::string out;
  auto add = [&](const char* name) { out += (out.empty() ? "" : ", ") + std::string(name); };
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) add("user name and password or token");
  if (allowed & GIT_CREDENTIAL_SSH_KEY) add("SSH key");
  if (allowed & (GIT_CREDENTIAL_SSH_INTERACTIVE | GIT_CREDENTIAL_SSH_CUSTOM)) add("other SSH");
  if (allowed & GIT_CREDENTIAL_DEFAULT) add("Negotiate/NTLM");
  return out.empty() ? "an unsupported method" : out;
}

// `text` with every occurrence of each non-empty secret replaced by "***".
std::string Scrub(std::string text, std::initializer_list<const std::string*> secrets) {
  for (const std::string* secret : secrets) {
    if (secret->empty()) continue;
    for (size_t at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at + 3)) {
      text.replace(at, secret->size(), "***");
    }
  }
  return text;
}

}  // namespace

RemoteAuth::RemoteAuth(RemoteUrl url, Credentials credentials)
    : url_(std::move(url)), credentials_(std::move(credentials)) {}

void RemoteAuth::Install(git_remote_callbacks* callbacks) {
  callbacks->credentials = &RemoteAuth::AcquireCredential;
  callbacks->certificate_check = &RemoteAuth::CheckCertificate;
  callbacks->payload = this;
}

void RemoteAuth::ResetAttempts() {
  offered_password_ = false;
  offered_ssh_key_ = false;
}

int RemoteAuth::AcquireCredential(git_credential** out, const char* /*url*/,
                                  const char* username_from_url, unsigned int allowed_types,
                                  void* payload) {
  return static_cast<RemoteAuth*>(payload)->Acquire(out, username_from_url, allowed_types);
}

int RemoteAuth::CheckCertificate(git_cert* cert, int valid, const char* host, void* payload) {
  if (cert == nullptr || cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
  return static_cast<RemoteAuth*>(payload)->CheckHostKey(
      *reinterpret_cast<const git_cert_hostkey*>(cert), valid, host);
}

std::string RemoteAuth::SshUser(const char* username_from_url) const {
  if (username_from_url != nullptr && username_from_url[0] != '\0') return username_from_url;
  if (!credentials_.username.empty()) return credentials_.username;
  return kDefaultSshUser;
}

int RemoteAuth::Acquire(git_credential** out, const char* username_from_url,
                        unsigned int allowed_types) {
  // SSH asks for the user name alone first when the URL has none.
  if (allowed_types & GIT_CREDENTIAL_USERNAME) {
    return git_credential_username_new(out, SshUser(username_from_url).c_str());
  }
  const std::string& key = credentials_.ssh_private_key_path;
  if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) && !key.empty()) {
    std::string user = SshUser(username_from_url);
    if (offered_ssh_key_) {
      failure_ = "authentication failed for " + url_.display +
                 ": the server rejected the SSH key " + key + " for user '" + user + "'" +
                 (credentials_.ssh_passphrase.empty() ? "" : " (or its passphrase is wrong)") +
                 "; authorize its public key for this repository or configure another key";
      git_error_set_str(GIT_ERROR_SSH, failure_.c_str());
      return GIT_EAUTH;
    }
    std::error_code ec;
    if (!fs::is_regular_file(key, ec)) {
      failure_ = "authentication failed for " + url_.display + ": the SSH private key file " + key +
                 " does not exist or is not a file";
      git_error_set_str(GIT_ERROR_SSH, failure_.c_str());
      return GIT_EAUTH;
    }
    offered_ssh_key_ = true;
    const std::string& pub = credentials_.ssh_public_key_path;
    const std::string& passphrase = credentials_.ssh_passphrase;
    return git_credential_ssh_key_new(out, user.c_str(), pub.empty() ? nullptr : pub.c_str(),
                                      key.c_str(),
                                      passphrase.empty() ? nullptr : passphrase.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !credentials_.password.empty()) {
    if (offered_password_) {
      failure_ = "authentication failed for " + url_.display +
                 ": the server rejected the configured user name and password or token; "
                 "update the credentials for this repository";
      git_error_set_str(GIT_ERROR_HTTP, failure_.c_str());
      return GIT_EAUTH;
    }
    offered_password_ = true;
    std::string user = credentials_.username;
    if (user.empty() && username_from_url != nullptr) user = username_from_url;
    if (user.empty()) user = kDefaultTokenUser;
    return git_credential_userpass_plaintext_new(out, user.c_str(), credentials_.password.c_str());
  }
  failure_ = "authentication failed for " + url_.display + ": the server asks for credentials (" +
             AllowedMethods(allowed_types) +
             ") and none that fit are configured for this repository";
  git_error_set_str(GIT_ERROR_CALLBACK, failure_.c_str());
  return GIT_EAUTH;
}

int RemoteAuth::CheckHostKey(const git_cert_hostkey& cert, int valid, const char* host) {
  std::optional<SshEndpoint> endpoint = SshEndpointOf(url_.normalized);
  std::string name = endpoint ? endpoint->host : (host != nullptr ? host : "");
  int port = endpoint ? endpoint->port : 22;
  std::string shown = port == 22 ? name : "[" + name + "]:" + std::to_string(port);

  PresentedHostKey key;
  if (cert.type & GIT_CERT_SSH_RAW) key.blob.assign(cert.hostkey, cert.hostkey_len);
  if (!key.blob.empty()) {
    key.sha256 = base::Sha256(key.blob);
  } else if (cert.type & GIT_CERT_SSH_SHA256) {
    key.sha256.assign(reinterpret_cast<const char*>(cert.hash_sha256), sizeof(cert.hash_sha256));
  }
  std::string type = HostKeyType(key.blob);
  std::string described =
      (type.empty() ? "" : type + " ") +
      (key.sha256.empty() ? std::string("fingerprint unknown") : Sha256Fingerprint(key.sha256));
  std::string keyscan =
      "ssh-keyscan " + (port == 22 ? "" : "-p " + std::to_string(port) + " ") + name;

  const std::string& file = credentials_.known_hosts_path;
  if (file.empty()) {
    if (valid) return GIT_PASSTHROUGH;
    failure_ = "the SSH host key of " + shown + " (" + described +
               ") is not in ~/.ssh/known_hosts; add the host key to the known_hosts file (" +
               keyscan +
               " >> ~/.ssh/known_hosts, after checking the fingerprint) or configure "
               "a known_hosts file for this repository";
    return GIT_ECERTIFICATE;
  }
  base::Result<KnownHosts> known = KnownHosts::Load(file);
  if (!known.ok()) {
    failure_ = "cannot check the SSH host key of " + shown + ": " + known.status().message();
    return GIT_ECERTIFICATE;
  }
  switch (known->Check(name, port, key)) {
    case HostKeyVerdict::kTrusted:
      return 0;
    case HostKeyVerdict::kUnknownHost:
      failure_ = "the SSH host " + shown + " (" + described + ") is not in the known_hosts file " +
                 file + "; add the host key to the known_hosts file (" + keyscan + " >> " + file +
                 ", after checking the fingerprint)";
      break;
    case HostKeyVerdict::kKeyNotListed:
      failure_ = "the known_hosts file " + file + " lists " + shown +
                 " but not the key it offered (" + described +
                 "); add the host key to the known_hosts file (" + keyscan +
                 " lists all of the host's keys)";
      break;
    case HostKeyVerdict::kMismatch:
      failure_ = "the SSH host key of " + shown + " (" + described +
                 ") does not match the one in the known_hosts file " + file +
                 ": the key was changed or someone is intercepting the connection; if the change "
                 "is legitimate, replace the host's line in the file";
      break;
    case HostKeyVerdict::kRevoked:
      failure_ = "the SSH host key of " + shown + " (" + described +
                 ") is marked @revoked in the known_hosts file " + file;
      break;
  }
  return GIT_ECERTIFICATE;
}

base::Status RemoteAuth::Error(int code, const std::string& doing) const {
  auto scrub = [&](std::string text) {
    return Scrub(std::move(text), {&credentials_.password, &credentials_.ssh_passphrase});
  };
  if (!failure_.empty()) return base::InvalidError(scrub(failure_));
  const git_error* error = git_error_last();
  std::string message = LastErrorMessage(code);
  if (offered_ssh_key_ && code != GIT_EAUTH && error != nullptr && error->klass == GIT_ERROR_SSH &&
      message.find("key") != std::string::npos) {
    // libssh2 could not use the key file (format, passphrase): configuration, not network.
    return base::InvalidError(scrub("authentication failed for " + url_.display +
                                    ": cannot use the SSH private key " +
                                    credentials_.ssh_private_key_path + ": " + message));
  }
  base::Status status = FetchError(url_.display, code, doing);
  return base::Status(status.kind(), scrub(status.message()));
}

}  // namespace ecsync::git::internal
