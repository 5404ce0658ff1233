#pragma once

#include <map>
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
  std::map<std::string, std::string> tags;  // every tag, Name included
};

// One mount target of a file system (an NFS endpoint in one subnet).
struct MountTarget {
  std::string id;                // fsmt-...
  std::string file_system_id;    // fs-...
  std::string subnet_id;
  std::string life_cycle_state;  // creating | available | updating | deleting | deleted | error
};

// Reads of EFS. Implemented over the AWS API by EfsClient. Thread-safe.
class Efs {
 public:
  virtual ~Efs() = default;
  // Every page of DescribeFileSystems: the one file system `id`, or all of them when unset.
  // kNotFound when `id` does not exist (FileSystemNotFound).
  virtual base::Result<std::vector<FileSystem>> DescribeFileSystems(
      const std::optional<std::string>& id) = 0;
  // Every page of DescribeMountTargets for the file system `file_system_id`, in AWS's order.
  // kNotFound when the file system does not exist (FileSystemNotFound).
  virtual base::Result<std::vector<MountTarget>> DescribeMountTargets(
      const std::string& file_system_id) = 0;
};

}  // namespace ecsync::aws
