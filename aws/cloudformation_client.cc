#include "aws/cloudformation_client.h"

#include <algorithm>

#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

constexpr Protocol kCfn = Protocol::kQuery;

Stack ParseStack(pugi::xml_node node) {
  Stack stack;
  stack.name = ChildText(node, "StackName");
  stack.id = ChildText(node, "StackId");
  stack.status = ChildText(node, "StackStatus");
  stack.status_reason = ChildText(node, "StackStatusReason");
  for (pugi::xml_node tag : ListItems(node, "Tags", "member")) {
    stack.tags[ChildText(tag, "Key")] = ChildText(tag, "Value");
  }
  for (pugi::xml_node output : ListItems(node, "Outputs", "member")) {
    stack.outputs[ChildText(output, "OutputKey")] = ChildText(output, "OutputValue");
  }
  return stack;
}

void AddTemplateParams(QueryParams* params, const std::string& template_body,
                       const std::vector<Parameter>& parameters,
                       const std::map<std::string, std::string>& tags,
                       const std::vector<std::string>& capabilities) {
  params->emplace_back("TemplateBody", template_body);
  int index = 1;
  for (const Parameter& p : parameters) {
    std::string prefix = ListElement("Parameters", index++, kCfn);
    params->emplace_back(prefix + ".ParameterKey", p.key);
    params->emplace_back(prefix + ".ParameterValue", p.value);
  }
  index = 1;
  for (const auto& [key, value] : tags) {
    std::string prefix = ListElement("Tags", index++, kCfn);
    params->emplace_back(prefix + ".Key", key);
    params->emplace_back(prefix + ".Value", value);
  }
  AddStringList(params, "Capabilities", capabilities, kCfn);
}

}  // namespace

CloudFormationClient::CloudFormationClient(std::shared_ptr<AwsClient> client)
    : client_(std::move(client)) {}

base::Result<Stack> CloudFormationClient::DescribeStack(const std::string& name) {
  ECSYNC_ASSIGN_OR_RETURN(
      QueryResponse response,
      client_->Call(kCloudFormationService, "DescribeStacks", {{"StackName", name}}));
  std::vector<pugi::xml_node> stacks = ListItems(response.result, "Stacks", "member");
  if (stacks.empty()) return base::NotFoundError("stack " + name + " does not exist");
  return ParseStack(stacks.front());
}

base::Result<std::vector<Stack>> CloudFormationClient::DescribeStacks() {
  std::vector<Stack> stacks;
  std::string next_token;
  do {
    QueryParams params;
    if (!next_token.empty()) params.emplace_back("NextToken", next_token);
    ECSYNC_ASSIGN_OR_RETURN(QueryResponse response,
                            client_->Call(kCloudFormationService, "DescribeStacks", params));
    for (pugi::xml_node node : ListItems(response.result, "Stacks", "member")) {
      Stack stack = ParseStack(node);
      if (stack.status != "DELETE_COMPLETE") stacks.push_back(std::move(stack));
    }
    next_token = ChildText(response.result, "NextToken");
  } while (!next_token.empty());
  return stacks;
}

base::Result<std::string> CloudFormationClient::CreateStack(const CreateStackRequest& request) {
  QueryParams params{{"StackName", request.name}};
  AddTemplateParams(&params, request.template_body, request.parameters, request.tags,
                    request.capabilities);
  if (!request.on_failure.empty()) params.emplace_back("OnFailure", request.on_failure);
  if (!request.client_request_token.empty()) {
    params.emplace_back("ClientRequestToken", request.client_request_token);
  }
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response,
                          client_->Call(kCloudFormationService, "CreateStack", params));
  return ChildText(response.result, "StackId");
}

base::Status CloudFormationClient::UpdateStack(const UpdateStackRequest& request) {
  QueryParams params{{"StackName", request.name}};
  AddTemplateParams(&params, request.template_body, request.parameters, request.tags,
                    request.capabilities);
  if (!request.client_request_token.empty()) {
    params.emplace_back("ClientRequestToken", request.client_request_token);
  }
  return client_->Call(kCloudFormationService, "UpdateStack", params).status();
}

