#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::aws {

// An EFS file system as ecsync reads it. Field values are AWS's own strings.
struct FileSystem {
  std::string id;                // fs-...
  std::string name;              // the Name tag; empty when untagged
  std::string life_cycle_state;  // creating | available | updating | deleting | deleted | error
  bool encrypted = false;
  std::string performance_mode;  // generalPurpose | maxIO
  std::string throughput_mode;   // bursting | provisioned | elastic
};

class Efs {
 public:
  virtual ~Efs() = default;
  // Every page of DescribeFileSystems: the one file system `id`, or all of them when unset.
  // kNotFound when `id` does not exist (FileSystemNotFound).
  virtual base::Result<std::vector<FileSystem>> DescribeFileSystems(
      const std::optional<std::string>& id) = 0;
};

}  // namespace ecsync::aws
