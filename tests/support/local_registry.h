#pragma once

// A real container registry for tests: the Docker distribution registry (`docker-registry`,
// the Registry HTTP API v2) on a free loopback port, storing into a temporary folder.

#include <memory>
#include <string>

#include "tests/support/support.h"

namespace ecsync::testing {

// Credentials a registry started with basic_auth requires.
inline constexpr const char* kRegistryUser = "ci";
inline constexpr const char* kRegistryPassword = "push-secret";

class LocalRegistry {
 public:
  // With `basic_auth`, every request needs kRegistryUser/kRegistryPassword.
  explicit LocalRegistry(bool basic_auth);

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  // Pushes a one-layer image as `repository`:`tag` the way a client does (blobs first, then
  // the manifest); sets `digest` to the one the registry answered for the manifest. Fails
  // the test (ASSERT) on any unexpected answer.
  void Push(const std::string& repository, const std::string& tag, const std::string& media_type,
            const std::string& layer_bytes, std::string* digest);

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ecsync::testing
