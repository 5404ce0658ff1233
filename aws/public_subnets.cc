#include "aws/public_subnets.h"

#include <algorithm>
#include <map>

namespace ecsync::aws {
namespace {

bool RoutesToInternet(const RouteTable& table) {
  for (const Route& route : table.routes) {
    if (route.destination_cidr == "0.0.0.0/0" && route.gateway_id.rfind("igw-", 0) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> PublicSubnetIdsFrom(const std::vector<RouteTable>& tables,
                                             const std::vector<std::string>& subnet_ids) {
  const RouteTable* main_table = nullptr;
  std::map<std::string, const RouteTable*> explicit_tables;
  for (const RouteTable& table : tables) {
    for (const RouteTableAssociation& association : table.associations) {
      if (association.main) main_table = &table;
      if (!association.subnet_id.empty()) explicit_tables[association.subnet_id] = &table;
    }
  }
  std::vector<std::string> out;
  for (const std::string& subnet : subnet_ids) {
    auto it = explicit_tables.find(subnet);
    const RouteTable* table = it != explicit_tables.end() ? it->second : main_table;
    if (table != nullptr && RoutesToInternet(*table)) out.push_back(subnet);
  }
  std::sort(out.begin(), out.end());
  return out;
}

base::Result<std::vector<std::string>> PublicSubnetIds(Ec2& ec2, const std::string& vpc_id) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<std::string> subnets, ec2.SubnetIds(vpc_id));
  ECSYNC_ASSIGN_OR_RETURN(std::vector<RouteTable> tables, ec2.DescribeRouteTables(vpc_id));
  return PublicSubnetIdsFrom(tables, subnets);
}

}  // namespace ecsync::aws
