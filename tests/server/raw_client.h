#pragma once

// A deliberately primitive HTTP client over a blocking TCP socket, for tests that must
// misbehave: send headers slowly, send too many, stay idle, or stop before the body. It can
// connect from any loopback address (127.0.0.2, ...) so one test plays several clients.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

namespace ecsync::testing {

class RawClient {
 public:
  // nullptr when the connection fails.
  static std::unique_ptr<RawClient> Connect(int port, const std::string& source = "127.0.0.1") {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
      close(fd);
      return nullptr;
    }
    return std::unique_ptr<RawClient>(new RawClient(fd));
  }

  ~RawClient() { close(fd_); }

  // Sends everything; false when the connection broke (the server closed it).
  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (head and Content-Length body) or until the server closes, for at
  // most `timeout`. Returns what arrived; "" when nothing did.
  std::string ReadResponse(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t head_end = received_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        size_t at = received_.find("Content-Length: ");
        if (at != std::string::npos && at < head_end)
          length = std::stoul(received_.substr(at + 16));
        if (received_.size() >= head_end + 4 + length) {
          std::string response = received_.substr(0, head_end + 4 + length);
          received_.erase(0, head_end + 4 + length);
          return response;
        }
      }
      if (!ReadSome(deadline)) {
        std::string partial = received_;
        received_.clear();
        return partial;
      }
    }
  }

  // Reads until what arrived holds `needle` (or the server closes, or `timeout` passes);
  // true when it does. What arrived stays for the next read, up to and including `needle`
  // dropped.
  bool ReadUntil(std::string_view needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (size_t at = received_.find(needle); at != std::string::npos) {
        received_.erase(0, at + needle.size());
        return true;
      }
      if (!ReadSome(deadline)) return false;
    }
  }

  // True when the server closes the connection within `timeout` (what it sent is kept for
  // ReadResponse).
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ReadSome(deadline)) {
    }
    return closed_;
  }

  bool closed() const { return closed_; }
  int fd() const { return fd_; }

 private:
  explicit RawClient(int fd) : fd_(fd) {}

  // Waits for bytes until `deadline`; false on timeout or close.
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    if (closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[16384];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string received_;
  bool closed_ = false;
};

// The status code of a response's status line; 0 when there is none.
inline int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

// The body after the head; "" when there is none.
inline std::string BodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// This process's resident set size in KiB, from /proc.
inline long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace ecsync::testing
