#include "aws/ec2_client.h"

#include <algorithm>

#include "aws/paging.h"

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
  QueryParams params{{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", vpc_id}};
  ECSYNC_RETURN_IF_ERROR(ForEachQueryPage(
      *client_, kEc2Service, "DescribeSubnets", params, kEc2NextToken, [&](pugi::xml_node page) {
        for (pugi::xml_node subnet : ListItems(page, "subnetSet", "item")) {
          ids.push_back(ChildText(subnet, "subnetId"));
        }
      }));
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace ecsync::aws
