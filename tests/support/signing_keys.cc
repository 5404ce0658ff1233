#include "tests/support/signing_keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace ecsync::testing {

namespace {

namespace fs = std::filesystem;

constexpr char kOldTime[] = "20200101T120000!";

std::string Run(const std::vector<std::string>& argv, const std::string& input = "") {
  CommandResult r = RunCommand(argv, {}, "", input);
  if (r.exit_code != 0) {
    throw std::runtime_error(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") +
                             " failed: " + r.err);
  }
  return r.out;
}

std::string Fingerprint(const std::string& home, const std::string& email) {
  std::istringstream lines(Run({"gpg", "--homedir", home, "--with-colons", "--list-keys", email}));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("fpr:")) {
      std::string rest = line.substr(0, line.size() - 1);  // "fpr:::::::::FPR:"
      return rest.substr(rest.rfind(':') + 1);
    }
  }
  throw std::runtime_error("no fingerprint for " + email);
}

void Write(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// Makes every key in `dir` (which exists and is empty).
void MakeKeys(const fs::path& dir) {
  const std::string home = (dir / "home").string();
  fs::create_directories(home);
  fs::permissions(home, fs::perms::owner_all);
  auto gen = [&](const std::string& name, const std::vector<std::string>& extra,
                 const std::string& expire) {
    std::vector<std::string> argv = {"gpg", "--homedir", home, "--batch", "--passphrase", ""};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const std::string& arg :
         {std::string("--quick-gen-key"), name + " <" + name + "@example.com>",
          std::string("ed25519"), std::string("sign"), expire}) {
      argv.push_back(arg);
    }
    Run(argv);
  };
  for (const char* name : {"alice", "bob", "stranger", "rev"}) gen(name, {}, "never");
  gen("old", {"--faked-system-time", "20200101T000000!"}, "1d");
  std::ostringstream fprs;
  for (const char* name : {"alice", "bob", "stranger", "old", "rev"}) {
    fprs << name << " " << Fingerprint(home, std::string(name) + "@example.com") << "\n";
  }
  Write(dir / "fingerprints", fprs.str());
  const std::string rev = Fingerprint(home, "rev@example.com");
  // The revoked key: rev's public key and its revocation certificate in a scratch home.
  const std::string scratch = (dir / "revoke").string();
  fs::create_directories(scratch);
  fs::permissions(scratch, fs::perms::owner_all);
  Run({"gpg", "--homedir", scratch, "--batch", "--import"},
      Run({"gpg", "--homedir", home, "--export", rev}));
  std::string certificate = Run({"cat", home + "/openpgp-revocs.d/" + rev + ".rev"});
  // gpg writes the certificate with a ':' before its armor line against accidental import.
  const size_t colon = certificate.find(":-----BEGIN");
  if (colon != std::string::npos) certificate.erase(colon, 1);
  Run({"gpg", "--homedir", scratch, "--batch", "--import"}, certificate);
  std::string keyring = Run({"gpg", "--homedir", home, "--export", "alice@example.com",
                             "bob@example.com", "old@example.com"});
  keyring += Run({"gpg", "--homedir", scratch, "--export", rev});
  Write(dir / "keyring.gpg", keyring);
  Write(dir / "alice.asc",
        Run({"gpg", "--homedir", home, "--armor", "--export", "alice@example.com"}));
  Run({"gpgconf", "--homedir", scratch, "--kill", "all"});
  std::string signers;
  for (const char* name : {"alice", "bob", "stranger"}) {
    const std::string key = (dir / (std::string(name) + "_ssh")).string();
    Run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key});
    if (std::string(name) != "stranger") {
      signers += std::string(name) + "@example.com " + Run({"cat", key + ".pub"});
    }
  }
  Write(dir / "allowed_signers", signers);
  Run({"gpgconf", "--homedir", home, "--kill", "all"});
  Write(dir / "done", "");
}

// The keys next to the test binary, made once under an exclusive lock.
fs::path SharedKeys() {
  fs::path dir = fs::read_symlink("/proc/self/exe").parent_path() / "signing-test-keys";
  const std::string lock_path = dir.string() + ".lock";
  const int lock = open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + lock_path);
  if (!fs::exists(dir / "done")) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    MakeKeys(dir);
  }
  close(lock);  // releases the lock
  return dir;
}

SigningKeys* instance = nullptr;

}  // namespace

const SigningKeys& SigningKeys::Get() {
  static std::once_flag once;
  std::call_once(once, [] {
    const fs::path shared = SharedKeys();
    auto keys = std::make_unique<SigningKeys>();
    keys->dir_ = std::make_unique<TempDir>();
    const fs::path own = keys->dir_->path();
    // Files and folders only: a socket an agent left behind is not copied.
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(shared)) {
      const fs::path target = own / fs::relative(entry.path(), shared);
      if (entry.is_directory()) fs::create_directories(target);
      if (entry.is_regular_file()) fs::copy_file(entry.path(), target);
    }
    fs::permissions(own / "home", fs::perms::owner_all);
    std::ifstream fprs(own / "fingerprints");
    for (std::string name, fpr; fprs >> name >> fpr;) {
      if (name == "alice") keys->alice = fpr;
      if (name == "bob") keys->bob = fpr;
      if (name == "stranger") keys->stranger = fpr;
      if (name == "old") keys->old = fpr;
      if (name == "rev") keys->rev = fpr;
    }
    keys->keyring = (own / "keyring.gpg").string();
    keys->alice_armored = (own / "alice.asc").string();
    keys->allowed_signers = (own / "allowed_signers").string();
    keys->alice_ssh = (own / "alice_ssh").string();
    keys->bob_ssh = (own / "bob_ssh").string();
    keys->stranger_ssh = (own / "stranger_ssh").string();
    const std::string home = (own / "home").string();
    keys->gpg =
        keys->dir_->WriteFile("gpg.sh", "#!/bin/sh\nexec gpg --homedir '" + home + "' \"$@\"\n");
    keys->gpg_old = keys->dir_->WriteFile("gpg-old.sh", "#!/bin/sh\nexec gpg --homedir '" + home +
                                                            "' --faked-system-time '" + kOldTime +
                                                            "' \"$@\"\n");
    fs::permissions(keys->gpg, fs::perms::owner_all);
    fs::permissions(keys->gpg_old, fs::perms::owner_all);
    instance = keys.release();
  });
  return *instance;
}

void SigningKeys::StopAgent() {
  if (instance == nullptr) return;
  RunCommand({"gpgconf", "--homedir", instance->dir_->path() + "/home", "--kill", "all"});
}

std::string SigningKeys::CommitPgp(const GitRepo& repo, const std::string& fpr,
                                   const std::string& email) const {
  repo.Git({"add", "-A"});
  repo.Git({"-c", "gpg.program=" + (fpr == old ? gpg_old : gpg), "-c", "user.signingkey=" + fpr,
            "-c", "user.email=" + email, "commit", "-q", "--allow-empty", "-S", "-m",
            "signed change"});
  return repo.Head();
}

std::string SigningKeys::CommitSsh(const GitRepo& repo, const std::string& key,
                                   const std::string& email) const {
  repo.Git({"add", "-A"});
  repo.Git({"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key, "-c", "user.email=" + email,
            "commit", "-q", "--allow-empty", "-S", "-m", "ssh-signed change"});
  return repo.Head();
}

void SigningKeys::TagPgp(const GitRepo& repo, const std::string& name,
                         const std::string& fpr) const {
  repo.Git({"-c", "gpg.program=" + gpg, "tag", "-s", "-u", fpr, "-m", "release " + name, name});
}

}  // namespace ecsync::testing
