#pragma once

// A git::GitSource that passes every call to another one: the base of the tests' sources
// that add something to a real source (a gate, a trigger, a count) for a few calls.

#include <optional>
#include <string>
#include <vector>

#include "git/source.h"

namespace ecsync::testing {

class PassthroughGit : public git::GitSource {
 public:
  explicit PassthroughGit(git::GitSource& real) : real_(real) {}

  base::Result<std::string> Fetch(const std::string& url, const std::string& ref) override {
    return real_.Fetch(url, ref);
  }
  base::Result<std::string> RemoteHead(const std::string& url, const std::string& ref) override {
    return real_.RemoteHead(url, ref);
  }
  base::Result<std::optional<std::string>> ReadFile(const std::string& url,
                                                    const std::string& commit,
                                                    const std::string& path) override {
    return real_.ReadFile(url, commit, path);
  }
  base::Result<std::vector<std::string>> ListFiles(const std::string& url,
                                                   const std::string& commit,
                                                   const std::string& dir) override {
    return real_.ListFiles(url, commit, dir);
  }
  base::Result<std::vector<std::string>> ChangedPaths(const std::string& url,
                                                      const std::string& from,
                                                      const std::string& to) override {
    return real_.ChangedPaths(url, from, to);
  }

 private:
  git::GitSource& real_;
};

}  // namespace ecsync::testing
