#pragma once

#include <string>

#include "compose/loader.h"
#include "git/source.h"

namespace ecsync::reconcile {

// Lets the compose loader read files from one commit of a repository, without a checkout.
// Paths are relative to the repository root; "./a/../b" style segments are normalized, and a
// path that would leave the repository (absolute, or climbing above the root) is refused
// with kInvalid, so a compose file can never read outside its repository.
class GitFileReader final : public compose::FileReader {
 public:
  GitFileReader(git::GitSource& source, std::string url, std::string commit)
      : source_(source), url_(std::move(url)), commit_(std::move(commit)) {}

  base::Result<std::string> Read(const std::string& path) override;

 private:
  git::GitSource& source_;
  std::string url_;
  std::string commit_;
};

}  // namespace ecsync::reconcile
