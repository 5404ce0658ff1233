#include "aws/ecs_client.h"

#include <algorithm>
#include <functional>
#include <span>
#include <utility>

#include "aws/json_protocol.h"
#include "aws/paging.h"
#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

constexpr size_t kServicesPerCall = 10;
constexpr size_t kTasksPerCall = 100;
constexpr size_t kClustersPerCall = 100;
constexpr size_t kDeploymentsPerCall = 20;  // DescribeServiceDeployments' limit

// ECS timestamps are epoch seconds (fractional) in JSON.
std::chrono::system_clock::time_point Time(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_number()) return FromEpochSeconds(it->get<double>());
  if (it->is_string()) {
    if (auto t = ParseIso8601(it->get<std::string>())) return *t;
  }
  return {};
}

// Calls `operation` once per batch of at most `batch_size` of `items` (no call when there
// are none), each batch sent as the array field `field` of `input`, and hands each output
// to `on_output`: for the calls that take a bounded list of names.
base::Status CallInBatches(AwsClient& client, const std::string& operation, Json input,
                           const char* field, const std::vector<std::string>& items,
                           size_t batch_size, const std::function<void(const Json&)>& on_output) {
  for (size_t i = 0; i < items.size(); i += batch_size) {
    std::span<const std::string> batch =
        std::span(items).subspan(i, std::min(batch_size, items.size() - i));
    input[field] = std::vector<std::string>(batch.begin(), batch.end());
    ECSYNC_ASSIGN_OR_RETURN(Json output, client.CallJson(kEcsService, operation, input));
    on_output(output);
  }
  return base::Status::Ok();
}

EcsFailure ParseFailure(const Json& f) {
  return {JsonString(f, "arn"), JsonString(f, "reason"), JsonString(f, "detail")};
}

EcsService ParseService(const Json& s) {
  EcsService service;
  service.arn = JsonString(s, "serviceArn");
  service.name = JsonString(s, "serviceName");
  service.cluster_arn = JsonString(s, "clusterArn");
  service.status = JsonString(s, "status");
  service.task_definition = JsonString(s, "taskDefinition");
  service.launch_type = JsonString(s, "launchType");
  service.desired_count = JsonInt(s, "desiredCount");
  service.running_count = JsonInt(s, "runningCount");
  service.pending_count = JsonInt(s, "pendingCount");
  for (const Json& d : JsonArray(s, "deployments")) {
    EcsDeployment deployment;
    deployment.id = JsonString(d, "id");
    deployment.status = JsonString(d, "status");
    deployment.task_definition = JsonString(d, "taskDefinition");
    deployment.desired_count = JsonInt(d, "desiredCount");
    deployment.running_count = JsonInt(d, "runningCount");
    deployment.pending_count = JsonInt(d, "pendingCount");
    deployment.failed_tasks = JsonInt(d, "failedTasks");
    deployment.rollout_state = JsonString(d, "rolloutState");
    deployment.rollout_state_reason = JsonString(d, "rolloutStateReason");
    deployment.created_at = Time(d, "createdAt");
    deployment.updated_at = Time(d, "updatedAt");
    service.deployments.push_back(std::move(deployment));
  }
  for (const Json& e : JsonArray(s, "events")) {
    service.events.push_back({JsonString(e, "id"), Time(e, "createdAt"), JsonString(e, "message")});
  }
  return service;
}

EcsTask ParseTask(const Json& t) {
  EcsTask task;
  task.arn = JsonString(t, "taskArn");
  task.task_definition_arn = JsonString(t, "taskDefinitionArn");
  task.group = JsonString(t, "group");
  task.last_status = JsonString(t, "lastStatus");
  task.desired_status = JsonString(t, "desiredStatus");
  task.stop_code = JsonString(t, "stopCode");
  task.stopped_reason = JsonString(t, "stoppedReason");
  task.health_status = JsonString(t, "healthStatus");
  for (const Json& c : JsonArray(t, "containers")) {
    EcsContainer container;
    container.name = JsonString(c, "name");
    container.last_status = JsonString(c, "lastStatus");
    auto exit_code = c.find("exitCode");
    if (exit_code != c.end() && exit_code->is_number_integer()) {
      container.exit_code = exit_code->get<int>();
    }
    container.reason = JsonString(c, "reason");
    container.health_status = JsonString(c, "healthStatus");
    task.containers.push_back(std::move(container));
  }
  return task;
}

