#include "reconcile/stack_details.h"

#include <algorithm>
#include <utility>

namespace ecsync::reconcile {

base::Result<StackDetails> DescribeStackDetails(aws::CloudFormation& cloudformation,
                                                const std::string& stack, size_t max_events) {
  StackDetails details;
  ECSYNC_ASSIGN_OR_RETURN(details.resources, cloudformation.DescribeStackResources(stack));
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackEvent> events,
                          cloudformation.DescribeStackEvents(stack));
  // CloudFormation answers newest first; the stack-file target may not, so sort anyway
  // (stable: events of the same second keep their order).
  std::stable_sort(
      events.begin(), events.end(),
      [](const aws::StackEvent& a, const aws::StackEvent& b) { return a.timestamp > b.timestamp; });
  if (events.size() > max_events) events.resize(max_events);
  details.events = std::move(events);
  return details;
}

}  // namespace ecsync::reconcile
