#include "reconcile/deployment_watcher.h"

#include <cmath>
#include <vector>

#include "base/strings.h"
#include "reconcile/stack_services.h"

namespace ecsync::reconcile {
namespace {

bool IsRollback(const std::string& status) { return status.rfind("ROLLBACK_", 0) == 0; }

std::string Percent(double value) {
  // One decimal at most, as ECS takes them (10, 2.5).
  const double tenths = std::round(value * 10);
  std::string text = std::to_string(static_cast<long long>(tenths / 10));
  const long long fraction = static_cast<long long>(tenths) % 10;
  if (fraction != 0) text += "." + std::to_string(fraction < 0 ? -fraction : fraction);
  return text + "%";
}

}  // namespace

std::string DescribeDeployment(const std::string& stack, const std::string& service,
                               const aws::EcsServiceDeployment& d) {
  const std::string who = "service " + service + ": ";
  const std::string strategy = d.strategy.empty() ? "" : d.strategy + " ";
  if (IsRollback(d.status)) {
    std::string why = !d.rollback_reason.empty() ? d.rollback_reason : d.status_reason;
    if (!d.triggered_alarm_names.empty()) {
      why = "alarm " + base::Join(d.triggered_alarm_names, ", ") + " fired" +
            (why.empty() ? "" : "; " + why);
    }
    return who + strategy + "deployment " +
           (d.status == "ROLLBACK_SUCCESSFUL" ? "rolled back" : "rolling back") +
           (why.empty() ? "" : ": " + why);
  }
  if (!d.paused_hook_id.empty()) {
    return who + strategy + "deployment waiting for approval at " + d.lifecycle_stage +
           "; run `ecsync approve " + stack + "` (or `--rollback`)";
  }
  if (d.strategy.empty() || d.strategy == "ROLLING") return "";
  std::string line = who + strategy + "deployment ";
  if (d.status == "SUCCESSFUL") return line + "completed";
  if (d.status != "IN_PROGRESS" && d.status != "PENDING") {
    return line + base::AsciiLower(d.status) +
           (d.status_reason.empty() ? "" : ": " + d.status_reason);
  }
  line += d.lifecycle_stage.empty() ? "pending" : "at " + d.lifecycle_stage;
  if (d.production_traffic_percent) {
    line += " (" + Percent(*d.production_traffic_percent) + " of production traffic)";
  }
  return line;
}

base::Status DeploymentWatcher::Check(const std::string& stack) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackResource> services, StackServices(cfn_, stack));
  // The newest deployment of each service (the one this stack operation started), by ARN,
  // with the logical ID that names the service as the stack events do (CloudFormation makes
  // up the ECS service's own name). Those already seen to have nothing to report are skipped.
  std::map<std::string, std::string> watched;
  for (const aws::StackResource& resource : services) {
    auto [cluster, service] = ClusterAndService(resource.physical_id);
    auto briefs = ecs_.ListServiceDeployments(cluster, service);
    if (!briefs.ok()) {
      if (briefs.status().kind() == base::ErrorKind::kNotFound) continue;
      return briefs.status();
    }
    if (briefs->empty() || quiet_.contains(briefs->front().arn + " " + briefs->front().status)) {
      continue;
    }
    watched[briefs->front().arn] = resource.logical_id;
  }
  if (watched.empty()) return base::Status::Ok();
  std::vector<std::string> arns;
  arns.reserve(watched.size());
  for (const auto& [arn, name] : watched) arns.push_back(arn);
  // One request for every service (the client sends them 20 at a time).
  ECSYNC_ASSIGN_OR_RETURN(aws::EcsServiceDeployments described,
                          ecs_.DescribeServiceDeployments(arns));
  for (const aws::EcsServiceDeployment& deployment : described.deployments) {
    auto it = watched.find(deployment.arn);
    if (it == watched.end()) continue;
    const std::string& name = it->second;
    const std::string line = DescribeDeployment(stack, name, deployment);
    if (line.empty()) {
      // A rolling deployment with nothing unusual: not described again while its status
      // stays (a rollback changes it).
      quiet_.insert(deployment.arn + " " + deployment.status);
      continue;
    }
    if (last_[name] == line) continue;
    last_[name] = line;
    Say(sink_, stack, line);
  }
  return base::Status::Ok();
}

}  // namespace ecsync::reconcile
