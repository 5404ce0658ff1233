#pragma once

#include <map>
#include <string>

#include "compose/loader.h"

namespace ecsync::compose {

using Files = std::map<std::string, std::string>;

// Test-only. Files held in memory, keyed by the path the loader asks for; kNotFound for any
// other path.
class MemoryFileReader final : public FileReader {
 public:
  explicit MemoryFileReader(Files files) : files_(std::move(files)) {}
  base::Result<std::string> Read(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return base::NotFoundError(path + ": no such file");
    return it->second;
  }

 private:
  Files files_;
};

}  // namespace ecsync::compose
