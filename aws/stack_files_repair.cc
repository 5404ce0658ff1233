// StackFiles' calls for stacks that need a hand: rollback recovery, drift detection and
// termination protection.

#include "aws/stack_files.h"

#include <algorithm>

#include "aws/stack_files_io.h"
#include "aws/stack_files_rules.h"

namespace ecsync::aws {

base::Status StackFiles::ContinueUpdateRollback(const std::string& name,
                                                const std::vector<std::string>& resources_to_skip,
                                                const std::string& client_request_token) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.HasToken(client_request_token, "ContinueUpdateRollback")) return base::Status::Ok();
  if (record.status != "UPDATE_ROLLBACK_FAILED") {
    return base::ConflictError("Stack:" + record.id + " is in " + record.status +
                               " state and can not continue an update rollback; "
                               "ContinueUpdateRollback applies only to a stack in "
                               "UPDATE_ROLLBACK_FAILED");
  }
  for (const std::string& skipped : resources_to_skip) {
    bool known = std::any_of(record.resources.begin(), record.resources.end(),
                             [&](const StoredResource& r) { return r.logical_id == skipped; });
    if (!known) {
      return base::InvalidError("Resource " + skipped + " is not in stack " + record.name +
                                "; ResourcesToSkip names logical ids of the stack");
    }
  }
  auto now = clock_.Now();
  AddEvent(&record, record.name, kStackResourceType, "UPDATE_ROLLBACK_IN_PROGRESS",
           "Continue rollback");
  for (StoredResource& resource : record.resources) {
    if (!resource.status.ends_with("_FAILED")) continue;
    bool skip = std::find(resources_to_skip.begin(), resources_to_skip.end(),
                          resource.logical_id) != resources_to_skip.end();
    resource.status = "UPDATE_COMPLETE";
    resource.status_reason = skip ? "Resource skipped during rollback" : "";
    resource.last_updated = now;
    AddEvent(&record, resource.logical_id, resource.resource_type, resource.status,
             resource.status_reason);
  }
  AddEvent(&record, record.name, kStackResourceType, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
           "");
  AddEvent(&record, record.name, kStackResourceType, "UPDATE_ROLLBACK_COMPLETE", "");
  record.status = "UPDATE_ROLLBACK_COMPLETE";
  record.status_reason.clear();
  record.last_updated_time = now;
  record.AddToken(client_request_token, "ContinueUpdateRollback");
  return Save(record);
}

base::Status StackFiles::CancelUpdateStack(const std::string& name,
                                           const std::string& client_request_token) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.HasToken(client_request_token, "CancelUpdateStack")) return base::Status::Ok();
  if (record.status != "UPDATE_IN_PROGRESS") {
    return base::ConflictError(
        "CancelUpdateStack cannot be called from current stack status: "
        "stack " +
        record.name + " is " + record.status +
        ", and only an UPDATE_IN_PROGRESS update can be cancelled");
  }
  AddEvent(&record, record.name, kStackResourceType, "UPDATE_ROLLBACK_IN_PROGRESS",
           "User Initiated");
  AddEvent(&record, record.name, kStackResourceType, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
           "");
  AddEvent(&record, record.name, kStackResourceType, "UPDATE_ROLLBACK_COMPLETE", "");
  record.status = "UPDATE_ROLLBACK_COMPLETE";
  record.status_reason.clear();
  record.last_updated_time = clock_.Now();
  record.AddToken(client_request_token, "CancelUpdateStack");
  return Save(record);
}

base::Result<std::string> StackFiles::DetectStackDrift(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.status == "REVIEW_IN_PROGRESS") {
    return base::ConflictError("Stack:" + record.id +
                               " is in REVIEW_IN_PROGRESS state and can not be checked for drift");
  }
  std::string id = NewUuid();
  record.drift = StoredDrift{id, clock_.Now()};
  for (StoredResource& resource : record.resources) resource.drift_status = "IN_SYNC";
  ECSYNC_RETURN_IF_ERROR(Save(record));
  return id;
}

base::Result<DriftDetection> StackFiles::DescribeStackDriftDetectionStatus(
    const std::string& detection_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(std::vector<StackRecord> records, LoadAllLive());
  for (const StackRecord& record : records) {
    if (!record.drift || record.drift->detection_id != detection_id) continue;
    DriftDetection detection;
    detection.detection_id = detection_id;
    detection.stack_id = record.id;
    detection.detection_status = "DETECTION_COMPLETE";
    detection.stack_drift_status = "IN_SYNC";
    return detection;
  }
  return base::NotFoundError("Drift detection with id " + detection_id +
                             " does not exist (stack files keep only each stack's last one)");
}

base::Result<std::vector<ResourceDrift>> StackFiles::DescribeStackResourceDrifts(
    const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  std::vector<ResourceDrift> drifts;
  for (const StoredResource& r : record.resources) {
    if (r.drift_status == "NOT_CHECKED") continue;
    drifts.push_back({r.logical_id, r.physical_id, r.resource_type, r.drift_status, {}});
  }
  return drifts;
}

base::Status StackFiles::UpdateTerminationProtection(const std::string& name, bool enable) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  record.termination_protection = enable;
  return Save(record);
}

}  // namespace ecsync::aws
