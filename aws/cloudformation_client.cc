#include "aws/cloudformation_client.h"

#include "aws/cfn_xml.h"
#include "aws/paging.h"

namespace ecsync::aws {
namespace {

constexpr Protocol kCfn = Protocol::kQuery;

// Name-or-ARN plus the optional StackName that change-set calls take.
QueryParams ChangeSetParams(const std::string& change_set, const std::string& stack_name) {
  QueryParams params{{"ChangeSetName", change_set}};
  if (!stack_name.empty()) params.emplace_back("StackName", stack_name);
  return params;
}

void AddToken(QueryParams* params, const std::string& name, const std::string& token) {
  if (!token.empty()) params->emplace_back(name, token);
}

// StackName plus the optional ClientRequestToken: the request of most stack operations.
QueryParams StackParams(const std::string& name, const std::string& client_request_token) {
  QueryParams params{{"StackName", name}};
  AddToken(&params, "ClientRequestToken", client_request_token);
  return params;
}

}  // namespace

CloudFormationClient::CloudFormationClient(std::shared_ptr<AwsClient> client)
    : client_(std::move(client)) {}

base::Result<QueryResponse> CloudFormationClient::Call(const std::string& action,
                                                       const QueryParams& params) {
  return client_->Call(kCloudFormationService, action, params);
}

base::Status CloudFormationClient::Pages(const std::string& action, const QueryParams& params,
                                         const std::function<void(pugi::xml_node)>& on_page) {
  return ForEachQueryPage(*client_, kCloudFormationService, action, params, kNextToken, on_page);
}

base::Result<Stack> CloudFormationClient::DescribeStack(const std::string& name) {
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, Call("DescribeStacks", {{"StackName", name}}));
  std::vector<pugi::xml_node> stacks = ListItems(response.result, "Stacks", "member");
  if (stacks.empty()) return base::NotFoundError("stack " + name + " does not exist");
  return ParseStack(stacks.front());
}

base::Result<std::vector<Stack>> CloudFormationClient::DescribeStacks() {
  std::vector<Stack> stacks;
  ECSYNC_RETURN_IF_ERROR(Pages("DescribeStacks", {}, [&](pugi::xml_node result) {
    for (pugi::xml_node node : ListItems(result, "Stacks", "member")) {
      Stack stack = ParseStack(node);
      if (stack.status != "DELETE_COMPLETE") stacks.push_back(std::move(stack));
    }
  }));
  return stacks;
}

base::Result<std::string> CloudFormationClient::CreateStack(const CreateStackRequest& request) {
  QueryParams params{{"StackName", request.name}};
  AddTemplateParams(&params, request.template_body, request.template_url, request.parameters,
                    request.tags, request.capabilities);
  if (!request.on_failure.empty()) params.emplace_back("OnFailure", request.on_failure);
  AddToken(&params, "ClientRequestToken", request.client_request_token);
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, Call("CreateStack", params));
  return ChildText(response.result, "StackId");
}

base::Status CloudFormationClient::UpdateStack(const UpdateStackRequest& request) {
  QueryParams params = StackParams(request.name, request.client_request_token);
  AddTemplateParams(&params, request.template_body, request.template_url, request.parameters,
                    request.tags, request.capabilities);
  return Call("UpdateStack", params).status();
}

base::Status CloudFormationClient::DeleteStack(const std::string& name,
                                               const std::string& client_request_token) {
  return Call("DeleteStack", StackParams(name, client_request_token)).status();
}

base::Result<std::vector<StackEvent>> CloudFormationClient::DescribeStackEvents(
    const std::string& name) {
  std::vector<StackEvent> events;
  ECSYNC_RETURN_IF_ERROR(
      Pages("DescribeStackEvents", {{"StackName", name}}, [&](pugi::xml_node result) {
        for (pugi::xml_node node : ListItems(result, "StackEvents", "member")) {
          events.push_back(ParseStackEvent(node));
        }
      }));
  return events;
}

base::Result<std::string> CloudFormationClient::CreateChangeSet(
    const CreateChangeSetRequest& request) {
  QueryParams params{{"StackName", request.stack_name}, {"ChangeSetName", request.change_set_name}};
  AddTemplateParams(&params, request.template_body, request.template_url, request.parameters,
                    request.tags, request.capabilities);
  if (!request.change_set_type.empty()) {
    params.emplace_back("ChangeSetType", request.change_set_type);
  }
  if (!request.description.empty()) params.emplace_back("Description", request.description);
  AddToken(&params, "ClientToken", request.client_token);
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, Call("CreateChangeSet", params));
  return ChildText(response.result, "Id");
}

