#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "base/result.h"

namespace ecsync::aws {

// An EFS file system as ecsync reads it. Field values are AWS's own strings.
struct FileSystem {
  std::string id;                // fs-...
  std::string name;              // the Name tag; empty when untagged
  std::string life_cycle_state;  // creating | available | updating | deleting | deleted | error
  bool encrypted = false;
  std::string performance_mode;             // generalPurpose | maxIO
  std::string throughput_mode;              // bursting | provisioned | elastic
  std::map<std::string, std::string> tags;  // every tag, Name included
};

// One mount target of a file system (an NFS endpoint in one subnet).
struct MountTarget {
  std::string id;              // fsmt-...
  std::string file_system_id;  // fs-...
  std::string subnet_id;
  std::string life_cycle_state;  // creating | available | updating | deleting | deleted | error
};

// Reads of EFS over the AWS API (REST-JSON, GET /2015-02-01/file-systems and
// /2015-02-01/mount-targets). Thread-safe.
class Efs {
 public:
  // `page_size`: MaxItems per request; 0 leaves it to the service (100 file systems, 10
  // mount targets).
  explicit Efs(std::shared_ptr<AwsClient> client, int page_size = 0);

  // Every page of DescribeFileSystems: the one file system `id`, or all of them when unset.
  // kNotFound when `id` does not exist (FileSystemNotFound).
  base::Result<std::vector<FileSystem>> DescribeFileSystems(const std::optional<std::string>& id);
  // Every page of DescribeMountTargets for the file system `file_system_id`, in AWS's order.
  // kNotFound when the file system does not exist (FileSystemNotFound).
  base::Result<std::vector<MountTarget>> DescribeMountTargets(const std::string& file_system_id);

 private:
  std::shared_ptr<AwsClient> client_;
  int page_size_;
};

}  // namespace ecsync::aws
