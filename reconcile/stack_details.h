#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/result.h"

namespace ecsync::reconcile {

// What the status UI shows of one deployed stack: its resources and its latest events.
struct StackDetails {
  std::vector<aws::StackResource> resources;  // as CloudFormation lists them
  std::vector<aws::StackEvent> events;        // newest first, at most the number asked for
};

// Reads `stack`'s resources (DescribeStackResources) and its `max_events` newest events
// (DescribeStackEvents). Two read calls; changes nothing. kNotFound when the stack does not
// exist; the call's errors otherwise.
base::Result<StackDetails> DescribeStackDetails(aws::CloudFormation& cloudformation,
                                                const std::string& stack, size_t max_events);

}  // namespace ecsync::reconcile
