#include "reconcile/crash_detector.h"

#include "reconcile/stack_services.h"

#include <utility>
#include <vector>

namespace ecsync::reconcile {

namespace {

std::string StopReason(const aws::EcsTask& task) {
  std::string reason = task.stopped_reason;
  for (const auto& c : task.containers) {
    if (!c.reason.empty()) return reason + " (" + c.name + ": " + c.reason + ")";
    if (c.exit_code && *c.exit_code != 0) {
      return reason + " (" + c.name + " exited with code " + std::to_string(*c.exit_code) + ")";
    }
  }
  return reason;
}

}  // namespace

base::Result<std::optional<std::string>> CrashDetector::Check(const std::string& stack) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackResource> resources, StackServices(cfn_, stack));
  for (const aws::StackResource& resource : resources) {
    auto [cluster, service] = ClusterAndService(resource.physical_id);
    auto described = ecs_.DescribeServices(cluster, {service});
    if (!described.ok()) {
      if (described.status().kind() == base::ErrorKind::kNotFound) continue;
      return described.status();
    }
    if (described->services.empty()) continue;
    const aws::EcsService& svc = described->services.front();
    // The deployment being rolled out is PRIMARY; older task definitions' stops are history.
    std::string task_definition = svc.task_definition;
    for (const auto& d : svc.deployments) {
      if (d.status == "PRIMARY") task_definition = d.task_definition;
    }
    ECSYNC_ASSIGN_OR_RETURN(std::vector<std::string> stopped,
                            ecs_.ListTasks(cluster, service, "STOPPED"));
    if (static_cast<int>(stopped.size()) < threshold_) continue;
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::EcsTask> tasks, ecs_.DescribeTasks(cluster, stopped));
    int crashed = 0;
    const aws::EcsTask* last = nullptr;
    for (const aws::EcsTask& task : tasks) {
      if (task.task_definition_arn != task_definition || task.stop_code == "UserInitiated")
        continue;
      ++crashed;
      last = &task;
    }
    if (crashed >= threshold_ && last != nullptr) {
      return std::optional<std::string>(
          "ECS service " + svc.name + " (" + resource.logical_id + "): " + std::to_string(crashed) +
          " tasks of the new revision stopped; last: " + StopReason(*last));
    }
  }
  return std::optional<std::string>();
}

}  // namespace ecsync::reconcile
