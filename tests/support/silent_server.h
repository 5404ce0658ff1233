#pragma once

// A git host (or any TCP server) that accepts connections and never answers, for tests of
// what a hung remote does to a caller.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ecsync::testing {

// A git host that accepts connections and never answers: what a hung server looks like
// to libgit2, which has no timeout of its own here. Closing it ends the stuck requests.
class SilentServer {
 public:
  SilentServer() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    EXPECT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;  // shut down
        std::lock_guard<std::mutex> lock(mu_);
        accepted_.push_back(fd);
      }
    });
  }
  ~SilentServer() { Close(); }

  void Close() {
    if (listener_ < 0) return;
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    close(listener_);
    listener_ = -1;
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : accepted_) {
      shutdown(fd, SHUT_RDWR);
      close(fd);
    }
    accepted_.clear();
  }

  int connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(accepted_.size());
  }
  std::string url() const { return "git://127.0.0.1:" + std::to_string(port_) + "/hung.git"; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> accepted_;
};

}  // namespace ecsync::testing
