#pragma once

// Real git servers on loopback for the git tests: `git daemon` (git://), smart HTTP through
// tests/support/git_http_server.py (optionally with basic auth), and a private sshd.
// Test-only.

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/support.h"

namespace ecsync::git_testing {

// A server process on a free loopback port: started (with `argv` built for that port) in
// the constructor, which waits until the port accepts connections, and killed with its
// process group in the destructor. port() is 0 when it did not come up. The server's
// stderr goes to `log_path` when given, else to /dev/null.
class LoopbackServer {
 public:
  explicit LoopbackServer(const std::function<std::vector<std::string>(int port)>& argv,
                          const std::string& log_path = "") {
    for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) {
      int port = ecsync::testing::FreeLoopbackPort();
      std::vector<std::string> args = argv(port);
      std::vector<char*> argp;
      argp.reserve(args.size() + 1);
      for (auto& a : args) argp.push_back(a.data());
      argp.push_back(nullptr);
      pid_t pid = fork();
      if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        int err = log_path.empty() ? devnull
                                   : open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(err < 0 ? devnull : err, 2);
        execvp(argp[0], argp.data());
        _exit(127);
      }
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, nullptr, WNOHANG) == pid) {
          pid = -1;  // exited: port taken, or the program is missing
          break;
        }
        if (ecsync::testing::PortAccepts(port)) {
          pid_ = pid;
          port_ = port;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (pid_ < 0 && pid > 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }
  ~LoopbackServer() {
    if (pid_ > 0) {
      kill(-pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// `git daemon` exporting every repository below `base_dir` as git://127.0.0.1:PORT/<name>.
inline std::function<std::vector<std::string>(int)> GitDaemonArgv(const std::string& base_dir) {
  return [base_dir](int port) {
    return std::vector<std::string>{"git",
                                    "daemon",
                                    "--reuseaddr",
                                    "--base-path=" + base_dir,
                                    "--export-all",
                                    "--listen=127.0.0.1",
                                    "--port=" + std::to_string(port),
                                    base_dir};
  };
}

// tests/support/git_http_server.py serving every repository below `root` as
// http://127.0.0.1:PORT/<name>; with a non-empty user or password, basic auth is required.
// With `log`, the server appends "<status> <method> <path>" per request to that file.
inline std::function<std::vector<std::string>(int)> GitHttpServerArgv(
    const std::string& root, const std::string& user = "", const std::string& password = "",
    const std::string& log = "") {
  return [=](int port) {
    std::vector<std::string> argv = {
        "python3", ecsync::testing::SourceDir() + "/tests/support/git_http_server.py",
        "--port",  std::to_string(port),
        "--root",  root};
    if (!user.empty()) argv.insert(argv.end(), {"--user", user});
    if (!password.empty()) argv.insert(argv.end(), {"--password", password});
    if (!log.empty()) argv.insert(argv.end(), {"--log", log});
    return argv;
  };
}

// The name of the user running the tests (who logs in to the private sshd).
inline std::string CurrentUser() {
  const passwd* pw = getpwuid(getuid());
  return pw != nullptr ? pw->pw_name : "root";
}

// Whether a private sshd can run here: the binary exists and, as root, the privilege
// separation directory exists or can be made (the openssh-server package creates it only
// when its service starts).
inline bool SshdUsable() {
  if (access("/usr/sbin/sshd", X_OK) != 0) return false;
  if (getuid() != 0) return true;
  std::error_code ec;
  std::filesystem::create_directories("/run/sshd", ec);
  chmod("/run/sshd", 0755);
  return std::filesystem::is_directory("/run/sshd", ec);
}

// A private sshd on loopback with its own ed25519 host key and a client key pair it trusts,
// all in a temporary directory. Logins run git-upload-pack as the current user.
class SshGitServer {
 public:
  SshGitServer() {
    host_key_ = dir_.path() + "/host_key";
    client_key_ = dir_.path() + "/client_key";
    Keygen(host_key_, "");
    Keygen(client_key_, "");
    std::string authorized = ecsync::testing::ReadFileOrDie(client_key_ + ".pub");
    dir_.WriteFile("authorized_keys", authorized);
    config_ = dir_.WriteFile("sshd_config",
                             "ListenAddress 127.0.0.1\n"
                             "HostKey " +
                                 host_key_ +
                                 "\n"
                                 "AuthorizedKeysFile " +
                                 dir_.path() +
                                 "/authorized_keys\n"
                                 "PidFile none\n"
                                 "UsePAM no\n"
                                 "PasswordAuthentication no\n"
                                 "KbdInteractiveAuthentication no\n"
                                 "PermitRootLogin prohibit-password\n"
                                 "StrictModes no\n"
                                 "LogLevel VERBOSE\n");
    std::string config = config_;
    server_ = std::make_unique<LoopbackServer>(
        [config](int port) {
          return std::vector<std::string>{"/usr/sbin/sshd",    "-D", "-e", "-f", config, "-p",
                                          std::to_string(port)};
        },
        dir_.path() + "/sshd.log");
  }
  int port() const { return server_->port(); }
  // ssh://USER@127.0.0.1:PORT<absolute path>
  std::string Url(const std::string& repo_path) const {
    return "ssh://" + CurrentUser() + "@127.0.0.1:" + std::to_string(port()) + repo_path;
  }
  // The host's public key line ("ssh-ed25519 AAAA... comment").
  std::string HostPublicKey() const { return ecsync::testing::ReadFileOrDie(host_key_ + ".pub"); }
  const std::string& client_key() const { return client_key_; }
  const std::string& dir() const { return dir_.path(); }
  std::string Log() const { return ecsync::testing::ReadFileOrDie(dir_.path() + "/sshd.log"); }

  // Makes an ed25519 key pair at `path` (and `path`.pub).
  static void Keygen(const std::string& path, const std::string& passphrase) {
    ecsync::testing::RunCommand(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", path});
  }

 private:
  ecsync::testing::TempDir dir_;
  std::string host_key_;
  std::string client_key_;
  std::string config_;
  std::unique_ptr<LoopbackServer> server_;
};

}  // namespace ecsync::git_testing