base::Result<ChangeSet> CloudFormationClient::DescribeChangeSet(const std::string& change_set,
                                                                const std::string& stack_name) {
  ChangeSet out;
  bool first = true;
  ECSYNC_RETURN_IF_ERROR(Pages(
      "DescribeChangeSet", ChangeSetParams(change_set, stack_name), [&](pugi::xml_node result) {
        if (first) {
          first = false;
          out.id = ChildText(result, "ChangeSetId");
          out.name = ChildText(result, "ChangeSetName");
          out.stack_id = ChildText(result, "StackId");
          out.stack_name = ChildText(result, "StackName");
          out.status = ChildText(result, "Status");
          out.status_reason = ChildText(result, "StatusReason");
          out.execution_status = ChildText(result, "ExecutionStatus");
        }
        for (pugi::xml_node member : ListItems(result, "Changes", "member")) {
          out.changes.push_back(ParseResourceChange(member));
        }
      }));
  if (out.id.empty() && out.status.empty()) {
    return base::NotFoundError("change set " + change_set + " does not exist");
  }
  return out;
}

base::Status CloudFormationClient::ExecuteChangeSet(const std::string& change_set,
                                                    const std::string& stack_name,
                                                    const std::string& client_request_token) {
  QueryParams params = ChangeSetParams(change_set, stack_name);
  AddToken(&params, "ClientRequestToken", client_request_token);
  return Call("ExecuteChangeSet", params).status();
}

base::Status CloudFormationClient::DeleteChangeSet(const std::string& change_set,
                                                   const std::string& stack_name) {
  return Call("DeleteChangeSet", ChangeSetParams(change_set, stack_name)).status();
}

base::Status CloudFormationClient::ContinueUpdateRollback(
    const std::string& name, const std::vector<std::string>& resources_to_skip,
    const std::string& client_request_token) {
  QueryParams params = StackParams(name, client_request_token);
  AddStringList(&params, "ResourcesToSkip", resources_to_skip, kCfn);
  return Call("ContinueUpdateRollback", params).status();
}

base::Status CloudFormationClient::CancelUpdateStack(const std::string& name,
                                                     const std::string& client_request_token) {
  return Call("CancelUpdateStack", StackParams(name, client_request_token)).status();
}

base::Result<std::vector<StackResource>> CloudFormationClient::DescribeStackResources(
    const std::string& name) {
  std::vector<StackResource> resources;
  ECSYNC_RETURN_IF_ERROR(
      Pages("ListStackResources", {{"StackName", name}}, [&](pugi::xml_node result) {
        for (pugi::xml_node node : ListItems(result, "StackResourceSummaries", "member")) {
          resources.push_back(ParseStackResourceSummary(node));
        }
      }));
  return resources;
}

base::Result<std::string> CloudFormationClient::GetTemplate(const std::string& name) {
  ECSYNC_ASSIGN_OR_RETURN(
      QueryResponse response,
      Call("GetTemplate", {{"StackName", name}, {"TemplateStage", "Original"}}));
  return ChildText(response.result, "TemplateBody");
}

base::Result<TemplateValidation> CloudFormationClient::ValidateTemplate(
    const std::string& body_or_url) {
  const bool is_url = body_or_url.rfind("https://", 0) == 0;
  QueryParams params{{is_url ? "TemplateURL" : "TemplateBody", body_or_url}};
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, Call("ValidateTemplate", params));
  return ParseTemplateValidation(response.result);
}

base::Result<std::string> CloudFormationClient::DetectStackDrift(const std::string& name) {
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, Call("DetectStackDrift", {{"StackName", name}}));
  return ChildText(response.result, "StackDriftDetectionId");
}

base::Result<DriftDetection> CloudFormationClient::DescribeStackDriftDetectionStatus(
    const std::string& detection_id) {
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, Call("DescribeStackDriftDetectionStatus",
                                                       {{"StackDriftDetectionId", detection_id}}));
  return ParseDriftDetection(response.result);
}

base::Result<std::vector<ResourceDrift>> CloudFormationClient::DescribeStackResourceDrifts(
    const std::string& name) {
  std::vector<ResourceDrift> drifts;
  ECSYNC_RETURN_IF_ERROR(
      Pages("DescribeStackResourceDrifts", {{"StackName", name}}, [&](pugi::xml_node result) {
        for (pugi::xml_node node : ListItems(result, "StackResourceDrifts", "member")) {
          drifts.push_back(ParseResourceDrift(node));
        }
      }));
  return drifts;
}

base::Status CloudFormationClient::UpdateTerminationProtection(const std::string& name,
                                                               bool enable) {
  return Call("UpdateTerminationProtection",
              {{"StackName", name}, {"EnableTerminationProtection", enable ? "true" : "false"}})
      .status();
}

}  // namespace ecsync::aws
