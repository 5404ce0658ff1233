#pragma once

// The ECS services a stack holds, for what watches them while CloudFormation waits
// (crash_detector, deployment_watcher).

#include <string>
#include <utility>
#include <vector>

#include "aws/cloudformation.h"
#include "base/result.h"

namespace ecsync::reconcile {

// "arn:aws:ecs:<region>:<account>:service/<cluster>/<service>" -> {cluster, service}.
// Old-style ARNs without the cluster give an empty cluster (the default one).
std::pair<std::string, std::string> ClusterAndService(const std::string& arn);

// The AWS::ECS::Service resources of `stack` and of its nested stacks (two levels deep), with
// their physical IDs (the service ARNs). Services not created yet, and nested stacks not
// created yet or gone, are skipped.
base::Result<std::vector<aws::StackResource>> StackServices(aws::CloudFormation& cfn,
                                                            const std::string& stack);

}  // namespace ecsync::reconcile
