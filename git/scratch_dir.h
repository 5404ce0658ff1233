#pragma once

// Internal to git/: a private temporary folder for the signature checkers (a GnuPG home,
// files handed to ssh-keygen), removed with everything in it on destruction.

#include <memory>
#include <string>

#include "base/result.h"

namespace ecsync::git::internal {

class ScratchDir {
 public:
  // A fresh folder (mode 0700) named "<prefix>XXXXXX" in the system's temporary folder.
  // kTransient when it cannot be made.
  static base::Result<std::unique_ptr<ScratchDir>> Create(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/`name` (mode 0600); returns the file's full path.
  base::Result<std::string> Write(const std::string& name, const std::string& content) const;

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace ecsync::git::internal