std::vector<std::string> Strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  for (const Json& item : JsonArray(j, key)) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

const Json& Object(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = j.is_object() ? j.find(key) : j.end();
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

// The string fields of a ServiceDeployment read as they are.
constexpr std::pair<std::string EcsServiceDeployment::*, const char*> kDeploymentStrings[] = {
    {&EcsServiceDeployment::arn, "serviceDeploymentArn"},
    {&EcsServiceDeployment::service_arn, "serviceArn"},
    {&EcsServiceDeployment::cluster_arn, "clusterArn"},
    {&EcsServiceDeployment::status, "status"},
    {&EcsServiceDeployment::status_reason, "statusReason"},
    {&EcsServiceDeployment::lifecycle_stage, "lifecycleStage"},
};

EcsServiceDeployment ParseDeployment(const Json& d) {
  EcsServiceDeployment out;
  for (const auto& [field, key] : kDeploymentStrings) out.*field = JsonString(d, key);
  out.strategy = JsonString(Object(d, "deploymentConfiguration"), "strategy");
  const Json& target = Object(d, "targetServiceRevision");
  out.target_service_revision_arn = JsonString(target, "arn");
  auto weight = target.find("requestedProductionTrafficWeight");
  if (weight != target.end() && weight->is_number()) {
    out.production_traffic_percent = weight->get<double>();
  }
  const Json& alarms = Object(d, "alarms");
  out.alarms_status = JsonString(alarms, "status");
  out.alarm_names = Strings(alarms, "alarmNames");
  out.triggered_alarm_names = Strings(alarms, "triggeredAlarmNames");
  out.rollback_reason = JsonString(Object(d, "rollback"), "reason");
  for (const Json& hook : JsonArray(d, "lifecycleHookDetails")) {
    if (JsonString(hook, "status") != "AWAITING_ACTION") continue;
    out.paused_hook_id = JsonString(hook, "hookId");
    out.paused_hook_target_type = JsonString(hook, "targetType");
    break;
  }
  out.created_at = Time(d, "createdAt");
  out.updated_at = Time(d, "updatedAt");
  out.finished_at = Time(d, "finishedAt");
  return out;
}

base::Status Unsupported(const char* call) {
  return base::InternalError(std::string("this Ecs does not implement ") + call);
}

}  // namespace

// The service-deployment calls default to an error, so that a fake of the reads needs no more.

base::Result<std::vector<EcsServiceDeploymentBrief>> Ecs::ListServiceDeployments(
    const std::string&, const std::string&) {
  return Unsupported("ListServiceDeployments");
}

base::Result<EcsServiceDeployments> Ecs::DescribeServiceDeployments(
    const std::vector<std::string>&) {
  return Unsupported("DescribeServiceDeployments");
}

base::Status Ecs::ContinueServiceDeployment(const std::string&, const std::string&, bool) {
  return Unsupported("ContinueServiceDeployment");
}

base::Status Ecs::StopServiceDeployment(const std::string&, bool) {
  return Unsupported("StopServiceDeployment");
}

EcsClient::EcsClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<std::vector<EcsCluster>> EcsClient::DescribeClusters(
    const std::vector<std::string>& clusters) {
  std::vector<EcsCluster> out;
  ECSYNC_RETURN_IF_ERROR(CallInBatches(
      *client_, "DescribeClusters", Json::object(), "clusters", clusters, kClustersPerCall,
      [&](const Json& output) {
        for (const Json& c : JsonArray(output, "clusters")) {
          out.push_back({JsonString(c, "clusterArn"), JsonString(c, "clusterName"),
                         JsonString(c, "status"), JsonInt(c, "runningTasksCount"),
                         JsonInt(c, "pendingTasksCount"), JsonInt(c, "activeServicesCount")});
        }
      }));
  return out;
}

base::Result<EcsServices> EcsClient::DescribeServices(const std::string& cluster,
                                                      const std::vector<std::string>& services) {
  EcsServices out;
  ECSYNC_RETURN_IF_ERROR(CallInBatches(*client_, "DescribeServices", Json{{"cluster", cluster}},
                                       "services", services, kServicesPerCall,
                                       [&](const Json& output) {
                                         for (const Json& s : JsonArray(output, "services"))
                                           out.services.push_back(ParseService(s));
                                         for (const Json& f : JsonArray(output, "failures"))
                                           out.failures.push_back(ParseFailure(f));
                                       }));
  return out;
}

