#include "tests/support/support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/zygotes.h"

extern char** environ;

namespace ecsync::testing {

namespace fs = std::filesystem;

namespace {

// Pointers into `strings` and a closing nullptr: an argv or envp for exec. `strings` must
// outlive the result.
std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string CorpusDir() {
  const char* dir = std::getenv("ECSYNC_CORPUS_DIR");
  return dir != nullptr && *dir != '\0' ? dir : ECSYNC_CORPUS_DIR;
}
std::string SourceDir() { return ECSYNC_SOURCE_DIR; }
std::string EcsyncBinary() { return ECSYNC_BINARY; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "ecsync-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::WriteFile(const std::string& relative, const std::string& content) const {
  fs::path full = fs::path(path_) / relative;
  fs::create_directories(full.parent_path());
  std::ofstream(full, std::ios::binary) << content;
  return full.string();
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, const std::string& cwd,
                         const std::string& input) {
  CommandResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.err = "pipe failed";
    return result;
  }
  // Build the environment before fork: only async-signal-safe calls after it.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  env_strings.reserve(merged.size());
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp = NullTerminated(env_strings);
  std::vector<std::string> args = argv;
  std::vector<char*> argp = NullTerminated(args);
  std::string path_var = merged.count("PATH") ? merged["PATH"] : "/usr/bin:/bin";

  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    environ = envp.data();
    execvp(argp[0], argp.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin from a thread so a child that writes a lot before reading cannot deadlock us.
  std::thread writer([fd = in_pipe[1], &input] {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
  });
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    throw std::runtime_error("bind to a loopback port failed: " + error);
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool PortAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

namespace {

// The socket of zygote `name` under ctest; "" when run by hand. ECSYNC_MOTO_ZYGOTE names the
// moto zygote's (tests/CMakeLists.txt), and the others listen beside it as <name>.sock.
std::string ZygoteSocket(const std::string& name) {
  const char* moto = std::getenv("ECSYNC_MOTO_ZYGOTE");
  if (moto == nullptr || *moto == '\0') return "";
  if (name == "moto") return moto;
  const std::string path = moto;
  return path.substr(0, path.rfind('/') + 1) + name + ".sock";
}

// A stream connected to the zygote listening on `socket_path` (tests/support/zygote.py) that
// has been sent `request`; -1 when none answers there.
int AskZygote(const std::string& socket_path, const std::string& request) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof(addr.sun_path)) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything the zygote's child sends until it closes the connection; closes `fd`.
std::string ReadAllAndClose(int fd) {
  std::string reply;
  char buffer[65536];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) reply.append(buffer, n);
  close(fd);
  return reply;
}

}  // namespace

std::optional<CommandResult> CfnLintInZygote(const std::string& path) {
  // The zygote answers "EXIT_CODE\n" and what cfn-lint printed.
  const std::string zygote = ZygoteSocket("cfn-lint");
  if (zygote.empty()) return std::nullopt;
  const int fd = AskZygote(zygote, path + "\n");
  if (fd < 0) return std::nullopt;
  const std::string reply = ReadAllAndClose(fd);
  const size_t newline = reply.find('\n');
  if (newline == std::string::npos || newline == 0) return std::nullopt;  // it died: run it here
  return CommandResult{std::atoi(reply.substr(0, newline).c_str()), reply.substr(newline + 1), ""};
}

std::optional<CommandResult> RunAwsInZygote(const std::vector<std::string>& args,
                                            const std::map<std::string, std::string>& env) {
  const std::string zygote = ZygoteSocket("aws-cli");
  if (zygote.empty()) return std::nullopt;
  // The whole environment, as the command would get it: this process's, `env` on top.
  nlohmann::json request = {{"argv", args}, {"env", nlohmann::json::object()}};
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) request["env"][entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : env) request["env"][key] = value;
  const int fd = AskZygote(
      zygote, request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (fd < 0) return std::nullopt;
  const std::string reply = ReadAllAndClose(fd);
  auto answer = nlohmann::json::parse(reply, nullptr, false);
  if (!answer.is_object() || !answer.contains("code")) return std::nullopt;  // the child died
  return CommandResult{answer["code"].get<int>(), answer.value("out", ""), answer.value("err", "")};
}

CommandResult RunAws(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env) {
  if (std::optional<CommandResult> r = RunAwsInZygote(args, env)) return std::move(*r);
  std::vector<std::string> argv = {"aws"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env);
}

bool MotoServer::StartFromZygote(const std::string& socket_path) {
  const int fd = AskZygote(socket_path, "\n");
  if (fd < 0) return false;
  std::string line;
  char c = 0;
  while (line.size() < 16 && read(fd, &c, 1) == 1 && c != '\n') line += c;
  const int port = line.empty() ? 0 : std::atoi(line.c_str());
  if (port <= 0) {
    close(fd);
    return false;
  }
  control_fd_ = fd;
  port_ = port;
  return true;
}

MotoServer::MotoServer(const std::map<std::string, std::string>& extra_env) {
  // Under ctest a zygote hands out servers (see tests/CMakeLists.txt); it cannot change a
  // server's environment, so servers that need one are started here as before.
  const std::string zygote = ZygoteSocket("moto");
  if (!zygote.empty() && extra_env.empty() && StartFromZygote(zygote)) {
    endpoint_ = "http://127.0.0.1:" + std::to_string(port_);
    return;
  }
  // A port can be taken between our probe and moto's bind; try a few.
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = FreeLoopbackPort();
    std::string port_str = std::to_string(port_);
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 1);
      dup2(devnull, 2);
      setpgid(0, 0);
      for (const auto& [name, value] : extra_env) setenv(name.c_str(), value.c_str(), 1);
      // moto_server plus the Cloud Map resource types it lacks (see moto_ecsync.py).
      std::string script = SourceDir() + "/tests/support/moto_ecsync.py";
      execlp("python3", "python3", script.c_str(), "-H", "127.0.0.1", "-p", port_str.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool up = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) break;  // died (port taken?)
      if (PortAccepts(port_)) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (up) {
      pid_ = pid;
    } else {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  if (pid_ < 0) throw std::runtime_error("moto_server did not start");
  endpoint_ = "http://127.0.0.1:" + std::to_string(port_);
}

MotoServer::~MotoServer() {
  if (control_fd_ >= 0) close(control_fd_);  // the zygote's child exits on EOF
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

void MotoServer::Reset() const {
  RunCommand({"curl", "-sf", "-X", "POST", endpoint_ + "/moto-api/reset"});
}

std::string MotoServer::Control(const std::string& path, const std::string& json_body) const {
  CommandResult r = RunCommand({"curl", "-sf", "-X", "POST", "-H", "Content-Type: application/json",
                                "--data-binary", json_body, endpoint_ + path});
  return r.exit_code == 0 ? r.out : "";
}

std::map<std::string, std::string> MotoServer::ClientEnv() const {
  return {{"AWS_ENDPOINT_URL", endpoint_},
          {"AWS_ACCESS_KEY_ID", "testing"},
          {"AWS_SECRET_ACCESS_KEY", "testing"},
          {"AWS_SESSION_TOKEN", ""},
          {"AWS_REGION", "us-east-1"},
          {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_PROFILE", ""},
          {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
          {"AWS_CONFIG_FILE", "/nonexistent/config"},
          {"AWS_PAGER", ""}};
}

std::string MotoServer::Aws(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = args;
  argv.push_back("--output");
  argv.push_back("json");
  auto env = ClientEnv();
  env.erase("AWS_SESSION_TOKEN");
  env.erase("AWS_PROFILE");
  CommandResult r = RunAws(argv, env);
  if (r.exit_code != 0) {
    std::cerr << "aws failed: " << r.err << "\n";
    return "";
  }
  return r.out;
}

namespace {

std::optional<nlohmann::json> DescribeStack(const MotoServer& moto, const std::string& stack) {
  std::string out = moto.Aws({"cloudformation", "describe-stacks", "--stack-name", stack});
  if (out.empty()) return std::nullopt;
  auto json = nlohmann::json::parse(out, nullptr, false);
  if (json.is_discarded() || json["Stacks"].empty()) return std::nullopt;
  return json["Stacks"][0];
}

}  // namespace

std::string MotoServer::StackStatus(const std::string& stack) const {
  auto s = DescribeStack(*this, stack);
  return s ? s->value("StackStatus", "") : "";
}

std::string MotoServer::StackTag(const std::string& stack, const std::string& key) const {
  auto s = DescribeStack(*this, stack);
  if (!s) return "";
  for (const auto& tag : (*s)["Tags"]) {
    if (tag.value("Key", "") == key) return tag.value("Value", "");
  }
  return "";
}

base::Status CfnLint(const std::string& template_text) {
  TempDir dir;
  bool json = !template_text.empty() &&
              template_text.find_first_not_of(" \n\t") != std::string::npos &&
              template_text[template_text.find_first_not_of(" \n\t")] == '{';
  std::string path = dir.WriteFile(json ? "template.json" : "template.yaml", template_text);
  // Only errors fail; warnings (W) and informational (I) findings are reported but allowed.
  // Under ctest a zygote runs it (tests/CMakeLists.txt): the same command line, without
  // paying cfn-lint's two CPU-seconds of start-up per template.
  std::optional<CommandResult> zygote = CfnLintInZygote(path);
  CommandResult r =
      zygote ? std::move(*zygote) : RunCommand({"cfn-lint", "--format", "parseable", "--", path});
  std::string errors;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    // parseable format: file:line:col:line:col:RULE:message
    auto rule_pos = line.find(":E");
    if (rule_pos != std::string::npos) errors += line + "\n";
  }
  if (r.exit_code == -1 || (r.exit_code != 0 && r.out.empty())) {
    return base::InternalError("cfn-lint did not run: " + r.err);
  }
  if (!errors.empty()) return base::InvalidError("cfn-lint errors:\n" + errors);
  return base::Status::Ok();
}

GitRepo::GitRepo(const std::string& branch) {
  Git({"init", "-q", "-b", branch});
  Git({"config", "user.email", "test@example.com"});
  Git({"config", "user.name", "ecsync test"});
  Git({"config", "commit.gpgsign", "false"});
}

void GitRepo::Write(const std::string& relative, const std::string& content) const {
  dir_.WriteFile(relative, content);
}

void GitRepo::Remove(const std::string& relative) const {
  fs::remove(fs::path(dir_.path()) / relative);
}

std::string GitRepo::Commit(const std::string& message) const {
  Git({"add", "-A"});
  Git({"commit", "-q", "--allow-empty", "-m", message});
  return Head();
}

std::string GitRepo::Head() const {
  std::string out = Git({"rev-parse", "HEAD"});
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string GitRepo::Git(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"git", "-C", dir_.path()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, {{"GIT_CONFIG_NOSYSTEM", "1"}, {"HOME", dir_.path()}});
  if (r.exit_code != 0) throw std::runtime_error("git failed: " + r.err);
  return r.out;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds pause(1);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

Process::Process(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env, const std::string& log_path)
    : log_path_(log_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string name = kv.substr(0, kv.find('='));
    if (!env.contains(name)) env_strings.push_back(kv);
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp = NullTerminated(env_strings);
  std::vector<std::string> args = argv;
  std::vector<char*> argp = NullTerminated(args);
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log, 1);
    dup2(log, 2);
    execvpe(argp[0], argp.data(), envp.data());
    _exit(127);
  }
  close(log);
  if (pid < 0) throw std::runtime_error("fork failed");
  pid_ = pid;
}

Process::~Process() {
  if (!exit_code_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Process::Signal(int signal) const {
  if (!exit_code_ && pid_ > 0) kill(pid_, signal);
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -2;
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Process::Log() const {
  std::ifstream in(log_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

GitDaemon::GitDaemon(const std::string& base_dir) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreeLoopbackPort();
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"git", "daemon", "--reuseaddr", "--export-all",
                                 "--base-path=" + base_dir, "--listen=127.0.0.1",
                                 "--port=" + std::to_string(port_), base_dir},
        std::map<std::string, std::string>{}, log_dir_.path() + "/daemon.log");
    if (WaitUntil(
            [&] { return PortAccepts(port_) || process_->Wait(std::chrono::milliseconds(0)); },
            std::chrono::seconds(20)) &&
        PortAccepts(port_)) {
      return;
    }
    process_.reset();
  }
  throw std::runtime_error("git daemon did not start");
}

std::string GitDaemon::Url(const std::string& relative) const {
  return "git://127.0.0.1:" + std::to_string(port_) + "/" + relative;
}

}  // namespace ecsync::testing
