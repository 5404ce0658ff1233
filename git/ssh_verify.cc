#include "git/ssh_verify.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "base/file.h"
#include "base/strings.h"
#include "git/scratch_dir.h"

extern char** environ;

namespace ecsync::git::internal {

namespace {

struct Run {
  int exit_code = -1;  // -1: did not start or ended by a signal
  std::string out;
  std::string err;
};

// Runs ssh-keygen with `args`, stdin from `input_path` (or /dev/null), output into `dir`.
// posix_spawn, not fork: the controller is multi-threaded.
Run SshKeygen(const ScratchDir& dir, const std::vector<std::string>& args,
              const std::string& input_path) {
  Run run;
  const std::string out_path = dir.path() + "/out";
  const std::string err_path = dir.path() + "/err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, 0, input_path.empty() ? "/dev/null" : input_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  std::vector<std::string> argv_strings = {"ssh-keygen"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_strings.size() + 1);
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "ssh-keygen", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    run.err = "ssh-keygen cannot be started (install OpenSSH's client tools)";
    return run;
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return run;
  }
  if (WIFEXITED(wait_status)) run.exit_code = WEXITSTATUS(wait_status);
  auto out = base::ReadWholeFile(out_path);
  auto err = base::ReadWholeFile(err_path);
  if (out.ok()) run.out = std::move(*out);
  if (err.ok()) run.err = std::move(*err);
  return run;
}

// "SHA256:..." from ssh-keygen's 'Good "git" signature ... with ED25519 key SHA256:...'.
std::string KeyOf(const std::string& text) {
  const size_t at = text.find("SHA256:");
  if (at == std::string::npos) return "";
  size_t end = at;
  while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
  return text.substr(at, end - at);
}

std::string FirstLine(const std::string& text) {
  const std::string_view trimmed = base::TrimAscii(text);
  return std::string(trimmed.substr(0, trimmed.find('\n')));
}

}  // namespace

SignatureCheck VerifySshSignature(const std::string& allowed_signers, const std::string& payload,
                                  const std::string& signature, const std::string& principal) {
  auto dir = ScratchDir::Create("ecsync-sshsig-");
  if (!dir.ok()) return Refused(RefusalReason::kError, dir.status().message(), "");
  auto sig_path = (*dir)->Write("signature", signature);
  auto payload_path = (*dir)->Write("payload", payload);
  if (!sig_path.ok() || !payload_path.ok()) {
    return Refused(RefusalReason::kError, "cannot write the signature for ssh-keygen", "");
  }
  // The key, and whether the signature matches the payload in the git namespace at all.
  const Run check =
      SshKeygen(**dir, {"-Y", "check-novalidate", "-n", "git", "-s", *sig_path}, *payload_path);
  if (check.exit_code < 0) return Refused(RefusalReason::kError, check.err, "");
  const std::string key = KeyOf(check.out + check.err);
  if (check.exit_code != 0) {
    return Refused(RefusalReason::kBadSignature,
                   "the SSH signature does not match the content or is not for git (" +
                       FirstLine(check.err) + ")",
                   key);
  }
  const Run found =
      SshKeygen(**dir, {"-Y", "find-principals", "-f", allowed_signers, "-s", *sig_path}, "");
  if (found.exit_code != 0) {
    return Refused(RefusalReason::kUnknownKey,
                   "signed by SSH key " + key + ", which is not in allowed_signers", key);
  }
  std::vector<std::string> principals;
  for (const std::string& line : base::Split(found.out, '\n')) {
    const std::string_view name = base::TrimAscii(line);
    if (!name.empty()) principals.emplace_back(name);
  }
  std::string chosen = principals.empty() ? "" : principals.front();
  if (!principal.empty()) {
    chosen.clear();
    for (const std::string& name : principals) {
      if (base::EqualsIgnoreAsciiCase(name, principal)) chosen = name;
    }
    if (chosen.empty()) {
      return Refused(RefusalReason::kCommitter,
                     "signed by SSH key " + key + ", which allowed_signers lists for " +
                         base::Join(principals, ", ") + ", not for the committer " + principal,
                     key);
    }
  }
  const Run verified = SshKeygen(
      **dir, {"-Y", "verify", "-f", allowed_signers, "-I", chosen, "-n", "git", "-s", *sig_path},
      *payload_path);
  if (verified.exit_code != 0) {
    return Refused(RefusalReason::kKeyNotAllowed,
                   "signed by SSH key " + key + ", which allowed_signers does not accept for " +
                       chosen + " (" + FirstLine(verified.err) + ")",
                   key);
  }
  SignatureCheck good;
  good.key = key;
  good.identities.push_back(chosen);
  return good;
}

}  // namespace ecsync::git::internal