base::Result<std::vector<std::string>> EcsClient::ListTasks(const std::string& cluster,
                                                            const std::string& service,
                                                            const std::string& desired_status) {
  Json input{{"cluster", cluster}};
  if (!service.empty()) input["serviceName"] = service;
  if (!desired_status.empty()) input["desiredStatus"] = desired_status;
  auto fetch = [&](const std::string& token) {
    Json paged = input;
    if (!token.empty()) paged[kJsonNextToken.request] = token;
    return client_->CallJson(kEcsService, "ListTasks", paged);
  };
  std::vector<std::string> arns;
  ECSYNC_RETURN_IF_ERROR(ForEachJsonPage(fetch, kJsonNextToken, [&](const Json& page) {
    for (const Json& arn : JsonArray(page, "taskArns")) {
      if (arn.is_string()) arns.push_back(arn.get<std::string>());
    }
  }));
  return arns;
}

base::Result<std::vector<EcsTask>> EcsClient::DescribeTasks(const std::string& cluster,
                                                            const std::vector<std::string>& tasks) {
  std::vector<EcsTask> out;
  ECSYNC_RETURN_IF_ERROR(CallInBatches(*client_, "DescribeTasks", Json{{"cluster", cluster}},
                                       "tasks", tasks, kTasksPerCall, [&](const Json& output) {
                                         for (const Json& t : JsonArray(output, "tasks"))
                                           out.push_back(ParseTask(t));
                                       }));
  return out;
}

base::Result<std::vector<EcsServiceDeploymentBrief>> EcsClient::ListServiceDeployments(
    const std::string& cluster, const std::string& service) {
  Json input{{"service", service}};
  if (!cluster.empty()) input["cluster"] = cluster;
  auto fetch = [&](const std::string& token) {
    Json paged = input;
    if (!token.empty()) paged[kJsonNextToken.request] = token;
    return client_->CallJson(kEcsService, "ListServiceDeployments", paged);
  };
  std::vector<EcsServiceDeploymentBrief> out;
  ECSYNC_RETURN_IF_ERROR(ForEachJsonPage(fetch, kJsonNextToken, [&](const Json& page) {
    for (const Json& b : JsonArray(page, "serviceDeployments")) {
      out.push_back({JsonString(b, "serviceDeploymentArn"), JsonString(b, "serviceArn"),
                     JsonString(b, "status"), JsonString(b, "statusReason"),
                     JsonString(b, "targetServiceRevisionArn"), Time(b, "createdAt"),
                     Time(b, "finishedAt")});
    }
  }));
  return out;
}

base::Result<EcsServiceDeployments> EcsClient::DescribeServiceDeployments(
    const std::vector<std::string>& arns) {
  EcsServiceDeployments out;
  ECSYNC_RETURN_IF_ERROR(
      CallInBatches(*client_, "DescribeServiceDeployments", Json::object(), "serviceDeploymentArns",
                    arns, kDeploymentsPerCall, [&](const Json& output) {
                      for (const Json& d : JsonArray(output, "serviceDeployments"))
                        out.deployments.push_back(ParseDeployment(d));
                      for (const Json& f : JsonArray(output, "failures"))
                        out.failures.push_back(ParseFailure(f));
                    }));
  return out;
}

base::Status EcsClient::ContinueServiceDeployment(const std::string& arn,
                                                  const std::string& hook_id, bool rollback) {
  Json input{{"serviceDeploymentArn", arn},
             {"hookId", hook_id},
             {"action", rollback ? "ROLLBACK" : "CONTINUE"}};
  return client_->CallJson(kEcsService, "ContinueServiceDeployment", input).status();
}

base::Status EcsClient::StopServiceDeployment(const std::string& arn, bool rollback) {
  Json input{{"serviceDeploymentArn", arn}, {"stopType", rollback ? "ROLLBACK" : "ABORT"}};
  return client_->CallJson(kEcsService, "StopServiceDeployment", input).status();
}

}  // namespace ecsync::aws
