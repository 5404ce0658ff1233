#include "aws/codebuild.h"

#include <algorithm>

#include "aws/json_protocol.h"

namespace ecsync::aws {

const ServiceInfo kCodeBuildService{"CodeBuild",  "codebuild",     "codebuild",
                                    "2016-10-06", Protocol::kJson, "CodeBuild_20161006"};

namespace {

using Json = nlohmann::json;

constexpr size_t kBuildsPerCall = 100;

Build ParseBuild(const Json& b) {
  Build build;
  build.id = JsonString(b, "id");
  build.status = JsonString(b, "buildStatus");
  build.current_phase = JsonString(b, "currentPhase");
  auto complete = b.find("buildComplete");
  build.complete = complete != b.end() && complete->is_boolean() && complete->get<bool>();
  for (const Json& p : JsonArray(b, "phases")) {
    BuildPhase phase{JsonString(p, "phaseType"), JsonString(p, "phaseStatus"), {}};
    for (const Json& c : JsonArray(p, "contexts")) {
      phase.contexts.push_back({JsonString(c, "statusCode"), JsonString(c, "message")});
    }
    build.phases.push_back(std::move(phase));
  }
  if (auto logs = b.find("logs"); logs != b.end()) {
    build.logs = {JsonString(*logs, "groupName"), JsonString(*logs, "streamName"),
                  JsonString(*logs, "deepLink")};
  }
  if (auto environment = b.find("environment"); environment != b.end()) {
    for (const Json& v : JsonArray(*environment, "environmentVariables")) {
      build.environment.push_back(
          {JsonString(v, "name"), JsonString(v, "value"), JsonString(v, "type")});
    }
  }
  return build;
}

// Too many concurrent builds is a reason to come back later, not a bad request.
base::Status Classify(base::Status status) {
  if (!status.ok() && status.message().find("AccountLimitExceeded") != std::string::npos) {
    return base::ThrottledError(status.message());
  }
  return status;
}

}  // namespace

CodeBuildClient::CodeBuildClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<Build> CodeBuildClient::StartBuild(const StartBuildRequest& request) {
  Json input{{"projectName", request.project_name}};
  if (!request.source_type.empty()) input["sourceTypeOverride"] = request.source_type;
  if (!request.source_location.empty()) input["sourceLocationOverride"] = request.source_location;
  if (!request.environment.empty()) {
    Json variables = Json::array();
    for (const CodeBuildVariable& v : request.environment) {
      variables.push_back({{"name", v.name}, {"value", v.value}, {"type", v.type}});
    }
    input["environmentVariablesOverride"] = std::move(variables);
  }
  if (!request.buildspec.empty()) input["buildspecOverride"] = request.buildspec;
  if (!request.idempotency_token.empty()) input["idempotencyToken"] = request.idempotency_token;
  auto output = client_->CallJson(kCodeBuildService, "StartBuild", input);
  if (!output.ok()) return Classify(output.status());
  auto build = output->find("build");
  if (build == output->end() || !build->is_object() || JsonString(*build, "id").empty()) {
    return base::TransientError("CodeBuild StartBuild: the answer names no build");
  }
  return ParseBuild(*build);
}

base::Result<BuildBatch> CodeBuildClient::BatchGetBuilds(const std::vector<std::string>& ids) {
  BuildBatch batch;
  for (size_t i = 0; i < ids.size(); i += kBuildsPerCall) {
    const size_t end = std::min(ids.size(), i + kBuildsPerCall);
    Json input{{"ids", std::vector<std::string>(ids.begin() + static_cast<ptrdiff_t>(i),
                                                ids.begin() + static_cast<ptrdiff_t>(end))}};
    auto output = client_->CallJson(kCodeBuildService, "BatchGetBuilds", input);
    if (!output.ok()) return Classify(output.status());
    for (const Json& b : JsonArray(*output, "builds")) batch.builds.push_back(ParseBuild(b));
    for (const Json& id : JsonArray(*output, "buildsNotFound")) {
      if (id.is_string()) batch.not_found.push_back(id.get<std::string>());
    }
  }
  return batch;
}

base::Result<std::vector<std::string>> CodeBuildClient::RecentBuilds(const std::string& project) {
  // Newest first, and no nextToken followed: a build still running is among the newest.
  Json input{{"projectName", project}, {"sortOrder", "DESCENDING"}};
  auto output = client_->CallJson(kCodeBuildService, "ListBuildsForProject", input);
  if (!output.ok()) return Classify(output.status());
  std::vector<std::string> ids;
  for (const Json& id : JsonArray(*output, "ids")) {
    if (id.is_string()) ids.push_back(id.get<std::string>());
  }
  return ids;
}

}  // namespace ecsync::aws
