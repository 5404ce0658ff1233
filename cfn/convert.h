#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::cfn {

struct ConvertOptions {
  // When empty, the template declares Parameters VpcId (AWS::EC2::VPC::Id) and
  // SubnetIds (List<AWS::EC2::Subnet::Id>) and refers to them instead.
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
};

// Converts a compose project into a CloudFormation template that runs it on ECS Fargate,
// with Docker's ECS integration's logical IDs and properties. Deterministic: the same
// input gives byte-identical output. kInvalid (naming service and key) for what ECS
// cannot run.
base::Result<nlohmann::ordered_json> Convert(const compose::Project& project,
                                             const ConvertOptions& options);

// Serializations. JSON is indented by 2 spaces with a trailing newline.
std::string ToJson(const nlohmann::ordered_json& tmpl);
std::string ToYaml(const nlohmann::ordered_json& tmpl);

}  // namespace ecsync::cfn
