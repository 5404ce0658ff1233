// Ec2Client's route table and security group reads.

#include "aws/ec2_client.h"
#include "aws/paging.h"

namespace ecsync::aws {
namespace {

void AddFilters(QueryParams* params, const std::vector<Ec2Filter>& filters) {
  int index = 1;
  for (const Ec2Filter& filter : filters) {
    std::string prefix = ListElement("Filter", index++, Protocol::kEc2);
    params->emplace_back(prefix + ".Name", filter.name);
    AddStringList(params, prefix + ".Value", filter.values, Protocol::kEc2);
  }
}

RouteTable ParseRouteTable(pugi::xml_node node) {
  RouteTable table;
  table.id = ChildText(node, "routeTableId");
  table.vpc_id = ChildText(node, "vpcId");
  for (pugi::xml_node item : ListItems(node, "associationSet", "item")) {
    table.associations.push_back({ChildText(item, "subnetId"), ChildText(item, "main") == "true"});
  }
  for (pugi::xml_node item : ListItems(node, "routeSet", "item")) {
    table.routes.push_back({ChildText(item, "destinationCidrBlock"), ChildText(item, "gatewayId")});
  }
  return table;
}

}  // namespace

base::Result<std::vector<RouteTable>> Ec2Client::DescribeRouteTables(const std::string& vpc_id) {
  std::vector<RouteTable> tables;
  QueryParams params;
  AddFilters(&params, {{"vpc-id", {vpc_id}}});
  ECSYNC_RETURN_IF_ERROR(ForEachQueryPage(*client_, kEc2Service, "DescribeRouteTables", params,
                                          kEc2NextToken, [&](pugi::xml_node page) {
                                            for (pugi::xml_node node :
                                                 ListItems(page, "routeTableSet", "item")) {
                                              tables.push_back(ParseRouteTable(node));
                                            }
                                          }));
  return tables;
}

base::Result<std::vector<SecurityGroup>> Ec2Client::DescribeSecurityGroups(
    const std::vector<std::string>& ids, const std::vector<Ec2Filter>& filters) {
  std::vector<SecurityGroup> groups;
  QueryParams params;
  AddStringList(&params, "GroupId", ids, Protocol::kEc2);
  AddFilters(&params, filters);
  ECSYNC_RETURN_IF_ERROR(ForEachQueryPage(
      *client_, kEc2Service, "DescribeSecurityGroups", params, kEc2NextToken,
      [&](pugi::xml_node page) {
        for (pugi::xml_node node : ListItems(page, "securityGroupInfo", "item")) {
          groups.push_back(
              {ChildText(node, "groupId"), ChildText(node, "groupName"), ChildText(node, "vpcId")});
        }
      }));
  return groups;
}

}  // namespace ecsync::aws
