#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::aws {

// ECS as ecsync reads it to explain a deployment: service counts and rollout state, and the
// reasons tasks stopped. Field values are AWS's own strings.

struct EcsDeployment {
  std::string id;
  std::string status;  // PRIMARY | ACTIVE | INACTIVE
  std::string task_definition;
  int desired_count = 0;
  int running_count = 0;
  int pending_count = 0;
  int failed_tasks = 0;
  std::string rollout_state;  // COMPLETED | FAILED | IN_PROGRESS, may be empty
  std::string rollout_state_reason;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point updated_at;
};

struct EcsServiceEvent {
  std::string id;
  std::chrono::system_clock::time_point created_at;
  std::string message;  // e.g. "(service web) has reached a steady state."
};

struct EcsService {
  std::string arn;
  std::string name;
  std::string cluster_arn;
  std::string status;  // ACTIVE | DRAINING | INACTIVE
  std::string task_definition;
  std::string launch_type;
  int desired_count = 0;
  int running_count = 0;
  int pending_count = 0;
  std::vector<EcsDeployment> deployments;
  std::vector<EcsServiceEvent> events;  // newest first, as ECS returns them
};

// An ARN or name ECS could not describe ("MISSING" and the like).
struct EcsFailure {
  std::string arn;
  std::string reason;
  std::string detail;
};

struct EcsServices {
  std::vector<EcsService> services;
  std::vector<EcsFailure> failures;
};

struct EcsCluster {
  std::string arn;
  std::string name;
  std::string status;  // ACTIVE | PROVISIONING | DEPROVISIONING | FAILED | INACTIVE
  int running_tasks = 0;
  int pending_tasks = 0;
  int active_services = 0;
};

struct EcsContainer {
  std::string name;
  std::string last_status;
  std::optional<int> exit_code;  // set once the container stopped
  std::string reason;            // e.g. "CannotPullContainerError: ..."
  std::string health_status;
};

struct EcsTask {
  std::string arn;
  std::string task_definition_arn;
  std::string group;           // "service:<name>"
  std::string last_status;     // PROVISIONING ... RUNNING ... STOPPED
  std::string desired_status;  // RUNNING | STOPPED
  std::string stop_code;       // TaskFailedToStart | EssentialContainerExited | ...
  std::string stopped_reason;
  std::string health_status;
  std::vector<EcsContainer> containers;
};

// One service deployment in ListServiceDeployments' brief form, newest first.
struct EcsServiceDeploymentBrief {
  std::string arn;
  std::string service_arn;
  std::string status;  // PENDING | IN_PROGRESS | SUCCESSFUL | STOPPED | ROLLBACK_* | ...
  std::string status_reason;
  std::string target_service_revision_arn;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point finished_at;  // epoch while not finished
};

// A service deployment as DescribeServiceDeployments reports it: what a progress line and an
// approval need. The target task definition is not part of it (ECS keeps it on the service
// revision, `target_service_revision_arn`).
struct EcsServiceDeployment {
  std::string arn;
  std::string service_arn;
  std::string cluster_arn;
  std::string status;  // as in EcsServiceDeploymentBrief
  std::string status_reason;
  // RECONCILE_SERVICE | PRE_SCALE_UP | SCALE_UP | ... | PRODUCTION_TRAFFIC_SHIFT | BAKE_TIME |
  // CLEAN_UP; empty when ECS gives none.
  std::string lifecycle_stage;
  std::string strategy;  // the deploymentConfiguration's: ROLLING | BLUE_GREEN | LINEAR | CANARY
  std::string target_service_revision_arn;
  // The target revision's share of production traffic, 0-100; nullopt when ECS gives none.
  std::optional<double> production_traffic_percent;
  std::string alarms_status;  // TRIGGERED | MONITORING | MONITORING_COMPLETE | DISABLED
  std::vector<std::string> alarm_names;
  std::vector<std::string> triggered_alarm_names;
  std::string rollback_reason;  // set once a rollback started
  // The lifecycle hook the deployment waits on (AWAITING_ACTION), e.g. a PAUSE hook for an
  // approval; empty hook id when it waits on none. The stage is `lifecycle_stage`.
  std::string paused_hook_id;
  std::string paused_hook_target_type;  // PAUSE | AWS_LAMBDA
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point updated_at;
  std::chrono::system_clock::time_point finished_at;  // epoch while not finished
};

struct EcsServiceDeployments {
  std::vector<EcsServiceDeployment> deployments;
  std::vector<EcsFailure> failures;  // ARNs ECS could not describe
};

// ECS calls (JSON 1.1 protocol): reads, plus the calls that steer a service deployment.
// Thread-safe. Error kinds as for CloudFormation; ClusterNotFoundException,
// ServiceNotFoundException and ServiceDeploymentNotFoundException are kNotFound.
class Ecs {
 public:
  virtual ~Ecs() = default;
  // Clusters by name or ARN; missing ones are left out.
  virtual base::Result<std::vector<EcsCluster>> DescribeClusters(
      const std::vector<std::string>& clusters) = 0;
  // Services by name or ARN in `cluster`, any number (sent 10 per request). Unknown names come
  // back in `failures`, not as an error.
  virtual base::Result<EcsServices> DescribeServices(const std::string& cluster,
                                                     const std::vector<std::string>& services) = 0;
  // Task ARNs of `service` (empty: every service) with desired status `desired_status`
  // (RUNNING or STOPPED; ECS keeps stopped tasks about an hour), every page.
  virtual base::Result<std::vector<std::string>> ListTasks(const std::string& cluster,
                                                           const std::string& service,
                                                           const std::string& desired_status) = 0;
  // Tasks by ARN, any number (sent 100 per request); unknown ones are left out.
  virtual base::Result<std::vector<EcsTask>> DescribeTasks(
      const std::string& cluster, const std::vector<std::string>& tasks) = 0;

  // The service deployments below default to an internal error, so that a fake for the calls
  // above needs nothing more.

  // Every service deployment of `service` in `cluster` ECS still lists, newest first, every page.
  virtual base::Result<std::vector<EcsServiceDeploymentBrief>> ListServiceDeployments(
      const std::string& cluster, const std::string& service);
  // Deployments by ARN, any number (sent 20 per request); unknown ones come back in `failures`.
  virtual base::Result<EcsServiceDeployments> DescribeServiceDeployments(
      const std::vector<std::string>& arns);
  // Answers the lifecycle hook `hook_id` a deployment waits on: continue, or roll back.
  virtual base::Status ContinueServiceDeployment(const std::string& arn, const std::string& hook_id,
                                                 bool rollback);
  // Stops a deployment: rolls it back to the previous revision, or (rollback false) aborts it
  // where it is.
  virtual base::Status StopServiceDeployment(const std::string& arn, bool rollback);
};

}  // namespace ecsync::aws
