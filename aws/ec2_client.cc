#include "aws/ec2_client.h"

#include <algorithm>

namespace ecsync::aws {

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

}  // namespace ecsync::aws
