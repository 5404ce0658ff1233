#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/result.h"

namespace ecsync::aws {

// The content of one "<stack>.state.json" file of the stack-files target, and its JSON
// form. Plain data: the caller keeps it consistent.

// What NoEcho parameter values become on disk.
inline constexpr char kMaskedValue[] = "****";

struct StoredParameter {
  std::string key;
  std::string value;  // kMaskedValue when no_echo: a secret is never stored
  bool no_echo = false;
};

struct StoredResource {
  std::string logical_id;
  std::string physical_id;
  std::string resource_type;
  std::string status;  // of the last operation that touched it, e.g. UPDATE_COMPLETE
  std::string status_reason;
  std::string drift_status = "NOT_CHECKED";  // IN_SYNC after a drift detection
  std::chrono::system_clock::time_point last_updated;
};

struct StoredChangeSet {
  ChangeSet summary;  // what DescribeChangeSet returns
  std::string type;   // CREATE | UPDATE
  std::string description;
  std::string client_token;
  std::string template_body;  // as it will be stored once executed; cleared after that
  std::vector<StoredParameter> parameters;
  std::map<std::string, std::string> tags;  // empty: keep the stack's tags
  std::vector<std::string> capabilities;
  std::chrono::system_clock::time_point creation_time;
};

struct StoredDrift {
  std::string detection_id;
  std::chrono::system_clock::time_point timestamp;
};

// A ClientRequestToken already honoured, and the call it came with.
struct StoredToken {
  std::string token;
  std::string operation;  // CreateStack | UpdateStack | DeleteStack | ExecuteChangeSet | ...
};

struct StackRecord {
  std::string name;
  std::string id;
  std::string status;
  std::string status_reason;
  std::string description;
  std::chrono::system_clock::time_point creation_time;
  std::chrono::system_clock::time_point last_updated_time;
  bool termination_protection = false;
  // "json" (<name>.template.json) or "yaml" (<name>.template.yaml); empty while the stack
  // has no template yet (REVIEW_IN_PROGRESS).
  std::string template_format;
  std::map<std::string, std::string> tags;
  std::vector<StoredParameter> parameters;
  std::vector<std::string> capabilities;
  std::map<std::string, std::string> outputs;
  std::vector<StoredResource> resources;  // in template order
  std::vector<StackEvent> events;         // newest first
  std::vector<StoredChangeSet> change_sets;
  std::optional<StoredDrift> drift;  // the last detection
  std::vector<StoredToken> tokens;

  bool HasToken(const std::string& token, const std::string& operation) const;
  // Records `token` (nothing when empty).
  void AddToken(const std::string& token, const std::string& operation);
  // The interface's view of this stack.
  Stack ToStack() const;
};

// Pretty-printed JSON with a trailing newline.
std::string StackRecordToJson(const StackRecord& record);

// Reads what StackRecordToJson wrote. kInternal naming `path` and what to do when the
// text is not such a record (hand-edited, truncated, or from a newer ecsync).
base::Result<StackRecord> StackRecordFromJson(const std::string& text, const std::string& path);

}  // namespace ecsync::aws
