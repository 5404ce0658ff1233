#include "aws/ecs_client.h"

#include <algorithm>

#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

constexpr size_t kServicesPerCall = 10;
constexpr size_t kTasksPerCall = 100;
constexpr size_t kClustersPerCall = 100;

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int Int(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

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

const Json& Array(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

EcsService ParseService(const Json& s) {
  EcsService service;
  service.arn = Str(s, "serviceArn");
  service.name = Str(s, "serviceName");
  service.cluster_arn = Str(s, "clusterArn");
  service.status = Str(s, "status");
  service.task_definition = Str(s, "taskDefinition");
  service.launch_type = Str(s, "launchType");
  service.desired_count = Int(s, "desiredCount");
  service.running_count = Int(s, "runningCount");
  service.pending_count = Int(s, "pendingCount");
  for (const Json& d : Array(s, "deployments")) {
    EcsDeployment deployment;
    deployment.id = Str(d, "id");
    deployment.status = Str(d, "status");
    deployment.task_definition = Str(d, "taskDefinition");
    deployment.desired_count = Int(d, "desiredCount");
    deployment.running_count = Int(d, "runningCount");
    deployment.pending_count = Int(d, "pendingCount");
    deployment.failed_tasks = Int(d, "failedTasks");
    deployment.rollout_state = Str(d, "rolloutState");
    deployment.rollout_state_reason = Str(d, "rolloutStateReason");
    deployment.created_at = Time(d, "createdAt");
    deployment.updated_at = Time(d, "updatedAt");
    service.deployments.push_back(std::move(deployment));
  }
  for (const Json& e : Array(s, "events")) {
    service.events.push_back({Str(e, "id"), Time(e, "createdAt"), Str(e, "message")});
  }
  return service;
}

EcsTask ParseTask(const Json& t) {
  EcsTask task;
  task.arn = Str(t, "taskArn");
  task.task_definition_arn = Str(t, "taskDefinitionArn");
  task.group = Str(t, "group");
  task.last_status = Str(t, "lastStatus");
  task.desired_status = Str(t, "desiredStatus");
  task.stop_code = Str(t, "stopCode");
  task.stopped_reason = Str(t, "stoppedReason");
  task.health_status = Str(t, "healthStatus");
  for (const Json& c : Array(t, "containers")) {
    EcsContainer container;
    container.name = Str(c, "name");
    container.last_status = Str(c, "lastStatus");
    auto exit_code = c.find("exitCode");
    if (exit_code != c.end() && exit_code->is_number_integer()) {
      container.exit_code = exit_code->get<int>();
    }
    container.reason = Str(c, "reason");
    container.health_status = Str(c, "healthStatus");
    task.containers.push_back(std::move(container));
  }
  return task;
}

}  // namespace

EcsClient::EcsClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<std::vector<EcsCluster>> EcsClient::DescribeClusters(
    const std::vector<std::string>& clusters) {
  std::vector<EcsCluster> out;
  for (size_t i = 0; i < clusters.size(); i += kClustersPerCall) {
    size_t end = std::min(clusters.size(), i + kClustersPerCall);
    Json input{{"clusters", std::vector<std::string>(clusters.begin() + i, clusters.begin() + end)}};
    ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kEcsService, "DescribeClusters", input));
    for (const Json& c : Array(output, "clusters")) {
      out.push_back({Str(c, "clusterArn"), Str(c, "clusterName"), Str(c, "status"),
                     Int(c, "runningTasksCount"), Int(c, "pendingTasksCount"),
                     Int(c, "activeServicesCount")});
    }
  }
  return out;
}

base::Result<EcsServices> EcsClient::DescribeServices(const std::string& cluster,
                                                      const std::vector<std::string>& services) {
  EcsServices out;
  for (size_t i = 0; i < services.size(); i += kServicesPerCall) {
    size_t end = std::min(services.size(), i + kServicesPerCall);
    Json input{{"cluster", cluster},
               {"services", std::vector<std::string>(services.begin() + i, services.begin() + end)}};
    ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kEcsService, "DescribeServices", input));
    for (const Json& s : Array(output, "services")) out.services.push_back(ParseService(s));
    for (const Json& f : Array(output, "failures")) {
      out.failures.push_back({Str(f, "arn"), Str(f, "reason"), Str(f, "detail")});
    }
  }
  return out;
}

base::Result<std::vector<std::string>> EcsClient::ListTasks(const std::string& cluster,
                                                            const std::string& service,
                                                            const std::string& desired_status) {
  std::vector<std::string> arns;
  std::string next_token;
  do {
    Json input{{"cluster", cluster}};
    if (!service.empty()) input["serviceName"] = service;
    if (!desired_status.empty()) input["desiredStatus"] = desired_status;
    if (!next_token.empty()) input["nextToken"] = next_token;
    ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kEcsService, "ListTasks", input));
    for (const Json& arn : Array(output, "taskArns")) {
      if (arn.is_string()) arns.push_back(arn.get<std::string>());
    }
    next_token = Str(output, "nextToken");
  } while (!next_token.empty());
  return arns;
}

base::Result<std::vector<EcsTask>> EcsClient::DescribeTasks(const std::string& cluster,
                                                            const std::vector<std::string>& tasks) {
  std::vector<EcsTask> out;
  for (size_t i = 0; i < tasks.size(); i += kTasksPerCall) {
    size_t end = std::min(tasks.size(), i + kTasksPerCall);
    Json input{{"cluster", cluster},
               {"tasks", std::vector<std::string>(tasks.begin() + i, tasks.begin() + end)}};
    ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kEcsService, "DescribeTasks", input));
    for (const Json& t : Array(output, "tasks")) out.push_back(ParseTask(t));
  }
  return out;
}

}  // namespace ecsync::aws
