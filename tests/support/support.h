#pragma once

// Helpers that start and drive real components for tests: moto_server, cfn-lint, git,
// and the ecsync binary itself. Test-only; never linked into ecsync.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::testing {

// Absolute path of ../shared/corpora (the third-party test data, read in place), or
// $ECSYNC_CORPUS_DIR when set. It may not exist: see tests/support/corpus.h.
std::string CorpusDir();
// Absolute path of the source tree.
std::string SourceDir();
// Absolute path of the built ecsync executable.
std::string EcsyncBinary();

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent directories. Returns the full path.
  std::string WriteFile(const std::string& relative, const std::string& content) const;

 private:
  std::string path_;
};

std::string ReadFileOrDie(const std::string& path);

struct CommandResult {
  int exit_code = -1;  // -1 when the process was killed by a signal or could not start
  std::string out;
  std::string err;
};

// Runs argv[0] (searched on PATH) with `env` added to (and overriding) this process's
// environment, `cwd` as working directory when non-empty, and `input` on stdin.
// Captures stdout and stderr. Blocks until it exits.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& cwd = "", const std::string& input = "");

// A loopback port nothing listens on right now (another process may take it before use).
int FreeLoopbackPort();
// True when something accepts TCP connections on 127.0.0.1:port.
bool PortAccepts(int port);

// A moto_server (tests/support/moto_ecsync.py: moto with CloudFormation support for Cloud Map)
// on a free loopback port, started in the constructor (which waits until it
// answers) and killed in the destructor. Not copyable.
class MotoServer {
 public:
  // `extra_env` is added to moto's environment, e.g. INITIAL_NO_AUTH_ACTION_COUNT to turn on
  // IAM authentication after that many requests.
  explicit MotoServer(const std::map<std::string, std::string>& extra_env = {});
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  // "http://127.0.0.1:PORT"
  const std::string& endpoint() const { return endpoint_; }
  int port() const { return port_; }
  // POST /moto-api/reset: forget every resource.
  void Reset() const;
  // POSTs `json_body` to the test-control endpoint `path` (e.g. "/moto-api/ecsync/ecs/advance",
  // see tests/support/moto_ecs_deployments.py); returns the answer's body, "" on failure.
  std::string Control(const std::string& path, const std::string& json_body) const;
  // Environment for a client pointed at this server: AWS_ENDPOINT_URL, test credentials,
  // AWS_REGION=us-east-1, and no shared config files.
  std::map<std::string, std::string> ClientEnv() const;
  // Runs `aws <args...> --output json` against this server; returns stdout. Empty on failure
  // (the failure is printed to stderr).
  std::string Aws(const std::vector<std::string>& args) const;
  // Stack status from DescribeStacks, or "" when the stack does not exist.
  std::string StackStatus(const std::string& stack) const;
  // The value of a tag on a stack, or "" when absent.
  std::string StackTag(const std::string& stack, const std::string& key) const;

 private:
  // A server from the moto zygote (tests/support/moto_zygote.py) when ECSYNC_MOTO_ZYGOTE names
  // its socket and no extra environment is asked for. True on success.
  bool StartFromZygote(const std::string& socket_path);

  int port_ = 0;
  int pid_ = -1;         // a moto_server this object started itself
  int control_fd_ = -1;  // the zygote's child serves until this closes
  std::string endpoint_;
};

// Runs cfn-lint on `template_text` (JSON or YAML). Ok when cfn-lint reports no errors
// (warnings and informational findings are allowed); otherwise an error holding its output.
base::Status CfnLint(const std::string& template_text);

// A real git repository in a temporary directory, driven with the git CLI.
class GitRepo {
 public:
  // Creates an empty repository whose initial branch is `branch`.
  explicit GitRepo(const std::string& branch = "main");
  const std::string& path() const { return dir_.path(); }
  // file:// URL of the repository.
  std::string url() const { return "file://" + dir_.path(); }
  // Writes a file in the work tree (not yet committed).
  void Write(const std::string& relative, const std::string& content) const;
  // Removes a file from the work tree.
  void Remove(const std::string& relative) const;
  // Stages everything and commits; returns the new commit's full SHA.
  std::string Commit(const std::string& message = "change") const;
  // Full SHA of HEAD.
  std::string Head() const;
  // Runs `git <args>` inside the repository; returns stdout; aborts the test on failure.
  std::string Git(const std::vector<std::string>& args) const;

 private:
  TempDir dir_;
};

// Polls `condition` until it holds or `timeout` passes (generous by default: CI machines
// are busy); returns its last value. Polls every millisecond at first, backing off to every
// 20 ms, so short waits end promptly and long ones cost little.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A child process running in the background (its own process group), stdout and stderr
// appended to a log file. Killed (SIGKILL) in the destructor if still running.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  int pid() const { return pid_; }
  void Signal(int signal) const;
  // Waits up to `timeout` for the process to exit; its exit code, -2 when killed by a signal,
  // nullopt when still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Everything it wrote so far.
  std::string Log() const;

 private:
  int pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// `git daemon` serving every repository below `base_dir` (git://127.0.0.1:PORT/<name>) on a
// free loopback port, with receive-pack disabled. Started in the constructor.
class GitDaemon {
 public:
  explicit GitDaemon(const std::string& base_dir);
  int port() const { return port_; }
  // git://127.0.0.1:PORT/<relative>
  std::string Url(const std::string& relative) const;

 private:
  TempDir log_dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ecsync::testing