base::Status CloudFormationClient::DeleteStack(const std::string& name,
                                               const std::string& client_request_token) {
  QueryParams params{{"StackName", name}};
  if (!client_request_token.empty()) params.emplace_back("ClientRequestToken", client_request_token);
  return client_->Call(kCloudFormationService, "DeleteStack", params).status();
}

base::Result<std::vector<StackEvent>> CloudFormationClient::DescribeStackEvents(
    const std::string& name) {
  std::vector<StackEvent> events;
  std::string next_token;
  do {
    QueryParams params{{"StackName", name}};
    if (!next_token.empty()) params.emplace_back("NextToken", next_token);
    ECSYNC_ASSIGN_OR_RETURN(QueryResponse response,
                            client_->Call(kCloudFormationService, "DescribeStackEvents", params));
    for (pugi::xml_node node : ListItems(response.result, "StackEvents", "member")) {
      StackEvent event;
      event.event_id = ChildText(node, "EventId");
      event.logical_id = ChildText(node, "LogicalResourceId");
      event.resource_type = ChildText(node, "ResourceType");
      event.status = ChildText(node, "ResourceStatus");
      event.reason = ChildText(node, "ResourceStatusReason");
      std::string timestamp = ChildText(node, "Timestamp");
      if (auto parsed = ParseIso8601(timestamp)) event.timestamp = *parsed;
      events.push_back(std::move(event));
    }
    next_token = ChildText(response.result, "NextToken");
  } while (!next_token.empty());
  return events;
}

Ec2Client::Ec2Client(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<std::string> Ec2Client::DefaultVpcId() {
  QueryParams params{{"Filter.1.Name", "isDefault"}, {"Filter.1.Value.1", "true"}};
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response,
                          client_->Call(kEc2Service, "DescribeVpcs", params));
  for (pugi::xml_node vpc : ListItems(response.result, "vpcSet", "item")) {
    std::string id = ChildText(vpc, "vpcId");
    if (!id.empty()) return id;
  }
  return base::NotFoundError("the account has no default VPC in " + client_->region() +
                             "; create one (aws ec2 create-default-vpc) or set x-aws-vpc in "
                             "the compose file");
}

base::Result<std::vector<std::string>> Ec2Client::SubnetIds(const std::string& vpc_id) {
  std::vector<std::string> ids;
  std::string next_token;
  do {
    QueryParams params{{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", vpc_id}};
    if (!next_token.empty()) params.emplace_back("NextToken", next_token);
    ECSYNC_ASSIGN_OR_RETURN(QueryResponse response,
                            client_->Call(kEc2Service, "DescribeSubnets", params));
    for (pugi::xml_node subnet : ListItems(response.result, "subnetSet", "item")) {
      ids.push_back(ChildText(subnet, "subnetId"));
    }
    next_token = ChildText(response.result, "nextToken");
  } while (!next_token.empty());
  std::sort(ids.begin(), ids.end());
  return ids;
}

base::Result<AwsClients> MakeAwsClients(const AwsClientsOptions& options) {
  CredentialOptions credential_options{options.env, options.profile};
  ECSYNC_ASSIGN_OR_RETURN(Credentials credentials, ResolveCredentials(credential_options));
  std::string region = options.region_override;
  if (region.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(region, ResolveRegion(credential_options));
  }
  AwsClientOptions client_options;
  client_options.credentials = std::move(credentials);
  client_options.region = region;
  client_options.endpoint_override = options.endpoint_override;
  client_options.env = options.env;
  client_options.clock = options.clock;
  client_options.max_attempts = options.max_attempts;
  client_options.http = options.http_client;
  if (!client_options.http) {
    CurlOptions curl = options.http;
    if (curl.ca_bundle.empty()) {
      curl.ca_bundle = NonEmptyEnv(options.env, "AWS_CA_BUNDLE").value_or("");
    }
    client_options.http = std::make_shared<CurlHttpClient>(curl);
  }
  AwsClients clients;
  clients.client = std::make_shared<AwsClient>(std::move(client_options));
  clients.cloudformation = std::make_shared<CloudFormationClient>(clients.client);
  clients.ec2 = std::make_shared<Ec2Client>(clients.client);
  return clients;
}

}  // namespace ecsync::aws
