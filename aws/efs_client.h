#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/efs.h"

namespace ecsync::aws {

// EFS reads over the AWS API (REST-JSON, GET /2015-02-01/file-systems and
// /2015-02-01/mount-targets). Thread-safe.
class EfsClient final : public Efs {
 public:
  // `page_size`: MaxItems per request; 0 leaves it to the service (100 file
  // systems, 10 mount targets).
  explicit EfsClient(std::shared_ptr<AwsClient> client, int page_size = 0);

  base::Result<std::vector<FileSystem>> DescribeFileSystems(
      const std::optional<std::string>& id) override;
  base::Result<std::vector<MountTarget>> DescribeMountTargets(
      const std::string& file_system_id) override;

 private:
  std::shared_ptr<AwsClient> client_;
  int page_size_;
};

}  // namespace ecsync::aws
